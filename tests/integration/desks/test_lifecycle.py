"""The whole life of a request at its desk, on the real broker, SQLite and PostgreSQL:
triage, routing to several products, providers' answers, decline → re-route or unmet
demand, hold/resume, reject, withdraw, confirmation with satisfaction, and refusals."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta
from typing import Any

from contracts.events import (
    ClientKind,
    DeclineReason,
    DeliverableRef,
    EngagementAccepted,
    EngagementDeclined,
    EngagementDelivered,
    EngagementProposed,
    EngagementStatusChanged,
)
from shared.testing.waiting import eventually
from tests.integration.desks.conftest import ELECTORAL, DesksUnderTest

STATUS_CHANGED = "onedoor.request.status-changed.v1"


def engagement_id(routing: dict[str, Any]) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, routing["id"]))


def accepted(request: dict[str, Any], routing: dict[str, Any]) -> EngagementAccepted:
    return EngagementAccepted(
        engagement_id=engagement_id(routing),
        request_id=request["id"],
        routing_id=routing["id"],
        product_code=routing["product_code"],
        accepted_by=f"provider:{routing['product_code']}:chief",
        accepted_at=routing["routed_at"],
    )


def declined(
    request: dict[str, Any], routing: dict[str, Any], reason: DeclineReason
) -> EngagementDeclined:
    return EngagementDeclined(
        engagement_id=engagement_id(routing),
        request_id=request["id"],
        routing_id=routing["id"],
        product_code=routing["product_code"],
        reason_code=reason,
        reason="no standby capacity this quarter",
        declined_by=f"provider:{routing['product_code']}:chief",
        declined_at=routing["routed_at"],
    )


def delivered(request: dict[str, Any], routing: dict[str, Any]) -> EngagementDelivered:
    return EngagementDelivered(
        engagement_id=engagement_id(routing),
        request_id=request["id"],
        routing_id=routing["id"],
        product_code=routing["product_code"],
        provider_unit="unit",
        client_code=request["client_code"],
        client_kind=ClientKind(request["client_kind"]),
        country=request["country"],
        region=request["region"],
        desk_code=request["desk_code"],
        title=request["title"],
        deliverables=[
            DeliverableRef(
                title="Needs assessment report",
                kind="report",
                reference="https://docs.example.org/nar-1",
                delivered_on=date(2026, 2, 1),
            )
        ],
        delivered_by=f"provider:{routing['product_code']}:chief",
        delivered_at=routing["routed_at"],
    )


async def routed_request(desks: DesksUnderTest, *products: str) -> dict[str, Any]:
    """A request of UNMISS (desk AFRICA_I) triaged and routed by an officer."""
    created = await desks.submit(desks.client("UNMISS"), title="Support to the peace process")
    details = {code: ELECTORAL[code] for code in products if code in ELECTORAL}
    response = await desks.act(
        created["id"],
        "route",
        desks.officer("AFRICA_I"),
        products=list(products),
        details=details,
        owner="officer-1",
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def routing_of(request: dict[str, Any], product: str, status: str = "routed") -> dict[str, Any]:
    return next(
        r for r in request["routings"] if r["product_code"] == product and r["status"] == status
    )


async def test_a_request_without_products_waits_in_triage_then_an_officer_routes_it(
    desks: DesksUnderTest,
) -> None:
    created = await desks.submit(desks.client("UNMISS"))
    officer = desks.officer("AFRICA_I")
    queue = (
        await desks.http.get("/requests", params={"status": ["submitted"]}, headers=officer)
    ).json()
    assert [edge["node"]["id"] for edge in queue["edges"]] == [created["id"]]

    response = await desks.act(
        created["id"],
        "route",
        officer,
        products=["MEDIATION_SUPPORT", "POLITICAL_ANALYSIS"],
        owner="officer-7",
    )
    assert response.status_code == 200, response.text
    request = response.json()
    assert request["status"] == "routed"
    assert request["owner"] == "officer-7"
    assert request["products"] == ["MEDIATION_SUPPORT", "POLITICAL_ANALYSIS"]
    assert sorted(r["product_code"] for r in request["routings"]) == request["products"]
    # assigned, triaged, routed in one command: one version after the 1 of intake
    assert request["version"] == 2
    routed = await desks.outbox("onedoor.request.routed.v1")
    assert sorted(event["product_code"] for event in routed) == request["products"]
    assert {event["routed_by"] for event in routed} == {"desk_officer:AFRICA_I:officer-1"}
    assigned = await desks.outbox("onedoor.request.assigned.v1")
    assert [(event["owner"], event["previous_owner"]) for event in assigned] == [
        ("officer-7", None)
    ]
    clocks = {clock["clock"]: clock for clock in request["sla"]}
    assert clocks["acknowledge"]["stopped_at"] and clocks["triage"]["stopped_at"]
    assert clocks["deliver"]["stopped_at"] is None

    timeline = await desks.timeline(created["id"], desks.client("UNMISS"))
    assert [entry["summary"] for entry in timeline if entry["event_type"] == STATUS_CHANGED] == [
        "submitted → triaged: products chosen by the desk: MEDIATION_SUPPORT, POLITICAL_ANALYSIS",
        "triaged → routed: products routed to their providers",
    ]
    assert all(entry["actor"] and entry["at"] for entry in timeline)


async def test_answers_move_a_request_to_in_progress_delivered_and_closed(
    desks: DesksUnderTest,
) -> None:
    request = await routed_request(desks, "ELECTORAL_ASSISTANCE", "HUMAN_RIGHTS")
    electoral = routing_of(request, "ELECTORAL_ASSISTANCE")
    rights = routing_of(request, "HUMAN_RIGHTS")
    await desks.publish(
        EngagementProposed(
            engagement_id=engagement_id(electoral),
            request_id=request["id"],
            routing_id=electoral["id"],
            product_code="ELECTORAL_ASSISTANCE",
            proposed_at=electoral["routed_at"],
        ),
        accepted(request, electoral),
    )
    await eventually(
        lambda: _routing_status(desks, request["id"], electoral["id"], "accepted"), timeout_s=10
    )
    assert (await desks.get(request["id"]))["status"] == "routed"  # one answer still missing
    await desks.publish(accepted(request, rights))
    await desks.until(request["id"], "in_progress")

    # A repeated answer (re-published under a new event id) changes nothing.
    await desks.publish(
        accepted(request, rights),
        EngagementStatusChanged(
            engagement_id=engagement_id(rights),
            request_id=request["id"],
            routing_id=rights["id"],
            product_code="HUMAN_RIGHTS",
            from_status="accepted",
            to_status="deployed",
            actor="provider:HUMAN_RIGHTS:chief",
            changed_at=rights["routed_at"],
        ),
    )
    await eventually(
        lambda: desks.count_timeline(request["id"], "onedoor.engagement.status-changed.v1")
    )
    assert await desks.count_timeline(request["id"], "onedoor.engagement.accepted.v1") == 2

    await desks.publish(delivered(request, electoral))
    await eventually(
        lambda: _routing_status(desks, request["id"], electoral["id"], "delivered"), timeout_s=10
    )
    assert (await desks.get(request["id"]))["status"] == "in_progress"
    await desks.publish(delivered(request, rights))
    await desks.until(request["id"], "delivered")

    client = desks.client("UNMISS")
    assert (await desks.act(request["id"], "confirm", desks.officer("AFRICA_I"))).status_code == 403
    bad = await desks.act(request["id"], "confirm", client, satisfaction_score=9)
    assert bad.status_code == 422 and bad.json()["detail"]["code"] == "BAD_USER_INPUT"
    closed = await desks.act(
        request["id"],
        "confirm",
        client,
        satisfaction_score=4,
        satisfaction_comment="Timely and useful",
    )
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed"
    assert closed.json()["satisfaction_score"] == 4
    changes = await desks.outbox(STATUS_CHANGED)
    assert [(c["from_status"], c["to_status"]) for c in changes] == [
        ("submitted", "triaged"),
        ("triaged", "routed"),
        ("routed", "in_progress"),
        ("in_progress", "delivered"),
        ("delivered", "closed"),
    ]
    assert changes[-1]["satisfaction_score"] == 4
    assert changes[-1]["actor"] == "client:UNMISS:unmiss-focal"
    again = await desks.act(request["id"], "withdraw", client)
    assert again.status_code == 409 and again.json()["detail"]["code"] == "ILLEGAL_TRANSITION"


async def _routing_status(
    desks: DesksUnderTest, request_id: str, routing_id: str, status: str
) -> bool:
    request = await desks.get(request_id)
    return any(r["id"] == routing_id and r["status"] == status for r in request["routings"])


async def test_a_decline_returns_to_the_desk_to_reroute_or_record_unmet_demand(
    desks: DesksUnderTest,
) -> None:
    request = await routed_request(desks, "ELECTORAL_ASSISTANCE", "RULE_OF_LAW")
    electoral = routing_of(request, "ELECTORAL_ASSISTANCE")
    rule_of_law = routing_of(request, "RULE_OF_LAW")
    await desks.publish(declined(request, electoral, DeclineReason.capacity))
    triaged = await desks.until(request["id"], "triaged")
    assert routing_of(triaged, "ELECTORAL_ASSISTANCE", "declined")["decline_reason"].startswith(
        "capacity"
    )
    officer = desks.officer("AFRICA_I")

    blocked = await desks.act(request["id"], "route", officer, products=["HUMAN_RIGHTS"])
    assert blocked.status_code == 409 and blocked.json()["detail"]["code"] == "CONFLICT"
    rerouted = await desks.act(
        request["id"],
        "reroute",
        officer,
        routing_id=electoral["id"],
        product_code="MEDIATION_SUPPORT",
    )
    assert rerouted.status_code == 200, rerouted.text
    assert rerouted.json()["status"] == "routed"
    statuses = sorted((r["product_code"], r["status"]) for r in rerouted.json()["routings"])
    assert statuses == [
        ("ELECTORAL_ASSISTANCE", "rerouted"),
        ("MEDIATION_SUPPORT", "routed"),
        ("RULE_OF_LAW", "routed"),
    ]

    await desks.publish(declined(request, rule_of_law, DeclineReason.capacity))
    await desks.until(request["id"], "triaged")
    unmet = await desks.act(
        request["id"],
        "unmet-demand",
        officer,
        routing_id=rule_of_law["id"],
        note="no standby justice experts before the election",
    )
    assert unmet.status_code == 200, unmet.text
    assert unmet.json()["status"] == "routed"  # mediation still with its provider
    recorded = await desks.outbox("onedoor.request.unmet-demand-recorded.v1")
    assert [(e["product_code"], e["reason_code"], e["desk_code"]) for e in recorded] == [
        ("RULE_OF_LAW", "capacity", "AFRICA_I")
    ]
    listed = (await desks.http.get("/unmet-demand", headers=officer)).json()
    assert [(row["product_code"], row["routing_id"]) for row in listed] == [
        ("RULE_OF_LAW", rule_of_law["id"])
    ]
    twice = await desks.act(
        request["id"], "unmet-demand", officer, routing_id=rule_of_law["id"], note="again"
    )
    assert twice.status_code == 409 and twice.json()["detail"]["code"] == "CONFLICT"
    assert (
        await desks.http.get("/unmet-demand", headers=desks.client("UNMISS"))
    ).status_code == 403
    other_desk = await desks.http.get("/unmet-demand", headers=desks.officer("AFRICA_II"))
    assert other_desk.json() == []


async def test_hold_pauses_and_resume_applies_what_happened_meanwhile(
    desks: DesksUnderTest,
) -> None:
    request = await routed_request(desks, "MEDIATION_SUPPORT")
    officer = desks.officer("AFRICA_I")
    no_reason = await desks.act(request["id"], "hold", officer)
    assert no_reason.status_code == 422
    held = await desks.act(request["id"], "hold", officer, reason="waiting for the host government")
    assert held.json()["status"] == "on_hold"
    assert held.json()["status_reason"] == "waiting for the host government"

    await desks.publish(accepted(request, routing_of(request, "MEDIATION_SUPPORT")))
    await eventually(lambda: desks.count_timeline(request["id"], "onedoor.engagement.accepted.v1"))
    assert (await desks.get(request["id"]))["status"] == "on_hold"

    resumed = await desks.act(request["id"], "resume", officer)
    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["status"] == "in_progress"
    changes = await desks.outbox(STATUS_CHANGED)
    assert [(c["from_status"], c["to_status"]) for c in changes][-3:] == [
        ("routed", "on_hold"),
        ("on_hold", "routed"),
        ("routed", "in_progress"),
    ]


async def test_reject_and_withdraw_and_every_refusal_changes_nothing(
    desks: DesksUnderTest,
) -> None:
    officer, client = desks.officer("AFRICA_II"), desks.client("MINUSMA")
    first = await desks.submit(client)
    unreasoned = await desks.act(first["id"], "reject", officer, reason="  ")
    assert unreasoned.status_code == 422
    rejected = await desks.act(first["id"], "reject", officer, reason="outside the UN mandate")
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["status_reason"] == "outside the UN mandate"
    assert all(clock["stopped_at"] for clock in rejected.json()["sla"])

    second = await desks.submit(client, products=["ELECTORAL_ASSISTANCE"], details=ELECTORAL)
    before = await desks.get(second["id"])
    cases = [
        ("reject", officer, {"reason": "too late"}, 409, "ILLEGAL_TRANSITION"),
        ("withdraw", officer, {}, 403, "FORBIDDEN"),
        ("confirm", client, {}, 409, "ILLEGAL_TRANSITION"),
        ("resume", officer, {}, 409, "ILLEGAL_TRANSITION"),
        ("route", officer, {"products": ["HUMAN_RIGHTS"]}, 409, "ILLEGAL_TRANSITION"),
        ("assign", client, {"owner": "me"}, 403, "FORBIDDEN"),
        ("hold", desks.officer("AFRICA_I"), {"reason": "x"}, 404, "REQUEST_NOT_FOUND"),
        ("assign", officer, {"owner": "x", "expected_version": 99}, 409, "VERSION_CONFLICT"),
        ("assign", officer, {"owner": "x", "expected_version": 0}, 422, "BAD_USER_INPUT"),
    ]
    for action, headers, body, status, code in cases:
        response = await desks.act(second["id"], action, headers, **body)
        assert (response.status_code, response.json()["detail"]["code"]) == (status, code), (
            action,
            response.text,
        )
    assert await desks.get(second["id"]) == before

    withdrawn = await desks.act(second["id"], "withdraw", client, reason="the election moved")
    assert withdrawn.json()["status"] == "withdrawn"
    assert withdrawn.json()["status_reason"] == "the election moved"


async def test_two_officers_acting_at_once_cannot_both_win(desks: DesksUnderTest) -> None:
    created = await desks.submit(desks.client("MINUSMA"))
    version = created["version"]
    one, two = desks.officer(subject="officer-1"), desks.officer(subject="officer-2")
    answers = await asyncio.gather(
        desks.act(created["id"], "assign", one, owner="officer-1", expected_version=version),
        desks.act(created["id"], "assign", two, owner="officer-2", expected_version=version),
    )
    assert sorted(answer.status_code for answer in answers) == [200, 409]
    loser = next(answer for answer in answers if answer.status_code == 409)
    assert loser.json()["detail"]["code"] == "VERSION_CONFLICT"
    assert loser.json()["detail"]["current_version"] == version + 1
    winner = next(answer for answer in answers if answer.status_code == 200).json()
    request = await desks.get(created["id"])
    assert request["owner"] == winner["owner"] and request["version"] == version + 1
    assert len(await desks.outbox("onedoor.request.assigned.v1")) == 1


async def test_triage_without_products_takes_the_request_and_an_owner(
    desks: DesksUnderTest,
) -> None:
    created = await desks.submit(desks.client("GOV_GUINEA"))
    assert created["desk_code"] == "AFRICA_II"  # a host country with no UN presence
    officer = desks.officer("AFRICA_II")
    triaged = await desks.act(created["id"], "triage", officer, owner="officer-3")
    assert triaged.status_code == 200, triaged.text
    assert (triaged.json()["status"], triaged.json()["owner"]) == ("triaged", "officer-3")
    desks.clock.advance(timedelta(minutes=5))
    handed = await desks.act(created["id"], "assign", officer, owner="officer-4")
    assert handed.json()["owner"] == "officer-4"
    same = await desks.act(created["id"], "assign", officer, owner="officer-4")
    assert same.status_code == 409
    assigned = await desks.outbox("onedoor.request.assigned.v1")
    assert [(e["owner"], e["previous_owner"]) for e in assigned] == [
        ("officer-3", None),
        ("officer-4", "officer-3"),
    ]
    metrics = (
        await desks.http.get(
            "/request-metrics", params={"request_id": created["id"]}, headers=officer
        )
    ).json()
    assert metrics[0]["hand_offs"] == 1
    assert metrics[0]["seconds_in_status"] == {"submitted": 0.0, "triaged": 300.0}
    assert uuid.UUID(metrics[0]["request_id"])
