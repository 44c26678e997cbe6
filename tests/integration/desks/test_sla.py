"""SLA clocks per urgency and the scheduler that breaches and escalates them; the test
drives the clock, nothing sleeps."""

from __future__ import annotations

from datetime import timedelta

from tests.integration.desks.conftest import ELECTORAL, DesksUnderTest

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)


async def test_due_clocks_are_breached_once_escalated_and_visible_in_the_queue(
    desks: DesksUnderTest,
) -> None:
    client, officer = desks.client("MINUSMA"), desks.officer("AFRICA_II")
    urgent = await desks.submit(client, title="Mediators for the Kidal talks", urgency="immediate")
    routine = await desks.submit(client, title="Briefing on the transition", urgency="routine")

    assert await desks.tick(59 * MINUTE) == 0
    assert await desks.tick(2 * MINUTE) == 1  # the immediate request's acknowledge clock
    assert await desks.tick() == 0  # at most once per (request, clock)

    request = await desks.get(urgent["id"])
    clocks = {clock["clock"]: clock for clock in request["sla"]}
    assert request["breached"] is True
    assert clocks["acknowledge"]["escalated_to"] == "desk_chief:AFRICA_II"
    assert clocks["triage"]["breached_at"] is None
    breaches = await desks.outbox("onedoor.request.sla-breached.v1")
    assert [(b["request_id"], b["clock"], b["urgency"]) for b in breaches] == [
        (urgent["id"], "acknowledge", "immediate")
    ]
    timeline = await desks.timeline(urgent["id"], client)
    assert timeline[-1]["event_type"] == "onedoor.request.sla-breached.v1"
    assert timeline[-1]["actor"] == "desks:sla-scheduler"
    assert "escalated to desk_chief:AFRICA_II" in timeline[-1]["summary"]

    queue = await desks.http.get("/requests", params={"breached": "true"}, headers=officer)
    assert [edge["node"]["id"] for edge in queue.json()["edges"]] == [urgent["id"]]
    calm = await desks.http.get("/requests", params={"breached": "false"}, headers=officer)
    assert [edge["node"]["id"] for edge in calm.json()["edges"]] == [routine["id"]]

    # Routing stops the triage clock in time; delivery is still due in 7 days.
    routed = await desks.act(
        urgent["id"], "route", officer, products=["ELECTORAL_ASSISTANCE"], details=ELECTORAL
    )
    assert routed.status_code == 200, routed.text
    assert await desks.tick(4 * HOUR) == 0
    # A week on: the routine request's acknowledge (1 day) and triage (3 days) clocks,
    # and the immediate one's deliver clock (7 days), oldest due first.
    assert await desks.tick(7 * 24 * HOUR) == 3
    breaches = await desks.outbox("onedoor.request.sla-breached.v1")
    assert [(b["request_id"], b["clock"]) for b in breaches][1:] == [
        (routine["id"], "acknowledge"),
        (routine["id"], "triage"),
        (urgent["id"], "deliver"),
    ]
    metrics = (await desks.http.get("/desks/AFRICA_II/metrics", headers=officer)).json()
    assert metrics["open_breached"] == 2


async def test_a_desk_action_acknowledges_and_a_hold_pauses_the_clocks(
    desks: DesksUnderTest,
) -> None:
    client, officer = desks.client("UNSOM"), desks.officer("AFRICA_I")
    request = await desks.submit(client, urgency="immediate")
    comment = await desks.http.post(
        f"/requests/{request['id']}/comments",
        json={"body": "We are on it; which ministry leads?"},
        headers=officer,
    )
    assert comment.status_code == 201
    assert await desks.tick(2 * HOUR) == 0  # acknowledged by the desk's comment

    held = await desks.act(request["id"], "hold", officer, reason="waiting for the ministry")
    assert held.status_code == 200
    assert await desks.tick(10 * HOUR) == 0  # on hold: nothing runs out
    resumed = await desks.act(request["id"], "resume", officer)
    assert resumed.json()["status"] == "submitted"
    # Triage was due 4h after submission; 2h had passed before the hold: 2h remain.
    assert await desks.tick(119 * MINUTE) == 0
    assert await desks.tick(2 * MINUTE) == 1
    breaches = await desks.outbox("onedoor.request.sla-breached.v1")
    assert [b["clock"] for b in breaches] == ["triage"]


async def test_a_client_comment_does_not_acknowledge(desks: DesksUnderTest) -> None:
    client = desks.client("UNSOM")
    request = await desks.submit(client, urgency="immediate")
    await desks.http.post(
        f"/requests/{request['id']}/comments", json={"body": "Any news?"}, headers=client
    )
    assert await desks.tick(61 * MINUTE) == 1


async def test_named_products_stop_triage_at_intake_but_do_not_acknowledge(
    desks: DesksUnderTest,
) -> None:
    request = await desks.submit(
        desks.client("MINUSMA"),
        urgency="immediate",
        products=["ELECTORAL_ASSISTANCE"],
        details=ELECTORAL,
    )
    clocks = {clock["clock"]: clock for clock in request["sla"]}
    assert clocks["triage"]["stopped_at"] == request["created_at"]
    assert clocks["acknowledge"]["stopped_at"] is None
    assert clocks == {c["clock"]: c for c in (await desks.get(request["id"]))["sla"]}
    assert await desks.tick(5 * HOUR) == 1  # acknowledge only: nobody at the desk looked
