"""Run a service in-process for integration tests: migrated, seeded, lifespan started
(relay and consumer on the real broker), reachable through an httpx client.

`ServiceUnderTest` is the one harness: what every service's tests need (its HTTP
client, its sessions, dev tokens, its outbox, events put on the broker as another
service's relay would). A service's own conftest subclasses it only for the verbs of
its domain (submit a request, route a product, …)."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from contracts.events import Event
from shared.auth import Role
from shared.clock import Clock
from shared.manage import migrate, seed
from shared.messaging import MessagingRuntime, OutboxMessage
from shared.messaging.envelope import to_headers
from shared.service import ServiceDefinition
from shared.settings import PlatformSettings, ServiceSettings
from shared.testing.tokens import bearer
from shared.workers import WorkerContext

# The settings of every service under test: a failed handler is retried at once and a
# lost broker noticed within half a second, so tests wait for effects, not back-offs.
FAST_RETRY: dict[str, Any] = {"consumer_retry_backoff_s": 0.01, "broker_watch_interval_s": 0.5}

# Tansu answers a waiting fetch on its next look at the log, up to half the wait after a
# record arrived (measured: 5-240 ms at the platform's 500 ms, 2-26 ms at 50), so every
# hop of a test's events would cost about 125 ms of waiting; the broker's extra empty
# fetches cost little beside that.
TEST_FETCH_MAX_WAIT_MS = 50


@dataclass
class ServiceUnderTest:
    app: FastAPI
    http: httpx.AsyncClient
    settings: ServiceSettings
    clock: Any = None  # the clock the service was created with (a ManualClock in most tests)

    @property
    def service(self) -> ServiceUnderTest:
        """Itself: the harness is the running service (older tests say `x.service.app`)."""
        return self

    @property
    def platform(self) -> PlatformSettings:
        return self.settings

    @property
    def runtime(self) -> MessagingRuntime:
        runtime: MessagingRuntime = self.app.state.runtime
        return runtime

    @property
    def sessions(self) -> Any:
        return self.app.state.sessions

    def headers(self, role: Role, **tenant: Any) -> dict[str, str]:
        """A dev token of `role` (and its tenant claims) as an Authorization header."""
        return bearer(self.settings, role, **tenant)

    def worker_context(self) -> WorkerContext:
        """What the service's periodic workers get, for a test that runs one tick itself."""
        state = self.app.state
        return WorkerContext(self.settings, state.sessions, state.outbox, self.clock)

    async def publish_through_outbox(self, *events: Event) -> None:
        """Events of other services, sent through this service's outbox and relay, so they
        travel the real broker like any other."""
        async with self.sessions() as session, session.begin():
            for event in events:
                self.app.state.outbox.add(session, event)

    async def outbox_rows(self, event_type: str) -> list[OutboxMessage]:
        """The outbox rows of `event_type` this service recorded, oldest first."""
        async with self.sessions() as session, session.begin():
            rows = await session.scalars(
                select(OutboxMessage)
                .where(col(OutboxMessage.event_type) == event_type)
                .order_by(col(OutboxMessage.seq))
            )
            return list(rows.all())

    async def outbox_payloads(self, event_type: str) -> list[dict[str, Any]]:
        return [json.loads(row.payload) for row in await self.outbox_rows(event_type)]


Harness = TypeVar("Harness", bound=ServiceUnderTest)

# The one harness under its older name.
RunningService = ServiceUnderTest


@asynccontextmanager
async def running_service(
    definition: ServiceDefinition,
    create_app: Callable[..., FastAPI],
    settings: ServiceSettings,
    clock: Clock | None = None,
    *,
    harness: type[Harness] = ServiceUnderTest,  # type: ignore[assignment]
    prepare_database: bool = True,
) -> AsyncIterator[Harness]:
    """The service started in this process; `prepare_database=False` when its database
    already came migrated and seeded (`databases.migrated(definition)`)."""
    if prepare_database:
        await migrate(definition, settings)
        await seed(definition, settings)
    app = create_app(settings, clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url=f"http://{definition.name}"
        ) as http:
            yield harness(app=app, http=http, settings=settings, clock=clock)


async def publish_on_broker(
    platform: PlatformSettings,
    event: Event,
    event_id: str | None = None,
    *,
    source: str = "/onedoor/test",
    at: datetime | None = None,
    producer: AIOKafkaProducer | None = None,
) -> str:
    """Put an event on its topic as another service's relay would (binary CloudEvents
    headers); with a started `producer`, through it. Returns the event id."""
    event_id = event_id or str(uuid.uuid4())
    headers = to_headers(
        event_id=event_id,
        event_type=event.type,
        source=source,
        time=at or datetime.now(UTC),
        correlation_id=event_id,
        subject=event.key(),
        causation_id=None,
        traceparent=None,
    )
    sending = producer or AIOKafkaProducer(bootstrap_servers=platform.kafka_bootstrap_servers)
    if producer is None:
        await sending.start()
    try:
        await sending.send_and_wait(
            platform.physical_topic(event.topic),
            event.model_dump_json().encode(),
            key=event.key().encode(),
            headers=headers,
        )
    finally:
        if producer is None:
            await sending.stop()
    return event_id
