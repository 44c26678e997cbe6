"""The desk queue through the one door of the embedded stack: full-text search of a
desk's requests (title, description, the comments the searcher may read) with the
queue's filters; a client reopening and disputing, which its desk sees in the queue,
in its metrics and in its notifications."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest

from contracts.events import ClientKind, DeliverableRef, EngagementDelivered
from shared.auth import Role
from shared.runner import EmbeddedStack
from shared.testing.waiting import eventually
from tests.e2e.conftest import Door
from tests.e2e.test_desks import publish, until

pytestmark = pytest.mark.e2e
# One stack with the other e2e modules that do not get in each other's way (conftest).
SHARED_STACK = "e2e"

SUBMIT = "mutation($input: SubmitRequestInput!) { submitRequest(input: $input) { id version } }"
COMMENT = """mutation($id: ID!, $body: String!, $internal: Boolean!) {
  commentOnRequest(id: $id, body: $body, internal: $internal) { id } }"""
SEARCH = """query($search: String, $filter: RequestFilter) {
  deskQueue(search: $search, filter: $filter, first: 10) { edges { node { id title } } } }"""


def found(answer: dict[str, Any]) -> list[str]:
    assert "errors" not in answer, answer
    return [edge["node"]["id"] for edge in answer["data"]["deskQueue"]["edges"]]


async def test_a_desk_searches_its_queue_and_a_client_never_matches_internal_notes(
    door: Door,
) -> None:
    client = door.headers(Role.client, client="MINUSMA")
    officer = door.headers(Role.desk_officer, desk="AFRICA_II")
    # Words of this test only, so requests of other tests on the shared stack never match.
    word, note = f"kidal{uuid.uuid4().hex[:8]}", f"secret{uuid.uuid4().hex[:8]}"
    submitted = await door.call(
        SUBMIT,
        client,
        input={"title": f"Ceasefire monitoring in {word}", "urgency": "IMMEDIATE"},
    )
    request_id = submitted["data"]["submitRequest"]["id"]
    other = await door.call(
        SUBMIT, client, input={"title": f"Radio programme on the {word} agreement"}
    )
    other_id = other["data"]["submitRequest"]["id"]
    internal = await door.call(COMMENT, officer, id=request_id, body=f"Chase {note}", internal=True)
    assert "errors" not in internal, internal

    assert sorted(found(await door.call(SEARCH, officer, search=word))) == sorted(
        [request_id, other_id]
    )
    assert found(
        await door.call(SEARCH, officer, search=word, filter={"urgency": ["IMMEDIATE"]})
    ) == [request_id]
    assert found(await door.call(SEARCH, officer, search=f"{word} {note}")) == [request_id]
    assert found(await door.call(SEARCH, client, search=note)) == []
    assert (
        found(await door.call(SEARCH, door.headers(Role.client, client="UNMISS"), search=word))
        == []
    )

    for bad in ("?!*", "x" * 201):
        refused = await door.call(SEARCH, officer, search=bad)
        assert refused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", refused


REQUEST = """query($id: ID!) { request(id: $id) { status version reopenCount disputeCount
  routings { id productCode engagementId } } }"""
REOPEN = """mutation($id: ID!, $v: Int!, $reason: String) {
  reopenRequest(id: $id, expectedVersion: $v, reason: $reason) { status version reopenCount } }"""
DISPUTE = """mutation($id: ID!, $v: Int!, $reason: String!) {
  disputeRequest(id: $id, expectedVersion: $v, reason: $reason) { status disputeCount } }"""
FLAGGED = """query($filter: RequestFilter) {
  deskQueue(filter: $filter, first: 100) { edges { node { id } } } }"""
METRICS = '{ deskMetrics(deskCode: "AFRICA_II") { reopenings disputes } }'
NOTIFIED = """{ notifications(first: 50) { edges { node { kind requestId params } } } }"""


async def delivered_request(stack: EmbeddedStack, door: Door, title: str) -> dict[str, Any]:
    """A MINUSMA request for electoral assistance (auto-accepted by the products service),
    delivered by its provider (played here by its EngagementDelivered on the broker)."""
    client = door.headers(Role.client, client="MINUSMA")
    submitted = await door.call(
        SUBMIT,
        client,
        input={
            "title": title,
            "products": ["ELECTORAL_ASSISTANCE"],
            "details": {
                "ELECTORAL_ASSISTANCE": {
                    "election_type": "presidential",
                    "election_date": "2027-07-01",
                }
            },
        },
    )
    request_id = submitted["data"]["submitRequest"]["id"]

    async def accepted() -> dict[str, Any] | None:
        request = (await door.call(REQUEST, client, id=request_id))["data"]["request"]
        engaged = request["status"] == "IN_PROGRESS" and request["routings"][0]["engagementId"]
        return request if engaged else None

    routing = (await eventually(accepted, timeout_s=20))["routings"][0]
    await publish(
        stack,
        EngagementDelivered(
            engagement_id=routing["engagementId"],
            request_id=request_id,
            routing_id=routing["id"],
            product_code="ELECTORAL_ASSISTANCE",
            provider_unit="Electoral Assistance Division",
            client_code="MINUSMA",
            client_kind=ClientKind.peacekeeping_operation,
            country="MLI",
            region="West and Central Africa",
            desk_code="AFRICA_II",
            title=title,
            deliverables=[
                DeliverableRef(
                    title="Needs assessment",
                    kind="report",
                    reference="https://docs.example.org/ead/nam",
                    delivered_on=date(2027, 1, 15),
                )
            ],
            delivered_by="provider:ELECTORAL_ASSISTANCE:chief",
            delivered_at=datetime.now(UTC),
        ),
    )
    return dict(await until(door, client, request_id, "DELIVERED"))


async def test_a_client_reopens_and_disputes_and_the_desk_sees_counts_and_is_told(
    stack: EmbeddedStack, door: Door
) -> None:
    client = door.headers(Role.client, client="MINUSMA")
    officer = door.headers(Role.desk_officer, desk="AFRICA_II", subject=f"o{uuid.uuid4().hex}")
    before = (await door.call(METRICS, officer))["data"]["deskMetrics"]
    first = await delivered_request(stack, door, "Voter roll audit in Mopti")
    second = await delivered_request(stack, door, "Poll worker training in Segou")

    not_the_client = await door.call(REOPEN, officer, id=first["id"], v=first["version"])
    assert not_the_client["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    stale = await door.call(REOPEN, client, id=first["id"], v=first["version"] - 1)
    assert stale["errors"][0]["extensions"]["code"] == "VERSION_CONFLICT"
    reopened = await door.call(
        REOPEN, client, id=first["id"], v=first["version"], reason="Cercles missing"
    )
    assert "errors" not in reopened, reopened
    assert reopened["data"]["reopenRequest"]["status"] == "TRIAGED"
    assert reopened["data"]["reopenRequest"]["reopenCount"] == 1
    disputed = await door.call(
        DISPUTE, client, id=second["id"], v=second["version"], reason="Wrong districts"
    )
    assert disputed["data"]["disputeRequest"] == {"status": "TRIAGED", "disputeCount": 1}

    assert first["id"] in found(await door.call(FLAGGED, officer, filter={"reopened": True}))
    assert second["id"] not in found(await door.call(FLAGGED, officer, filter={"reopened": True}))
    assert second["id"] in found(await door.call(FLAGGED, officer, filter={"disputed": True}))
    after = (await door.call(METRICS, officer))["data"]["deskMetrics"]
    assert after == {
        "reopenings": before["reopenings"] + 1,
        "disputes": before["disputes"] + 1,
    }

    async def told() -> list[tuple[str, str]] | None:
        answer = (await door.call(NOTIFIED, officer))["data"]["notifications"]["edges"]
        mine = [
            (edge["node"]["kind"], edge["node"]["requestId"])
            for edge in answer
            if edge["node"]["requestId"] in (first["id"], second["id"])
        ]
        return mine if len(mine) == 2 else None

    assert sorted(await eventually(told, timeout_s=20)) == sorted(
        [("REQUEST_REOPENED", first["id"]), ("DELIVERY_DISPUTED", second["id"])]
    )
