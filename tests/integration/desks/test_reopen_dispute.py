"""A client reopens a delivered or closed request, or disputes a delivery, within the
desks' window, on the real broker, SQLite and PostgreSQL: the request goes back to
its desk with an event and a timeline entry, the queue flags it, the desk's metrics
count it; outside the window, from another status, by someone else or on a stale
version, nothing changes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.integration.desks.conftest import ELECTORAL, DesksUnderTest
from tests.integration.desks.test_lifecycle import (
    STATUS_CHANGED,
    accepted,
    delivered,
    routed_request,
    routing_of,
)

REOPENED = "onedoor.request.reopened.v1"
DISPUTED = "onedoor.request.disputed.v1"
WINDOW = timedelta(days=30)  # DesksSettings.reopen_window_days


async def delivered_request(desks: DesksUnderTest) -> dict[str, Any]:
    request = await routed_request(desks, "ELECTORAL_ASSISTANCE")
    routing = routing_of(request, "ELECTORAL_ASSISTANCE")
    await desks.publish(accepted(request, routing), delivered(request, routing))
    return await desks.until(request["id"], "delivered")


async def queue_ids(desks: DesksUnderTest, **flags: str) -> list[str]:
    page = (
        await desks.http.get("/requests", params=flags, headers=desks.officer("AFRICA_I"))
    ).json()
    return [edge["node"]["id"] for edge in page["edges"]]


async def test_a_client_reopens_a_closed_request_and_its_desk_routes_it_again(
    desks: DesksUnderTest,
) -> None:
    request = await delivered_request(desks)
    client = desks.client("UNMISS")
    closed = await desks.act(request["id"], "confirm", client, satisfaction_score=3)
    assert closed.json()["status"] == "closed"

    desks.clock.advance(WINDOW - timedelta(hours=1))
    reopened = await desks.act(
        request["id"], "reopen", client, reason="The report misses the northern districts"
    )
    assert reopened.status_code == 200, reopened.text
    body = reopened.json()
    assert (body["status"], body["reopen_count"], body["dispute_count"]) == ("triaged", 1, 0)
    assert body["status_reason"] == "The report misses the northern districts"
    assert body["version"] == closed.json()["version"] + 1

    [event] = await desks.outbox(REOPENED)
    assert (event["from_status"], event["owner"], event["desk_code"]) == (
        "closed",
        "officer-1",
        "AFRICA_I",
    )
    assert event["reason"] == "The report misses the northern districts"
    assert event["reopened_by"] == "client:UNMISS:unmiss-focal"
    moves = await desks.outbox(STATUS_CHANGED)
    assert (moves[-1]["from_status"], moves[-1]["to_status"]) == ("closed", "triaged")
    assert await desks.count_timeline(request["id"], REOPENED) == 1

    assert request["id"] in await queue_ids(desks, reopened="true")
    assert request["id"] not in await queue_ids(desks, reopened="false")
    assert request["id"] not in await queue_ids(desks, disputed="true")
    metrics = (
        await desks.http.get("/desks/AFRICA_I/metrics", headers=desks.officer("AFRICA_I"))
    ).json()
    assert (metrics["reopenings"], metrics["disputes"]) == (1, 0)

    # Back at the desk: the same product goes out again for the follow-up.
    again = await desks.act(
        request["id"],
        "route",
        desks.officer("AFRICA_I"),
        products=["ELECTORAL_ASSISTANCE"],
        details=ELECTORAL,
    )
    assert again.status_code == 200, again.text
    assert again.json()["status"] == "routed"


async def test_a_client_disputes_a_delivery_with_a_reason(desks: DesksUnderTest) -> None:
    request = await delivered_request(desks)
    client = desks.client("UNMISS")
    no_reason = await desks.act(request["id"], "dispute", client, reason="  ")
    assert no_reason.status_code == 422
    assert no_reason.json()["detail"]["code"] == "BAD_USER_INPUT"

    disputed = await desks.act(request["id"], "dispute", client, reason="Wrong election")
    assert disputed.status_code == 200, disputed.text
    assert (disputed.json()["status"], disputed.json()["dispute_count"]) == ("triaged", 1)
    [event] = await desks.outbox(DISPUTED)
    assert (event["from_status"], event["reason"]) == ("delivered", "Wrong election")
    assert await desks.count_timeline(request["id"], DISPUTED) == 1
    assert request["id"] in await queue_ids(desks, disputed="true")
    metrics = (await desks.http.get("/desks/AFRICA_I/metrics", headers=desks.admin())).json()
    assert (metrics["reopenings"], metrics["disputes"]) == (0, 1)


async def test_outside_the_window_or_by_anyone_else_nothing_changes(
    desks: DesksUnderTest,
) -> None:
    request = await delivered_request(desks)
    rid, version = request["id"], request["version"]
    client = desks.client("UNMISS")

    async def refused(action: str, headers: dict[str, str], code: str, **body: Any) -> None:
        answer = await desks.act(rid, action, headers, reason="Not what we asked", **body)
        assert answer.json()["detail"]["code"] == code, answer.text

    await refused("reopen", desks.officer("AFRICA_I"), "FORBIDDEN")
    await refused("dispute", desks.admin(), "FORBIDDEN")
    await refused("reopen", desks.client("MINUSMA"), "REQUEST_NOT_FOUND")
    await refused("dispute", client, "VERSION_CONFLICT", expected_version=version - 1)
    desks.clock.advance(WINDOW + timedelta(minutes=1))
    await refused("reopen", client, "CONFLICT")
    await refused("dispute", client, "CONFLICT")

    after = await desks.get(rid)
    assert (after["status"], after["version"], after["reopen_count"], after["dispute_count"]) == (
        "delivered",
        version,
        0,
        0,
    )
    assert await desks.outbox(REOPENED) == [] and await desks.outbox(DISPUTED) == []

    open_request = await desks.submit(client)
    answer = await desks.act(open_request["id"], "reopen", client)
    assert answer.status_code == 409
    assert answer.json()["detail"]["code"] == "ILLEGAL_TRANSITION"
