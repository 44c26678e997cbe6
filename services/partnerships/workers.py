"""The webhook dispatcher: sends queued notifications to partners' systems, signed.

A `WebhookDelivery` row is written in the transaction of the change it reports
(`store.notify`), so it is the outbox of the webhooks. Each tick of this periodic
worker:

1. claims a batch of due deliveries in a short transaction (on PostgreSQL
   `FOR UPDATE SKIP LOCKED`, so replicas share the work), leasing each for
   `webhook_lease_s` by moving its next attempt forward: no lock is held while
   waiting for partners' servers, and a delivery whose sender died is due again
   when the lease ends;
2. POSTs them concurrently with httpx, each signed with its partner's current secret;
3. records every attempt (status code, error, duration) in one transaction: a 2xx
   delivers; anything else is retried after an exponential backoff, and after
   `webhook_max_attempts` the delivery is `dead`, listed for admins, who can retry it.

Delivery is at least once: receivers de-duplicate by the `X-OneDoor-Delivery` id.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import cast

import httpx
from fastapi import BackgroundTasks, FastAPI, Request
from sqlalchemy import select
from sqlmodel import col

from contracts.enums import DeliveryStatus
from services.partnerships.models import Partner, WebhookAttempt, WebhookDelivery
from services.partnerships.settings import PartnershipsSettings
from services.partnerships.signatures import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    sign,
)
from services.partnerships.targets import RefusedTarget, check_webhook_target
from shared.clock import Clock
from shared.workers import PeriodicWorker, WorkerContext, due_deliveries, lease, settle

log = logging.getLogger(__name__)

MAX_ERROR_CHARS = 500


@dataclass(frozen=True)
class Claimed:
    delivery_id: str
    event: str
    body: str
    url: str | None
    secret: str


@dataclass(frozen=True)
class Outcome:
    delivery_id: str
    status_code: int | None
    error: str | None
    duration_ms: float

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


async def dispatch_webhooks(context: WorkerContext) -> int:
    """One tick: send the due deliveries; return how many were attempted."""
    settings = cast(PartnershipsSettings, context.settings)
    claimed = await claim_due(context, settings)
    if not claimed:
        return 0
    async with httpx.AsyncClient(timeout=settings.webhook_timeout_s) as http:
        outcomes = await asyncio.gather(
            *(send(http, item, context.clock, settings) for item in claimed)
        )
    await record_outcomes(context, settings, outcomes)
    return len(claimed)


async def claim_due(context: WorkerContext, settings: PartnershipsSettings) -> list[Claimed]:
    now, policy = context.clock.now(), settings.webhook_delivery
    query = select(WebhookDelivery, Partner).join(
        Partner, col(Partner.code) == col(WebhookDelivery.partner_code)
    )
    async with context.sessions() as session, session.begin():
        claimed = []
        due = due_deliveries(query, WebhookDelivery, policy, now)
        for delivery, partner in (await session.execute(due)).all():
            lease(delivery, policy, now)
            session.add(delivery)
            usable = partner.active and partner.webhook_url
            claimed.append(
                Claimed(
                    delivery.id,
                    delivery.event,
                    delivery.body,
                    partner.webhook_url if usable else None,
                    partner.webhook_secret,
                )
            )
    return claimed


async def send(
    http: httpx.AsyncClient, item: Claimed, clock: Clock, settings: PartnershipsSettings
) -> Outcome:
    if item.url is None:
        return Outcome(item.delivery_id, None, "the partner has no active webhook URL", 0.0)
    try:
        # Again at each delivery: the name may resolve somewhere else by now.
        await check_webhook_target(item.url, allow_private=settings.webhook_allow_private_targets)
    except RefusedTarget as refusal:
        return Outcome(item.delivery_id, None, refusal.message, 0.0)
    body = item.body.encode()
    timestamp = int(clock.now().timestamp())
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(item.secret, timestamp, body),
        TIMESTAMP_HEADER: str(timestamp),
        DELIVERY_HEADER: item.delivery_id,
        EVENT_HEADER: item.event,
    }
    started = time.perf_counter()
    try:
        response = await http.post(item.url, content=body, headers=headers)
    except httpx.HTTPError as error:
        elapsed = (time.perf_counter() - started) * 1000
        message = f"{type(error).__name__}: {error}"[:MAX_ERROR_CHARS]
        return Outcome(item.delivery_id, None, message, elapsed)
    elapsed = (time.perf_counter() - started) * 1000
    failure: str | None = None
    if not 200 <= response.status_code < 300:
        failure = f"HTTP {response.status_code}: {response.text[:200]}"
    return Outcome(item.delivery_id, response.status_code, failure, elapsed)


async def record_outcomes(
    context: WorkerContext, settings: PartnershipsSettings, outcomes: list[Outcome]
) -> None:
    now = context.clock.now()
    async with context.sessions() as session, session.begin():
        for outcome in outcomes:
            session.add(
                WebhookAttempt(
                    delivery_id=outcome.delivery_id,
                    attempted_at=now,
                    status_code=outcome.status_code,
                    error=outcome.error,
                    duration_ms=round(outcome.duration_ms, 3),
                )
            )
            delivery = await session.get(WebhookDelivery, outcome.delivery_id)
            if delivery is None or delivery.status != DeliveryStatus.pending:
                continue
            if settle(delivery, outcome.error, settings.webhook_delivery, now) == "delivered":
                delivery.status, delivery.delivered_at = DeliveryStatus.delivered.value, now
            session.add(delivery)


WEBHOOK_DISPATCHER = PeriodicWorker(
    name="webhook-dispatcher",
    tick=dispatch_webhooks,
    interval_s=lambda settings: cast(PartnershipsSettings, settings).webhook_dispatch_interval_s,
)


async def dispatch_now(app: FastAPI) -> None:
    """An extra tick of this app's dispatcher, run after a response that queued deliveries.
    Safe beside the periodic tick: claims lease the rows, so nothing is sent twice."""
    for running in app.state.workers:
        if running.worker is WEBHOOK_DISPATCHER:
            try:
                await dispatch_webhooks(running.context)
            except Exception:  # the periodic tick will try again
                log.exception("webhook dispatch after commit failed")


class Doorbell:
    """Rung by a route whose transaction queued deliveries; sends them once it has
    committed and answered (a FastAPI background task runs after the response)."""

    def __init__(self, request: Request, background: BackgroundTasks) -> None:
        self._app = request.app
        self._background = background

    def ring(self, deliveries: list[WebhookDelivery]) -> None:
        if deliveries and self._app.state.settings.webhook_dispatch_on_commit:
            self._background.add_task(dispatch_now, self._app)
