"""Joint assessments through the service's API, fed and read through the real broker,
on SQLite and PostgreSQL: the lifecycle, the division of labour, tenancy, bad input."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from contracts.events import ASSESSMENTS_TOPIC, DeclineReason, EngagementDeclined
from services.partnerships.models import (
    AssessmentTask,
    JointAssessment,
    PartnerReferral,
    WebhookDelivery,
)
from shared.auth import Role
from shared.messaging import OutboxMessage
from shared.testing.waiting import eventually
from tests.integration.partnerships.conftest import (
    START,
    Partnerships,
    events_on,
    known_request,
    publish,
)


def opening(request_id: str, **changes: Any) -> dict[str, Any]:
    body = {
        "request_id": request_id,
        "partners": ["AU"],
        "scope": "Security sector and political process in northern Mali",
        "due_on": str((START + timedelta(days=60)).date()),
        "tasks": [
            {
                "title": "Security sector review",
                "lead": "AU",
                "due_on": str((START + timedelta(days=30)).date()),
            },
            {"title": "Political analysis", "lead": "UN"},
        ],
    }
    return {**body, **changes}


async def open_one(p: Partnerships, **changes: Any) -> dict[str, Any]:
    request_id = str(uuid.uuid4())
    await known_request(p, request_id)
    response = await p.http.post(
        "/assessments", json=opening(request_id, **changes), headers=p.desk()
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def task(assessment: dict[str, Any], lead: str) -> str:
    return str(next(t["id"] for t in assessment["tasks"] if t["lead"] == lead))


async def count(p: Partnerships, model: Any) -> int:
    async with p.service.sessions() as session, session.begin():
        return int(await session.scalar(select(func.count()).select_from(model)))


async def test_an_assessment_runs_from_proposal_to_conclusion_and_flows_back(
    partnerships: Partnerships,
) -> None:
    p = partnerships
    opened = await open_one(p)
    assert opened["status"] == "proposed"
    assert opened["partners"] == ["AU"] and opened["desk_code"] == "AFRICA_II"
    assert [(t["lead"], t["status"]) for t in opened["tasks"]] == [
        ("AU", "proposed"),
        ("UN", "accepted"),
    ]
    base = f"/assessments/{opened['id']}"

    early = await p.command(f"{base}/activate", json={}, headers=p.desk())
    assert early.status_code == 409 and early.json()["detail"]["code"] == "PRECONDITION_FAILED"
    assert "tasks awaiting an answer" in early.json()["detail"]["message"]

    au_task = task(opened, "AU")
    accepted = await p.command(f"{base}/tasks/{au_task}/accept", json={}, headers=p.partner("AU"))
    assert accepted.status_code == 200, accepted.text
    too_soon = await p.command(
        f"{base}/tasks/{au_task}/findings", json={"findings": "x"}, headers=p.partner("AU")
    )
    assert too_soon.json()["detail"]["code"] == "ILLEGAL_TRANSITION"

    active = await p.command(
        f"{base}/activate", json={"expected_version": accepted.json()["version"]}, headers=p.desk()
    )
    assert active.status_code == 200 and active.json()["status"] == "active"

    no_findings = await p.command(f"{base}/conclude", json={"summary": "Done"}, headers=p.desk())
    assert no_findings.status_code == 409
    for lead, headers in (("AU", p.partner("AU")), ("UN", p.desk())):
        done = await p.command(
            f"{base}/tasks/{task(opened, lead)}/findings",
            json={"findings": f"{lead} findings"},
            headers=headers,
        )
        assert done.status_code == 200, done.text
    empty = await p.command(f"{base}/conclude", json={"summary": "  "}, headers=p.desk())
    assert empty.status_code == 422 and empty.json()["detail"]["field"] == "summary"
    by_partner = await p.command(f"{base}/conclude", json={"summary": "x"}, headers=p.partner("AU"))
    assert by_partner.status_code == 403

    concluded = await p.command(
        f"{base}/conclude",
        json={
            "summary": "Support the security sector reform jointly",
            "recommended_products": ["RULE_OF_LAW", "MEDIATION_SUPPORT"],
        },
        headers=p.desk(),
    )
    assert concluded.status_code == 200, concluded.text
    final = concluded.json()
    assert final["status"] == "concluded" and final["concluded_on"] == str(START.date())
    again = await p.command(f"{base}/cancel", json={"reason": "late"}, headers=p.desk())
    assert again.status_code == 409 and again.json()["detail"]["code"] == "ILLEGAL_TRANSITION"

    history = (await p.http.get(f"{base}/history", headers=p.partner("AU"))).json()
    assert [entry["kind"] for entry in history] == [
        "opened",
        "task_accepted",
        "status_changed",
        "findings_posted",
        "findings_posted",
        "status_changed",
    ]

    async def published() -> list[tuple[str, dict[str, Any]]] | None:
        events = [
            e
            for e in await events_on(p.platform, ASSESSMENTS_TOPIC)
            if e[1]["assessment_id"] == opened["id"]
        ]
        return events if len(events) == 5 else None

    events = await eventually(published)
    assert [kind for kind, _ in events] == [
        "onedoor.assessment.opened.v1",
        "onedoor.assessment.task-assigned.v1",  # the AU's task, for its notifications
        "onedoor.assessment.status-changed.v1",
        "onedoor.assessment.status-changed.v1",
        "onedoor.assessment.concluded.v1",
    ]
    conclusion = events[4][1]
    assert conclusion == {
        "assessment_id": opened["id"],
        "request_id": opened["request_id"],
        "partners": ["AU"],
        "summary": "Support the security sector reform jointly",
        "recommended_products": ["RULE_OF_LAW", "MEDIATION_SUPPORT"],
        "concluded_on": str(START.date()),
        "division_of_labour": [
            {"task": "Security sector review", "lead": "AU"},
            {"task": "Political analysis", "lead": "UN"},
        ],
        "concluded_by": "desk_officer:AFRICA_II:dev-desk_officer",
    }
    assert events[0][1]["desk_code"] == "AFRICA_II" and events[0][1]["partners"] == ["AU"]


async def test_partners_answer_only_their_own_tasks_and_see_only_their_assessments(
    partnerships: Partnerships,
) -> None:
    p = partnerships
    shared_one = await open_one(
        p,
        partners=["AU", "WORLD_BANK"],
        tasks=[{"title": "Security", "lead": "AU"}, {"title": "Economy", "lead": "WORLD_BANK"}],
    )
    au_only = await open_one(p)
    base = f"/assessments/{shared_one['id']}"

    foreign = await p.command(
        f"{base}/tasks/{task(shared_one, 'AU')}/accept", json={}, headers=p.partner("WORLD_BANK")
    )
    assert foreign.status_code == 403
    hidden = await p.http.get(f"/assessments/{au_only['id']}", headers=p.partner("WORLD_BANK"))
    assert hidden.status_code == 404 and hidden.json()["detail"]["code"] == "ASSESSMENT_NOT_FOUND"
    answer = await p.command(
        f"/assessments/{au_only['id']}/tasks/{task(au_only, 'AU')}/accept",
        json={},
        headers=p.partner("WORLD_BANK"),
    )
    assert answer.status_code == 404
    eu = (await p.http.get("/assessments", headers=p.partner("EU"))).json()
    assert eu == []
    wb = (await p.http.get("/assessments", headers=p.partner("WORLD_BANK"))).json()
    assert [a["id"] for a in wb] == [shared_one["id"]]
    au = (
        await p.http.get("/assessments", params={"partner": "AU"}, headers=p.partner("AU"))
    ).json()
    assert {a["id"] for a in au} == {shared_one["id"], au_only["id"]}

    other_desk = await p.http.get(f"/assessments/{au_only['id']}", headers=p.desk("AFRICA_I"))
    assert other_desk.status_code == 404
    client = p.headers(Role.client, client="MINUSMA")
    mine = await p.http.get(
        "/assessments", params={"request_id": au_only["request_id"]}, headers=client
    )
    assert [a["id"] for a in mine.json()] == [au_only["id"]]
    theirs = p.headers(Role.client, client="UNMISS")
    assert (await p.http.get(f"/assessments/{au_only['id']}", headers=theirs)).status_code == 404
    cannot_steer = await p.command(
        f"/assessments/{au_only['id']}/cancel", json={"reason": "x"}, headers=client
    )
    assert cannot_steer.status_code == 403

    declined = await p.command(
        f"{base}/tasks/{task(shared_one, 'WORLD_BANK')}/decline",
        json={"reason": "No country office in Mali"},
        headers=p.partner("WORLD_BANK"),
    )
    assert declined.status_code == 200
    await p.command(
        f"{base}/tasks/{task(shared_one, 'AU')}/accept", json={}, headers=p.partner("AU")
    )
    blocked = await p.command(f"{base}/activate", json={}, headers=p.desk())
    assert "partners leading no accepted task: WORLD_BANK" in blocked.json()["detail"]["message"]

    by_status = await p.http.get("/assessments", params={"status": "proposed"}, headers=p.desk())
    assert {a["id"] for a in by_status.json()} == {shared_one["id"], au_only["id"]}
    cancelled = await p.command(
        f"{base}/cancel", json={"reason": "partner withdrew"}, headers=p.desk()
    )
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["cancel_reason"] == "partner withdrew"
    cancelled_only = await p.http.get(
        "/assessments", params={"status": "cancelled"}, headers=p.desk()
    )
    assert [a["id"] for a in cancelled_only.json()] == [shared_one["id"]]


async def test_who_may_open_an_assessment_for_a_request(partnerships: Partnerships) -> None:
    p = partnerships
    request_id = str(uuid.uuid4())
    await known_request(p, request_id)
    provider = p.headers(Role.provider, products=["RULE_OF_LAW"])

    refused = await p.http.post("/assessments", json=opening(request_id), headers=provider)
    assert refused.status_code == 403
    other_desk = await p.http.post(
        "/assessments", json=opening(request_id), headers=p.desk("AFRICA_I")
    )
    assert other_desk.status_code == 404
    for role, tenant in ((Role.partner, {"partner": "AU"}), (Role.client, {"client": "MINUSMA"})):
        response = await p.http.post(
            "/assessments", json=opening(request_id), headers=p.headers(role, **tenant)
        )
        assert response.status_code == 403
    unknown = await p.http.post("/assessments", json=opening(str(uuid.uuid4())), headers=p.desk())
    assert unknown.json()["detail"]["code"] == "REQUEST_NOT_FOUND"

    decline = EngagementDeclined(
        engagement_id=str(uuid.uuid4()),
        request_id=request_id,
        routing_id="r1",
        product_code="RULE_OF_LAW",
        reason_code=DeclineReason.needs_partner,
        reason="the AU leads on security sector reform here",
        declined_by="provider:RULE_OF_LAW:x",
        declined_at=START,
    )
    other_reason = decline.model_copy(
        update={"engagement_id": str(uuid.uuid4()), "reason_code": DeclineReason.capacity}
    )
    await publish(p.platform, other_reason, "decl-other")
    await publish(p.platform, decline, "decl-1")
    await publish(p.platform, decline, "decl-1-again")  # a business-level duplicate

    async def referred() -> bool:
        return await count(p, PartnerReferral) >= 1

    await eventually(referred)
    opened = await p.http.post("/assessments", json=opening(request_id), headers=provider)
    assert opened.status_code == 201, opened.text
    assert await count(p, PartnerReferral) == 1
    someone_else = p.headers(Role.provider, products=["HUMAN_RIGHTS"])
    assert (
        await p.http.get(f"/assessments/{opened.json()['id']}", headers=someone_else)
    ).status_code == 404
    assert (
        await p.http.get(f"/assessments/{opened.json()['id']}", headers=provider)
    ).status_code == 200


async def test_bad_input_is_refused_with_a_code_and_changes_nothing(
    partnerships: Partnerships,
) -> None:
    p = partnerships
    request_id = str(uuid.uuid4())
    await known_request(p, request_id)
    cases = {
        "UNKNOWN_PARTNER": opening(request_id, partners=["OAS"]),
        "BAD_USER_INPUT": opening(request_id, scope="   "),
    }
    for code, body in cases.items():
        response = await p.http.post("/assessments", json=body, headers=p.desk())
        assert response.status_code == 422 and response.json()["detail"]["code"] == code
    for body in (
        opening(request_id, partners=[]),
        opening(request_id, tasks=[{"title": "x", "lead": "EU"}]),
        opening(request_id, due_on="2020-01-01"),
        opening(request_id, framework_id="nope"),
    ):
        response = await p.http.post("/assessments", json=body, headers=p.desk())
        assert 400 <= response.status_code < 500, body
        assert response.json()["detail"]["code"]
    assert await count(p, JointAssessment) == 0
    assert await count(p, AssessmentTask) == 0
    assert await count(p, OutboxMessage) == 0
    assert await count(p, WebhookDelivery) == 0
    assert (await p.http.get("/assessments")).status_code == 401


async def test_a_stale_version_is_refused(partnerships: Partnerships) -> None:
    p = partnerships
    opened = await open_one(p)
    base = f"/assessments/{opened['id']}"
    first = await p.command(
        f"{base}/tasks",
        json={"title": "Humanitarian access", "lead": "UN", "expected_version": opened["version"]},
        headers=p.desk(),
    )
    assert first.status_code == 200 and first.json()["version"] == opened["version"] + 1
    second = await p.command(
        f"{base}/tasks",
        json={"title": "Gender analysis", "lead": "UN", "expected_version": opened["version"]},
        headers=p.desk(),
    )
    assert second.status_code == 409 and second.json()["detail"]["code"] == "VERSION_CONFLICT"
    assert len((await p.http.get(base, headers=p.desk())).json()["tasks"]) == 3


async def test_frameworks_bound_the_partners_and_the_dates(partnerships: Partnerships) -> None:
    p = partnerships
    body = {
        "name": "UN-AU Joint Framework for Enhanced Partnership in Peace and Security",
        "partners": ["AU"],
        "scope": "Peace and security in Africa",
        "valid_from": "2026-01-01",
        "valid_to": "2026-12-31",
    }
    refused = await p.http.post("/frameworks", json=body, headers=p.desk())
    assert refused.status_code == 403
    created = await p.http.post("/frameworks", json=body, headers=p.admin)
    assert created.status_code == 201, created.text
    framework = created.json()
    backwards = await p.http.put(
        f"/frameworks/{framework['id']}", json={**body, "valid_to": "2025-01-01"}, headers=p.admin
    )
    assert backwards.status_code == 422

    request_id = str(uuid.uuid4())
    await known_request(p, request_id)
    outside = await p.http.post(
        "/assessments",
        headers=p.desk(),
        json=opening(request_id, framework_id=framework["id"], partners=["AU", "WORLD_BANK"]),
    )
    assert outside.status_code == 422 and "not party" in outside.json()["detail"]["message"]
    too_late = await p.http.post(
        "/assessments",
        headers=p.desk(),
        json=opening(request_id, framework_id=framework["id"], due_on="2027-02-01"),
    )
    assert too_late.status_code == 422 and too_late.json()["detail"]["field"] == "due_on"
    inside = await p.http.post(
        "/assessments", headers=p.desk(), json=opening(request_id, framework_id=framework["id"])
    )
    assert inside.status_code == 201 and inside.json()["framework_id"] == framework["id"]
    seen = (await p.http.get("/frameworks", headers=p.partner("WORLD_BANK"))).json()
    assert seen == []
    assert [f["id"] for f in (await p.http.get("/frameworks", headers=p.partner("AU"))).json()] == [
        framework["id"]
    ]


async def test_overdue_tasks_are_listed_by_the_clock(partnerships: Partnerships) -> None:
    p = partnerships
    opened = await open_one(p)
    assert (await p.http.get("/tasks/overdue", headers=p.desk())).json() == []
    p.clock.advance(timedelta(days=31))
    overdue = (await p.http.get("/tasks/overdue", headers=p.desk())).json()
    assert [t["title"] for t in overdue] == ["Security sector review"]
    assert [
        t["id"] for t in (await p.http.get("/tasks/overdue", headers=p.partner("AU"))).json()
    ] == [task(opened, "AU")]
    assert (await p.http.get("/tasks/overdue", headers=p.partner("WORLD_BANK"))).json() == []
    assert (await p.http.get("/tasks/overdue", headers=p.desk("AFRICA_I"))).json() == []


async def test_partners_are_data_an_admin_edits_and_secrets_are_shown_once(
    partnerships: Partnerships,
) -> None:
    p = partnerships
    body = {"code": "IGAD", "name": "Intergovernmental Authority on Development"}
    assert (await p.http.post("/partners", json=body, headers=p.desk())).status_code == 403
    created = await p.http.post("/partners", json=body, headers=p.admin)
    assert created.status_code == 201 and len(created.json()["webhook_secret"]) >= 32
    assert (await p.http.post("/partners", json=body, headers=p.admin)).status_code == 409
    bad_url = {"name": "IGAD", "webhook_url": "not a url", "active": True}
    refused = await p.http.put("/partners/IGAD", json=bad_url, headers=p.admin)
    assert refused.status_code == 422 and refused.json()["detail"]["code"] == "BAD_USER_INPUT"
    unknown = await p.http.put("/partners/OAS", json={"name": "x"}, headers=p.admin)
    assert unknown.status_code == 422 and unknown.json()["detail"]["code"] == "UNKNOWN_PARTNER"

    listed = (await p.http.get("/partners", headers=p.desk())).json()
    assert [partner["code"] for partner in listed] == ["AU", "EU", "IGAD", "WORLD_BANK"]
    assert all("webhook_secret" not in partner for partner in listed)
    assert [x["code"] for x in (await p.http.get("/partners", headers=p.partner("AU"))).json()] == [
        "AU"
    ]
    retired = await p.http.put(
        "/partners/IGAD", json={"name": "IGAD", "active": False}, headers=p.admin
    )
    assert retired.json()["active"] is False
    request_id = str(uuid.uuid4())
    await known_request(p, request_id)
    inactive = await p.http.post(
        "/assessments", json=opening(request_id, partners=["IGAD"], tasks=[]), headers=p.desk()
    )
    assert inactive.json()["detail"]["code"] == "UNKNOWN_PARTNER"
