"""What makes a OneDoor service: one definition, one app factory.

A service declares a `ServiceDefinition` (its tables, routes, event handlers,
seed data and readiness checks); `create_service_app(definition, settings)` builds
the FastAPI app with everything cross-cutting: auth, error mapping, tracing,
`/healthz`, `/readyz`, the database and the messaging runtime. Nothing is built
at import time.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import async_sessionmaker

from shared.auth import TokenVerifier
from shared.clock import Clock, SystemClock
from shared.conflicts import RetryTransientConflicts
from shared.db import READ_ONLY, AsyncSession, create_engine, ping, session_factory
from shared.errors import install_error_handlers
from shared.messaging import EventHandlers, MessagingRuntime, Outbox, Publisher
from shared.messaging.inbox import INBOX_PRUNER
from shared.messaging.models import PlatformTable
from shared.metrics import Reading, observe
from shared.settings import ServiceSettings
from shared.telemetry import configure_tracing, trace_requests
from shared.workers import PeriodicWorker, RunningWorker, WorkerContext

log = logging.getLogger(__name__)

SeedFunction = Callable[[AsyncSession, Publisher, Clock], Awaitable[None]]
# A readiness check returns a problem description, or None when all is well.
ReadinessCheck = Callable[[AsyncSession], Awaitable[str | None]]
# A service's own figures for /metrics, read at scrape time (webhook deliveries, SLA breaches).
MetricsProbe = Callable[[AsyncSession], Awaitable[list[Reading]]]
# Alembic's include_name hook: False for database objects a service manages by hand
# in its migrations (e.g. full-text indexes), so autogenerate leaves them alone.
IncludeName = Callable[[str | None, str, Any], bool]
# Something a service holds for its app's lifetime (desks' file store), put on app.state.
Resource = Callable[[FastAPI, Any], AbstractAsyncContextManager[None]]


@dataclass(frozen=True)
class ServiceDefinition:
    name: str
    title: str
    metadata: MetaData
    migrations_dir: Path
    routers: Sequence[APIRouter]
    handlers: EventHandlers = field(default_factory=EventHandlers)
    seed: SeedFunction | None = None
    readiness_checks: Sequence[ReadinessCheck] = ()
    workers: Sequence[PeriodicWorker] = ()
    include_name: IncludeName | None = None
    metrics: Sequence[MetricsProbe] = ()
    resources: Sequence[Resource] = ()

    @property
    def all_metadata(self) -> list[MetaData]:
        return [self.metadata, PlatformTable.metadata]


def create_service_app(
    definition: ServiceDefinition,
    settings: ServiceSettings,
    *,
    clock: Clock | None = None,
) -> FastAPI:
    clock = clock or SystemClock()
    configure_tracing(definition.name, settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.resolved_database_url)
        sessions = session_factory(engine)
        outbox = Outbox(source=f"/onedoor/{definition.name}", clock=clock)
        runtime = MessagingRuntime(settings, sessions, outbox, definition.handlers, clock)
        app.state.engine = engine
        app.state.sessions = sessions
        app.state.outbox = outbox
        app.state.runtime = runtime
        context = WorkerContext(settings, sessions, outbox, clock)
        every_worker = [*definition.workers, INBOX_PRUNER]
        workers = [RunningWorker(worker, context) for worker in every_worker]
        app.state.workers = workers
        try:
            async with AsyncExitStack() as resources:
                for resource in definition.resources:
                    await resources.enter_async_context(resource(app, settings))
                await runtime.start()
                for worker in workers:
                    worker.start()
                yield
        finally:
            for worker in workers:
                await worker.stop()
            await runtime.stop()
            await engine.dispose()

    # FastAPI's own OpenTelemetry (a span per request once a tracer provider is set, as
    # configure_tracing sets one) is off: trace_requests traces requests.
    app = FastAPI(
        title=f"OneDoor {definition.title}",
        version="1.0.0",
        lifespan=lifespan,
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.state.clock = clock
    app.state.definition = definition
    app.state.token_verifier = TokenVerifier(settings)
    install_error_handlers(app)
    app.add_middleware(RetryTransientConflicts)
    _add_health_routes(app, definition)
    for router in definition.routers:
        app.include_router(router)
    observe(app, definition.name, lambda: _service_readings(app, definition))
    trace_requests(app, settings)
    return app


async def _service_readings(app: FastAPI, definition: ServiceDefinition) -> list[Reading]:
    """The outbox backlog, consumer lag and dead letters, then the service's own figures."""
    runtime: MessagingRuntime = app.state.runtime
    service = {"service": definition.name}
    found: list[Reading] = []
    if runtime.relay is not None:
        unsent, oldest_s = await runtime.relay.backlog()
        found += [
            Reading("onedoor_outbox_unsent", "Outbox events not yet published.", unsent, service),
            Reading(
                "onedoor_outbox_oldest_unsent_age_seconds",
                "Age of the oldest unpublished outbox event.",
                oldest_s,
                service,
            ),
        ]
    if runtime.consumer is not None:
        for topic, behind in (await runtime.consumer.lag()).items():
            labels = {**service, "topic": topic}
            found.append(
                Reading("onedoor_consumer_lag", "Records not yet applied.", behind, labels)
            )
        found.append(
            Reading(
                "onedoor_dead_letters",
                "Events this process sent to its dead-letter topic since it started.",
                runtime.consumer.dead_lettered,
                service,
                counter=True,
            )
        )
    async with app.state.sessions(execution_options=READ_ONLY) as session, session.begin():
        for probe in definition.metrics:
            found += await probe(session)
    return found


def _add_health_routes(app: FastAPI, definition: ServiceDefinition) -> None:
    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict[str, str]:
        """The process is alive."""
        return {"status": "ok", "service": definition.name}

    @app.get("/readyz", tags=["health"])
    async def readyz(request: Request) -> JSONResponse:
        """The database answers, the broker is reachable, relay and consumer are healthy."""
        runtime: MessagingRuntime = request.app.state.runtime
        problems: list[str] = []
        report: dict[str, Any] = {"service": definition.name, "messaging": runtime.status()}
        try:
            await ping(request.app.state.engine)
            readers = request.app.state.sessions
            async with readers(execution_options=READ_ONLY) as session, session.begin():
                for check in definition.readiness_checks:
                    problem = await check(session)
                    if problem:
                        problems.append(problem)
            if runtime.relay is not None:
                report["outbox_oldest_unsent_age_s"] = await runtime.relay.oldest_unsent_age_s()
        except Exception as error:
            problems.append(f"database: {error}")
        if not runtime.ready:
            problems.append("messaging not ready")
        for worker in request.app.state.workers:
            if worker.last_error:
                problems.append(f"worker {worker.worker.name}: {worker.last_error}")
        report["status"] = "ready" if not problems else "not ready"
        report["problems"] = problems
        return JSONResponse(report, status_code=200 if not problems else 503)


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    sessions: async_sessionmaker[AsyncSession] = request.app.state.sessions
    async with sessions() as session:
        yield session


# Dependencies are `async def` even when they only read app.state: FastAPI runs a plain
# `def` dependency in a worker thread, a hand-off that cost more CPU than the request's
# routing.


async def _outbox(request: Request) -> Outbox:
    outbox: Outbox = request.app.state.outbox
    return outbox


async def _clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


SessionDep = Annotated[AsyncSession, Depends(_session)]
OutboxDep = Annotated[Outbox, Depends(_outbox)]
ClockDep = Annotated[Clock, Depends(_clock)]
