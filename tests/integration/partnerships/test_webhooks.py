"""Outbound webhooks against a real loopback receiver: signed, retried with backoff while
the receiver is down, every notification delivered once it is back, dead letters for
admins. The dispatcher's tick is driven by hand with the manual clock: no sleeping."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any, cast

import httpx
from sqlalchemy import select
from sqlmodel import col

from services.partnerships.app import DEFINITION, create_app
from services.partnerships.models import JointAssessment, WebhookAttempt, WebhookDelivery
from services.partnerships.settings import PartnershipsSettings
from services.partnerships.workers import claim_due, dispatch_webhooks, send
from shared.auth import Role
from shared.settings import PlatformSettings
from shared.sharing import POLICY, Audience, RecordKind, Viewer, outside_policy
from shared.testing.databases import Databases
from shared.testing.services import running_service
from shared.testing.tokens import bearer
from shared.testing.waiting import eventually
from tests.integration.partnerships.conftest import Partnerships, Receiver, known_request


async def open_assessment(
    p: Partnerships, partners: list[str], tasks: list[dict[str, Any]]
) -> dict[str, Any]:
    request_id = str(uuid.uuid4())
    await known_request(p, request_id)
    body = {
        "request_id": request_id,
        "partners": partners,
        "scope": "Joint needs assessment",
        "tasks": tasks,
    }
    response = await p.http.post("/assessments", json=body, headers=p.desk())
    assert response.status_code == 201, response.text
    return dict(response.json())


async def deliveries(p: Partnerships) -> list[WebhookDelivery]:
    async with p.service.sessions() as session, session.begin():
        rows = await session.scalars(
            select(WebhookDelivery).order_by(col(WebhookDelivery.created_at))
        )
        return list(rows.all())


async def attempts_of(p: Partnerships, delivery_id: str) -> list[WebhookAttempt]:
    async with p.service.sessions() as session, session.begin():
        rows = await session.scalars(
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id == delivery_id)
            .order_by(col(WebhookAttempt.id))
        )
        return list(rows.all())


async def test_a_receiver_that_was_down_gets_every_notification_once_it_is_back(
    partnerships: Partnerships, receiver: tuple[Receiver, str]
) -> None:
    p, (hooks, _url) = partnerships, receiver
    context = p.worker_context()
    first = await open_assessment(
        p,
        ["AU", "WORLD_BANK", "EU"],
        [
            {"title": "Security", "lead": "AU"},
            {"title": "Economy", "lead": "WORLD_BANK"},
            {"title": "Aid", "lead": "EU"},
        ],
    )
    await p.command(
        f"/assessments/{first['id']}/tasks",
        json={"title": "Debt sustainability", "lead": "WORLD_BANK"},
        headers=p.desk(),
    )
    await open_assessment(p, ["AU"], [{"title": "Mediation", "lead": "AU"}])
    queued = await deliveries(p)
    # EU has no webhook URL: it is told nothing and reads through the gateway.
    assert sorted((d.partner_code, d.event) for d in queued) == [
        ("AU", "assessment.invited"),
        ("AU", "assessment.invited"),
        ("WORLD_BANK", "assessment.invited"),
        ("WORLD_BANK", "task.proposed"),
    ]
    hooks.failures = 8  # down for the first two rounds of four

    start = p.clock.now()
    assert await dispatch_webhooks(context) == 4
    assert await dispatch_webhooks(context) == 0  # nothing is due before its backoff ends
    p.clock.advance(timedelta(seconds=1))
    assert await dispatch_webhooks(context) == 0
    p.clock.advance(timedelta(seconds=1))
    assert await dispatch_webhooks(context) == 4  # 2 s after the first failure
    waiting = await deliveries(p)
    assert {d.next_attempt_at - start for d in waiting} == {timedelta(seconds=2 + 4)}
    assert all(d.status == "pending" and d.attempts == 2 for d in waiting)
    assert "HTTP 503" in (waiting[0].last_error or "")
    p.clock.advance(timedelta(seconds=3))
    assert await dispatch_webhooks(context) == 0
    p.clock.advance(timedelta(seconds=1))
    assert await dispatch_webhooks(context) == 4  # back up: all four arrive

    assert hooks.refused_signatures == 0
    assert hooks.duplicates == []
    assert set(hooks.accepted) == {d.id for d in queued}
    for delivery in queued:
        body = hooks.accepted[delivery.id]
        assert body["partner"] == delivery.partner_code
        assert delivery.partner_code in body["assessment"]["partners"]
        assert body["event"] == delivery.event and body["delivery_id"] == delivery.id
    assert all(d.status == "delivered" for d in await deliveries(p))
    log = await attempts_of(p, queued[0].id)
    assert [a.status_code for a in log] == [503, 503, 204]
    assert all(a.duration_ms >= 0 for a in log)
    p.clock.advance(timedelta(hours=1))
    assert await dispatch_webhooks(context) == 0  # delivered is final


async def test_a_sender_that_died_mid_send_is_covered_by_the_lease_and_the_receiver_dedups(
    partnerships: Partnerships, receiver: tuple[Receiver, str]
) -> None:
    p, (hooks, _url) = partnerships, receiver
    context = p.worker_context()
    settings = cast(PartnershipsSettings, context.settings)
    await open_assessment(p, ["AU"], [{"title": "Mediation", "lead": "AU"}])
    claimed = await claim_due(context, settings)
    async with httpx.AsyncClient() as http:
        outcome = await send(http, claimed[0], p.clock, settings)
    assert outcome.delivered  # ...and the process died before recording it
    assert await dispatch_webhooks(context) == 0  # still leased to the dead sender
    p.clock.advance(timedelta(seconds=settings.webhook_lease_s))
    assert await dispatch_webhooks(context) == 1
    assert hooks.duplicates == [claimed[0].delivery_id]
    assert list(hooks.accepted) == [claimed[0].delivery_id]
    assert [d.status for d in await deliveries(p)] == ["delivered"]


async def test_a_delivery_that_never_succeeds_goes_dead_and_an_admin_retries_it(
    partnerships: Partnerships, receiver: tuple[Receiver, str]
) -> None:
    p, (hooks, _url) = partnerships, receiver
    context = p.worker_context()
    hooks.failures = 10**6
    await open_assessment(p, ["WORLD_BANK"], [{"title": "Economy", "lead": "WORLD_BANK"}])
    delivery_id = (await deliveries(p))[0].id
    gaps = []
    for _ in range(8):
        before = p.clock.now()
        assert await dispatch_webhooks(context) == 1
        delivery = (await deliveries(p))[0]
        gaps.append((delivery.next_attempt_at - before).total_seconds())
        p.clock.advance(timedelta(seconds=60))
    assert gaps[:6] == [2, 4, 8, 16, 32, 60]  # doubling, capped at 60 s
    assert delivery.status == "dead" and delivery.attempts == 8
    assert await dispatch_webhooks(context) == 0

    refused = await p.http.get("/webhook-deliveries", headers=p.partner("WORLD_BANK"))
    assert refused.status_code == 403
    dead = (
        await p.http.get("/webhook-deliveries", params={"status": "dead"}, headers=p.admin)
    ).json()
    assert [d["id"] for d in dead] == [delivery_id]
    assert len(dead[0]["log"]) == 8 and dead[0]["log"][0]["status_code"] == 503

    hooks.failures = 0
    retried = await p.http.post(f"/webhook-deliveries/{delivery_id}/retry", headers=p.admin)
    assert retried.status_code == 200 and retried.json()["status"] == "pending"
    assert await dispatch_webhooks(context) == 1
    assert list(hooks.accepted) == [delivery_id]
    again = await p.http.post(f"/webhook-deliveries/{delivery_id}/retry", headers=p.admin)
    assert again.status_code == 409


async def test_a_notification_is_queued_only_if_its_change_commits(
    partnerships: Partnerships, receiver: tuple[Receiver, str]
) -> None:
    p = partnerships
    request_id = str(uuid.uuid4())
    await known_request(p, request_id)
    body = {
        "request_id": request_id,
        "partners": ["AU"],
        "scope": "x",
        "tasks": [{"title": "Security", "lead": "EU"}],
    }  # EU is not invited: refused
    response = await p.http.post("/assessments", json=body, headers=p.desk())
    assert response.status_code == 422
    assert await deliveries(p) == []


async def test_a_receiver_with_another_secret_refuses_the_signature(
    partnerships: Partnerships, receiver: tuple[Receiver, str]
) -> None:
    p, (hooks, _url) = partnerships, receiver
    hooks.secrets["AU"] = "not-the-shared-secret"
    await open_assessment(p, ["AU"], [{"title": "Mediation", "lead": "AU"}])
    assert await dispatch_webhooks(p.worker_context()) == 1
    assert hooks.refused_signatures == 1 and hooks.accepted == {}
    (delivery,) = await deliveries(p)
    assert delivery.status == "pending" and "HTTP 401" in (delivery.last_error or "")


async def test_a_committed_change_is_sent_at_once_without_waiting_for_the_tick(
    partnerships: Partnerships, receiver: tuple[Receiver, str]
) -> None:
    p, (hooks, _url) = partnerships, receiver
    p.service.settings.webhook_dispatch_on_commit = True
    opened = await open_assessment(p, ["AU"], [{"title": "Mediation", "lead": "AU"}])

    async def arrived() -> bool:
        return len(hooks.accepted) == 1

    await eventually(arrived)
    (body,) = hooks.accepted.values()
    assert body["event"] == "assessment.invited" and body["assessment"]["id"] == opened["id"]
    assert [d.status for d in await deliveries(p)] == ["delivered"]


async def test_two_dispatchers_side_by_side_never_send_one_delivery_twice(
    partnerships: Partnerships, receiver: tuple[Receiver, str]
) -> None:
    p, (hooks, _url) = partnerships, receiver
    for _ in range(6):
        await open_assessment(
            p,
            ["AU", "WORLD_BANK"],
            [{"title": "Security", "lead": "AU"}, {"title": "Economy", "lead": "WORLD_BANK"}],
        )
    context = p.worker_context()
    first, second = await asyncio.gather(dispatch_webhooks(context), dispatch_webhooks(context))
    # Whichever claims first leases the rows; the other skips them (locked or leased).
    assert first + second == 12
    assert hooks.duplicates == [] and len(hooks.accepted) == 12
    assert {d.status for d in await deliveries(p)} == {"delivered"}


async def test_a_webhook_cannot_be_aimed_inside_the_network_by_default(
    platform: PlatformSettings, databases: Databases
) -> None:
    settings = PartnershipsSettings(
        **platform.model_dump(), database_url=await databases.new("partnerships")
    )
    async with running_service(DEFINITION, create_app, settings) as service:
        admin = bearer(platform, Role.admin)
        for url in ("https://127.0.0.1/hooks", "https://169.254.169.254/", "http://8.8.8.8/"):
            body = {"name": "African Union", "webhook_url": url, "active": True}
            refused = await service.http.put("/partners/AU", json=body, headers=admin)
            assert refused.status_code == 400, refused.text
            assert refused.json()["detail"]["code"] == "WEBHOOK_TARGET_REFUSED"
        created = await service.http.post(
            "/partners",
            json={"code": "IGAD", "name": "IGAD", "webhook_url": "https://10.0.0.8/x"},
            headers=admin,
        )
        assert created.json()["detail"]["code"] == "WEBHOOK_TARGET_REFUSED"
        partners = (await service.http.get("/partners", headers=admin)).json()
        assert all(p["webhook_url"] is None or "10.0.0.8" not in p["webhook_url"] for p in partners)
        assert "IGAD" not in {p["code"] for p in partners}


async def test_a_retried_proposal_with_its_key_opens_one_assessment(
    partnerships: Partnerships,
) -> None:
    p = partnerships
    request_id = str(uuid.uuid4())
    await known_request(p, request_id)
    body = {"request_id": request_id, "partners": ["AU"], "scope": "Joint needs assessment"}
    headers = {**p.desk(), "Idempotency-Key": "proposal-1"}
    answers = await asyncio.gather(
        *(p.http.post("/assessments", json=body, headers=headers) for _ in range(3))
    )
    assert {answer.status_code for answer in answers} == {201}, [a.text for a in answers]
    assert len({answer.json()["id"] for answer in answers}) == 1
    async with p.service.sessions() as session, session.begin():
        stored = (await session.scalars(select(JointAssessment))).all()
    assert [assessment.id for assessment in stored] == [answers[0].json()["id"]]


async def test_a_webhook_carries_the_partners_view_of_the_assessment_and_nothing_outside_it(
    partnerships: Partnerships, receiver: tuple[Receiver, str]
) -> None:
    """The events that leave the platform follow the sharing policy (docs/sharing.md):
    each body holds only fields a partner may see, and its assessment is what the
    partner reads through the door at that version."""
    p, (hooks, _url) = partnerships, receiver
    opened = await open_assessment(
        p,
        ["AU", "WORLD_BANK"],
        [{"title": "Security", "lead": "AU"}, {"title": "Economy", "lead": "WORLD_BANK"}],
    )
    assert await dispatch_webhooks(p.worker_context()) == 2

    partner = Viewer(Audience.partner)
    for delivery_id, body in hooks.accepted.items():
        assert outside_policy(partner, RecordKind.webhook, body) == [], delivery_id
        assert set(body) == set(POLICY[RecordKind.webhook])
        read = await p.http.get(f"/assessments/{opened['id']}", headers=p.partner(body["partner"]))
        assert body["assessment"] == read.json()
