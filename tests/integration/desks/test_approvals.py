"""The approval step before routing, on the real broker and both databases: a request
meeting a rule waits for its desk chief, its SLA clocks paused; the decision is an
event and a timeline entry; bad input is refused and changes nothing; rules are data."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tests.integration.desks.conftest import CHIEF, DesksUnderTest

HOUR = timedelta(hours=1)
HOST_MEDIATION_RULE = "6f1c2a0e-0b7a-4d5e-9c1a-000000000001"  # seeded, active
IMMEDIATE_RULE = "6f1c2a0e-0b7a-4d5e-9c1a-000000000002"  # seeded, turned off
MEDIATION = {"products": ["MEDIATION_SUPPORT"], "details": {"MEDIATION_SUPPORT": {}}}


def clocks(request: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {clock["clock"]: clock for clock in request["sla"]}


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def host_mediation_request(desks: DesksUnderTest, **body: Any) -> dict[str, Any]:
    return await desks.submit(
        desks.client("GOV_SIERRA_LEONE"),
        title="Facilitation of the national dialogue",
        urgency="immediate",
        **MEDIATION,
        **body,
    )


async def test_a_host_country_mediation_request_waits_for_the_chief_then_goes_out(
    desks: DesksUnderTest,
) -> None:
    liaison, chief = desks.client("GOV_SIERRA_LEONE"), desks.officer("AFRICA_II", CHIEF)
    officer = desks.officer("AFRICA_II", "officer-1")
    created = await host_mediation_request(desks)
    assert created["status"] == "awaiting_approval"
    assert created["routings"] == []
    assert [a["rules"] for a in created["approvals"]] == [
        ["Host-country requests for mediation support"]
    ]
    requested = await desks.outbox("onedoor.request.approval-requested.v1")
    assert [(e["request_id"], e["desk_code"]) for e in requested] == [(created["id"], "AFRICA_II")]
    assert await desks.outbox("onedoor.request.routed.v1") == []

    # The chief's queue has it; another officer's is empty, and neither routes it.
    queue = await desks.http.get("/approvals", headers=chief)
    assert [request["id"] for request in queue.json()] == [created["id"]]
    assert (await desks.http.get("/approvals", headers=officer)).json() == []
    routed = await desks.act(created["id"], "route", officer, products=["RULE_OF_LAW"])
    assert routed.json()["detail"]["code"] == "ILLEGAL_TRANSITION"

    # Three hours waiting: the immediate request's 1-hour acknowledge clock does not run.
    assert await desks.tick(3 * HOUR) == 0
    before = await desks.get(created["id"])
    approved = await desks.act(created["id"], "approve", chief, comment="Agreed with the SRSG")
    assert approved.status_code == 200, approved.text
    request = approved.json()
    assert request["status"] == "routed"
    assert [routing["product_code"] for routing in request["routings"]] == ["MEDIATION_SUPPORT"]
    assert request["version"] == before["version"] + 1
    decided = request["approvals"][0]
    assert (decided["decision"], decided["comment"]) == ("approved", "Agreed with the SRSG")
    assert decided["decided_by"] == f"desk_officer:AFRICA_II:{CHIEF}"
    # Clocks keep what elapsed before and are due later by the wait.
    sla, was = clocks(request), clocks(before)
    assert at(sla["deliver"]["due_at"]) - at(was["deliver"]["due_at"]) == 3 * HOUR
    assert sla["acknowledge"]["stopped_at"] and sla["triage"]["stopped_at"]
    assert all(clock["breached_at"] is None for clock in sla.values())
    assert await desks.tick() == 0

    events = await desks.outbox("onedoor.request.approval-decided.v1")
    assert [(e["decision"], e["comment"]) for e in events] == [("approved", "Agreed with the SRSG")]
    statuses = [
        (e["from_status"], e["to_status"])
        for e in await desks.outbox("onedoor.request.status-changed.v1")
        if e["request_id"] == created["id"]
    ]
    assert statuses == [
        ("submitted", "awaiting_approval"),
        ("awaiting_approval", "submitted"),
        ("submitted", "triaged"),
        ("triaged", "routed"),
    ]
    # The client reads the decision and its comment; another client nothing at all.
    timeline = await desks.timeline(created["id"], liaison)
    assert "approval decision: approved (Agreed with the SRSG)" in [
        entry["summary"] for entry in timeline
    ]
    seen = await desks.get(created["id"], liaison)
    assert seen["approvals"][0]["comment"] == "Agreed with the SRSG"
    stranger = await desks.http.get(f"/requests/{created['id']}", headers=desks.client("MINUSMA"))
    assert stranger.json()["detail"]["code"] == "REQUEST_NOT_FOUND"

    metrics = (await desks.http.get("/desks/AFRICA_II/metrics", headers=chief)).json()
    assert metrics["average_hours_awaiting_approval"] == 3.0
    assert metrics["awaiting_approval"] == 0
    request_metrics = await desks.http.get(
        "/request-metrics", params={"request_id": created["id"]}, headers=chief
    )
    assert request_metrics.json()[0]["seconds_in_status"]["awaiting_approval"] == 3 * 3600


async def test_a_rejection_closes_the_request_with_the_reason_the_client_reads(
    desks: DesksUnderTest,
) -> None:
    chief = desks.officer("AFRICA_II", CHIEF)
    created = await host_mediation_request(desks)
    silent = await desks.act(created["id"], "reject-approval", chief)
    assert silent.json()["detail"]["code"] == "BAD_USER_INPUT"
    rejected = await desks.act(
        created["id"], "reject-approval", chief, comment="The envoy's office leads this"
    )
    assert rejected.status_code == 200, rejected.text
    request = rejected.json()
    assert (request["status"], request["status_reason"]) == (
        "rejected",
        "The envoy's office leads this",
    )
    assert all(clock["stopped_at"] for clock in request["sla"])
    seen = await desks.get(created["id"], desks.client("GOV_SIERRA_LEONE"))
    assert seen["status_reason"] == "The envoy's office leads this"
    events = await desks.outbox("onedoor.request.approval-decided.v1")
    assert [e["decision"] for e in events] == ["rejected"]


async def test_bad_decisions_are_refused_with_a_code_and_change_nothing(
    desks: DesksUnderTest,
) -> None:
    chief, officer = desks.officer("AFRICA_II", CHIEF), desks.officer("AFRICA_II", "officer-1")
    created = await host_mediation_request(desks)
    stale = await desks.act(created["id"], "approve", chief, expected_version=99)
    assert stale.json()["detail"]["code"] == "VERSION_CONFLICT"
    not_chief = await desks.act(created["id"], "approve", officer)
    assert not_chief.json()["detail"]["code"] == "FORBIDDEN"
    other_desk = await desks.act(created["id"], "approve", desks.officer("EUROPE", "boss"))
    assert other_desk.json()["detail"]["code"] == "REQUEST_NOT_FOUND"
    client = await desks.act(created["id"], "approve", desks.client("GOV_SIERRA_LEONE"))
    assert client.json()["detail"]["code"] == "FORBIDDEN"
    unchanged = await desks.get(created["id"])
    assert (unchanged["status"], unchanged["version"]) == ("awaiting_approval", created["version"])
    assert await desks.outbox("onedoor.request.approval-decided.v1") == []

    # A request that does not await approval: nothing to approve.
    plain = await desks.submit(desks.client("MINUSMA"))
    assert plain["status"] == "submitted" and plain["approvals"] == []
    refused = await desks.act(plain["id"], "approve", chief)
    assert refused.json()["detail"]["code"] == "ILLEGAL_TRANSITION"
    # An HQ admin may decide too; once decided, it is decided.
    assert (await desks.act(created["id"], "approve", desks.admin())).status_code == 200
    again = await desks.act(created["id"], "approve", chief)
    assert again.json()["detail"]["code"] == "ILLEGAL_TRANSITION"


async def test_rules_are_data_an_admin_edits_with_versions(desks: DesksUnderTest) -> None:
    admin, officer = desks.admin(), desks.officer("AFRICA_II")
    rules = (await desks.http.get("/approval-rules", headers=officer)).json()
    assert {(rule["id"], rule["active"]) for rule in rules} == {
        (HOST_MEDIATION_RULE, True),
        (IMMEDIATE_RULE, False),
    }
    immediate = next(rule for rule in rules if rule["id"] == IMMEDIATE_RULE)

    # Not before an admin turns it on does an immediate request wait.
    assert (await desks.submit(urgency="immediate"))["status"] == "submitted"
    body = {"name": "Immediate requests", "urgency": "immediate", "active": True}
    stale = await desks.http.put(
        f"/approval-rules/{IMMEDIATE_RULE}", json={**body, "expected_version": 7}, headers=admin
    )
    assert stale.json()["detail"]["code"] == "VERSION_CONFLICT"
    by_officer = await desks.http.put(
        f"/approval-rules/{IMMEDIATE_RULE}",
        json={**body, "expected_version": immediate["version"]},
        headers=officer,
    )
    assert by_officer.json()["detail"]["code"] == "FORBIDDEN"
    unknown = await desks.http.put(
        "/approval-rules/00000000-0000-0000-0000-000000000000",
        json={**body, "expected_version": 1},
        headers=admin,
    )
    assert unknown.json()["detail"]["code"] == "APPROVAL_RULE_NOT_FOUND"
    assert (await desks.submit(urgency="immediate"))["status"] == "submitted"

    turned_on = await desks.http.put(
        f"/approval-rules/{IMMEDIATE_RULE}",
        json={**body, "expected_version": immediate["version"]},
        headers=admin,
    )
    assert turned_on.status_code == 200, turned_on.text
    assert turned_on.json()["version"] == immediate["version"] + 1
    waiting = await desks.submit(urgency="immediate")
    assert waiting["status"] == "awaiting_approval"
    assert waiting["approvals"][0]["rules"] == ["Immediate requests"]

    # A new rule for one desk's product; conditions are checked.
    for bad, code in (
        ({"name": "All"}, "BAD_USER_INPUT"),
        ({"name": "Nope", "product_code": "NO_SUCH_PRODUCT"}, "UNKNOWN_PRODUCT"),
        ({"name": "Nowhere", "desk_code": "ATLANTIS"}, "BAD_USER_INPUT"),
    ):
        refused = await desks.http.post("/approval-rules", json=bad, headers=admin)
        assert refused.json()["detail"]["code"] == code, refused.text
    created = await desks.http.post(
        "/approval-rules",
        json={"name": "Rule of law in the Sahel", "desk_code": "AFRICA_II",
              "product_code": "RULE_OF_LAW"},
        headers=admin,
    )  # fmt: skip
    assert created.status_code == 201, created.text
    assert len((await desks.http.get("/approval-rules", headers=admin)).json()) == 3
    held = await desks.submit(products=["RULE_OF_LAW"], details={"RULE_OF_LAW": {}})
    assert held["status"] == "awaiting_approval"
    elsewhere = await desks.submit(
        desks.client("UNMISS"), products=["RULE_OF_LAW"], details={"RULE_OF_LAW": {}}
    )
    assert elsewhere["status"] == "routed"  # another desk (Africa I)
