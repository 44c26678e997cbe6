"""Linked requests on the real broker, SQLite and PostgreSQL: a desk splits a programme
request into children and lets the parent's status follow them; it merges a duplicate
of another client into the request it duplicates, and neither client learns anything
of the other's request. Every refusal has its code and changes nothing."""

from __future__ import annotations

from typing import Any

from tests.integration.desks.conftest import ELECTORAL, DesksUnderTest
from tests.integration.desks.test_lifecycle import STATUS_CHANGED, accepted, delivered, routing_of
from tests.integration.desks.test_overlaps import COUNTRY_TEAM_ASK, MISSION_ASK

LINKED = "onedoor.request.child-linked.v1"
DERIVATION = "onedoor.request.status-derivation-changed.v1"
MERGED = "onedoor.request.merged.v1"


async def refused(desks: DesksUnderTest, request_id: str, action: str, **body: Any) -> str:
    """The code of a refused action on `request_id`, which must leave it as it was."""
    before = await desks.get(request_id)
    headers = body.pop("headers", desks.officer())
    response = await desks.act(request_id, action, headers, **body)
    assert response.status_code >= 400, response.text
    assert await desks.get(request_id) == before
    return str(response.json()["detail"]["code"])


async def linked(
    desks: DesksUnderTest, request_id: str, headers: dict[str, str]
) -> set[tuple[str, str]]:
    response = await desks.http.get("/linked", params={"request_id": request_id}, headers=headers)
    assert response.status_code == 200, response.text
    return {(item["relation"], item["request"]["id"]) for item in response.json()}


async def test_a_programme_split_into_children_follows_them_to_delivery(
    desks: DesksUnderTest,
) -> None:
    officer, client = desks.officer(), desks.client("MINUSMA")
    programme = await desks.submit(client, title="Electoral cycle support programme 2026-2028")
    made = await desks.act(
        programme["id"],
        "children",
        officer,
        title="Electoral cycle support programme: voter registration audit",
        products=["ELECTORAL_ASSISTANCE"],
        details=ELECTORAL,
    )
    assert made.status_code == 200, made.text
    assert made.json()["version"] == programme["version"] + 1
    existing = await desks.submit(client, title="Civic education campaign")
    linking = await desks.act(programme["id"], "link-child", officer, child_id=existing["id"])
    assert linking.status_code == 200, linking.text

    children = await linked(desks, programme["id"], client)
    assert {relation for relation, _ in children} == {"child"}
    [audit_id] = [one for _, one in children if one != existing["id"]]
    assert await linked(desks, existing["id"], client) == {("parent", programme["id"])}
    audit = await desks.get(audit_id)
    assert (audit["parent_id"], audit["status"], audit["client_code"]) == (
        programme["id"],
        "routed",
        "MINUSMA",
    )
    assert audit["overlap_count"] == 0  # its parent's words: a split, not a duplicate
    assert [(e["child_id"], e["created"]) for e in await desks.outbox(LINKED)] == [
        (audit_id, True),
        (existing["id"], False),
    ]
    assert await desks.count_timeline(programme["id"], LINKED) == 2

    other_client = await desks.submit(desks.client("UNCT_MALI"), title="Civic education")
    assert (
        await refused(desks, programme["id"], "link-child", child_id=other_client["id"])
        == "LINK_OTHER_CLIENT"
    )
    assert await refused(desks, audit_id, "link-child", child_id=programme["id"]) == "LINK_CYCLE"
    assert (
        await refused(desks, programme["id"], "link-child", child_id=existing["id"])
        == "ALREADY_LINKED"
    )
    assert (
        await refused(
            desks, programme["id"], "link-child", child_id=existing["id"], expected_version=1
        )
        == "VERSION_CONFLICT"
    )
    assert (
        await refused(desks, programme["id"], "status-derivation", derived=True, headers=client)
        == "FORBIDDEN"
    )

    derived = await desks.act(programme["id"], "status-derivation", officer, derived=True)
    assert derived.status_code == 200, derived.text
    assert (derived.json()["status"], derived.json()["derives_status_from_children"]) == (
        "submitted",
        True,
    )
    [event] = await desks.outbox(DERIVATION)
    assert (event["derived"], event["changed_by"]) == (True, "desk_officer:AFRICA_II:officer-1")

    # A provider takes the audit on: the programme is in progress, step by step.
    routing = routing_of(audit, "ELECTORAL_ASSISTANCE")
    await desks.publish(accepted(audit, routing))
    await desks.until(programme["id"], "in_progress")
    moves = [
        (e["from_status"], e["to_status"])
        for e in await desks.outbox(STATUS_CHANGED)
        if e["request_id"] == programme["id"]
    ]
    assert moves == [("submitted", "triaged"), ("triaged", "routed"), ("routed", "in_progress")]

    # The audit delivered and the campaign withdrawn: nothing else is left to do.
    await desks.publish(delivered(audit, routing))
    await desks.until(audit_id, "delivered")
    assert (await desks.get(programme["id"]))["status"] == "in_progress"
    withdrawn = await desks.act(existing["id"], "withdraw", client)
    assert withdrawn.status_code == 200, withdrawn.text
    done = await desks.get(programme["id"])
    assert done["status"] == "delivered"
    timeline = await desks.timeline(programme["id"], client)
    assert timeline[-1]["actor"] == "desks:linked-requests"


async def test_a_duplicate_of_another_client_is_merged_and_neither_learns_of_the_other(
    desks: DesksUnderTest,
) -> None:
    officer = desks.officer()
    mission, team = desks.client("MINUSMA"), desks.client("UNCT_MALI")
    survivor = await desks.submit(mission, **MISSION_ASK)
    duplicate = await desks.submit(team, **COUNTRY_TEAM_ASK)
    unrelated = await desks.submit(team, title="Fleet maintenance contract for the regions")
    for headers, body, internal in (
        (team, "The commission meets on Monday", False),
        (officer, "Same need as MINUSMA's: merge", True),
        (mission, "Our focal point is in Bamako", False),
    ):
        request_id = survivor["id"] if headers is mission else duplicate["id"]
        response = await desks.http.post(
            f"/requests/{request_id}/comments",
            json={"body": body, "internal": internal},
            headers=headers,
        )
        assert response.status_code == 201, response.text

    attached = await desks.http.post(
        f"/requests/{duplicate['id']}/attachments",
        json={
            "name": "Polling map",
            "media_type": "application/pdf",
            "size_bytes": 10,
            "url": "https://docs.example.org/map.pdf",
        },
        headers=team,
    )
    assert attached.status_code == 201, attached.text

    assert (
        await refused(desks, duplicate["id"], "merge", into_request_id=duplicate["id"])
        == "MERGE_INTO_ITSELF"
    )
    assert (
        await refused(desks, unrelated["id"], "merge", into_request_id=survivor["id"])
        == "MERGE_NOT_OVERLAPPING"
    )
    assert (
        await refused(desks, duplicate["id"], "merge", into_request_id=survivor["id"], headers=team)
        == "FORBIDDEN"
    )

    merged = await desks.act(duplicate["id"], "merge", officer, into_request_id=survivor["id"])
    assert merged.status_code == 200, merged.text
    body = merged.json()
    assert body["status"] == "merged"
    assert body["status_reason"] == "merged into a request the desk handles for the same need"
    assert (await desks.get(survivor["id"]))["version"] == survivor["version"] + 1
    [event] = await desks.outbox(MERGED)
    assert (event["request_id"], event["survivor_id"], event["survivor_client_code"]) == (
        duplicate["id"],
        survivor["id"],
        "MINUSMA",
    )
    assert not {"title", "description"} & set(event)
    assert (
        await refused(desks, survivor["id"], "merge", into_request_id=duplicate["id"])
        == "REQUEST_CLOSED"
    )

    # The desk reads the whole conversation from the survivor, internal note included.
    desk_view = (
        await desks.http.get("/comments", params={"request_id": survivor["id"]}, headers=officer)
    ).json()
    assert {(c["body"], c["request_id"], c["from_request_id"]) for c in desk_view} == {
        ("The commission meets on Monday", survivor["id"], duplicate["id"]),
        ("Same need as MINUSMA's: merge", survivor["id"], duplicate["id"]),
        ("Our focal point is in Bamako", survivor["id"], None),
    }
    attachments = (
        await desks.http.get("/attachments", params={"request_id": survivor["id"]}, headers=officer)
    ).json()
    assert [(a["name"], a["from_request_id"]) for a in attachments] == [
        ("Polling map", duplicate["id"])
    ]
    assert await linked(desks, survivor["id"], officer) == {("merged_from", duplicate["id"])}
    assert await linked(desks, duplicate["id"], officer) == {("merged_into", survivor["id"])}

    # Each client: its own content only, and no trace of the other's request.
    mission_view = (
        await desks.http.get("/comments", params={"request_id": survivor["id"]}, headers=mission)
    ).json()
    assert [c["body"] for c in mission_view] == ["Our focal point is in Bamako"]
    hidden = await desks.http.get(
        "/attachments", params={"request_id": survivor["id"]}, headers=mission
    )
    assert hidden.json() == []
    assert await linked(desks, survivor["id"], mission) == set()
    assert await linked(desks, duplicate["id"], team) == set()
    seen_by_mission = str(await desks.timeline(survivor["id"], mission))
    seen_by_team = str(await desks.timeline(duplicate["id"], team))
    for text in (COUNTRY_TEAM_ASK["title"], duplicate["id"]):
        assert text not in seen_by_mission
    for text in (MISSION_ASK["title"], survivor["id"]):
        assert text not in seen_by_team

    # Merged is not open: out of the open queue and the desk's open count.
    queue = (
        await desks.http.get(
            "/requests", params={"status": ["submitted", "routed"]}, headers=officer
        )
    ).json()
    assert duplicate["id"] not in {edge["node"]["id"] for edge in queue["edges"]}
    metrics = (await desks.http.get("/desks/AFRICA_II/metrics", headers=officer)).json()
    assert (metrics["open"], metrics["by_status"]["merged"]) == (2, 1)
