"""Linked requests through the one door of the embedded stack: a desk splits a
programme into children, and merges a duplicate of another client into the request it
duplicates; the products service withdraws the duplicate's engagement, each client is
notified of its own request, and neither learns anything of the other's."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from shared.auth import Role
from shared.testing.waiting import eventually
from tests.e2e.conftest import Door

pytestmark = pytest.mark.e2e
SHARED_STACK = "e2e"

FIELDS = "id status version statusReason parentId clientCode"
SUBMIT = f"mutation($input: SubmitRequestInput!) {{ submitRequest(input: $input) {{ {FIELDS} }} }}"
CHILD = f"""mutation($id: ID!, $v: Int!, $input: ChildRequestInput!) {{
  createChildRequest(id: $id, expectedVersion: $v, input: $input) {{
    {FIELDS} children {{ {FIELDS} parent {{ id }} }} }} }}"""
LINK = f"""mutation($id: ID!, $v: Int!, $child: ID!) {{
  linkChildRequest(id: $id, expectedVersion: $v, childId: $child) {{ {FIELDS} }} }}"""
MERGE = f"""mutation($id: ID!, $v: Int!, $into: ID!) {{
  mergeRequest(id: $id, expectedVersion: $v, intoId: $into) {{ {FIELDS} }} }}"""
REQUEST = f"""query($id: ID!) {{ request(id: $id) {{ {FIELDS}
  mergedInto {{ id }} mergedRequests {{ id }} overlaps {{ otherRequestId }}
  comments {{ body requestId fromRequestId }} engagements {{ status }}
  timeline {{ summary }} }} }}"""
NOTIFICATIONS = "{ notifications(first: 50) { edges { node { kind requestId params } } } }"


def code_of(answer: dict[str, Any]) -> str:
    return str(answer["errors"][0]["extensions"]["code"])


def electoral(title: str) -> dict[str, Any]:
    return {
        "title": title,
        "description": "Boundary delimitation and the census of polling stations.",
        "products": ["ELECTORAL_ASSISTANCE"],
        "details": {
            "ELECTORAL_ASSISTANCE": {"election_type": "legislative", "election_date": "2027-03-01"}
        },
    }


async def test_a_desk_splits_a_programme_and_merges_another_clients_duplicate(
    door: Door,
) -> None:
    # Words of their own, so that no other module's request of Mali overlaps these.
    word = uuid.uuid4().hex[:8]
    mission = door.headers(Role.client, client="MINUSMA")
    team = door.headers(Role.client, client="UNCT_MALI")
    officer = door.headers(Role.desk_officer, desk="AFRICA_II")

    programme = (await door.call(SUBMIT, mission, input={"title": f"Programme {word}"}))["data"][
        "submitRequest"
    ]
    split = await door.call(
        CHILD, officer, id=programme["id"], v=programme["version"], input={"title": f"Part {word}"}
    )
    assert "errors" not in split, split
    [child] = split["data"]["createChildRequest"]["children"]
    assert (child["parentId"], child["parent"]["id"], child["clientCode"]) == (
        programme["id"],
        programme["id"],
        "MINUSMA",
    )
    stranger = (await door.call(SUBMIT, team, input={"title": f"Other {word}"}))["data"][
        "submitRequest"
    ]
    refused = await door.call(
        LINK, officer, id=programme["id"], v=programme["version"] + 1, child=stranger["id"]
    )
    assert code_of(refused) == "LINK_OTHER_CLIENT"

    # The survivor names no product (the desk would): only the duplicate holds capacity,
    # freed by the merge, so the stack's other modules find the product as they expect.
    asked = electoral(f"Delimitation {word}")
    without_products = {key: asked[key] for key in ("title", "description")}
    survivor = (await door.call(SUBMIT, mission, input=without_products))["data"]["submitRequest"]
    duplicate = (await door.call(SUBMIT, team, input=electoral(f"Delimitation {word}")))["data"][
        "submitRequest"
    ]
    await door.call(
        'mutation($id: ID!) { commentOnRequest(id: $id, body: "Census starts in May") { id } }',
        team,
        id=duplicate["id"],
    )

    async def taken_on() -> dict[str, Any] | None:
        seen = (await door.call(REQUEST, officer, id=duplicate["id"]))["data"]["request"]
        return seen if seen["status"] == "IN_PROGRESS" else None

    flagged = await eventually(taken_on)  # the provider accepted: its version is settled
    assert [o["otherRequestId"] for o in flagged["overlaps"]] == [survivor["id"]]

    stale = await door.call(
        MERGE, officer, id=duplicate["id"], v=flagged["version"] + 1, into=survivor["id"]
    )
    assert code_of(stale) == "VERSION_CONFLICT"
    merged = await door.call(
        MERGE, officer, id=duplicate["id"], v=flagged["version"], into=survivor["id"]
    )
    assert merged["data"]["mergeRequest"]["status"] == "MERGED"

    # The products service withdraws the duplicate's engagement; the work goes on there.
    async def withdrawn() -> dict[str, Any] | None:
        seen = (await door.call(REQUEST, team, id=duplicate["id"]))["data"]["request"]
        return seen if [e["status"] for e in seen["engagements"]] == ["withdrawn"] else None

    seen_by_team = await eventually(withdrawn)
    assert (seen_by_team["mergedInto"], seen_by_team["statusReason"]) == (
        None,
        "merged into a request the desk handles for the same need",
    )
    seen_by_mission = (await door.call(REQUEST, mission, id=survivor["id"]))["data"]["request"]
    assert (seen_by_mission["mergedRequests"], seen_by_mission["comments"]) == ([], [])
    assert duplicate["id"] not in str(seen_by_mission)
    seen_by_desk = (await door.call(REQUEST, officer, id=survivor["id"]))["data"]["request"]
    assert [r["id"] for r in seen_by_desk["mergedRequests"]] == [duplicate["id"]]
    assert seen_by_desk["comments"] == [
        {
            "body": "Census starts in May",
            "requestId": survivor["id"],
            "fromRequestId": duplicate["id"],
        }
    ]

    async def told(headers: dict[str, str], request_id: str) -> list[Any] | None:
        edges = (await door.call(NOTIFICATIONS, headers))["data"]["notifications"]["edges"]
        mine = [e["node"] for e in edges if e["node"]["requestId"] == request_id]
        return mine if "REQUEST_MERGED" in {n["kind"] for n in mine} else None

    # The duplicate's client is told of the merge once, not of a status change as well.
    moves = [n["params"] for n in await eventually(lambda: told(team, duplicate["id"]))]
    assert "merged" not in {move.get("to_status") for move in moves}
    await eventually(lambda: told(mission, survivor["id"]))
