"""The services' HTTP layer (shared/service.py): what its cheaper plumbing must keep."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from services.desks.app import DesksSettings, create_app
from services.desks.routes import intake
from shared.auth import Role
from shared.clock import SystemClock
from shared.db import create_engine, session_factory
from shared.errors import current_trace_id, install_error_handlers
from shared.messaging import Outbox
from shared.settings import PlatformSettings
from shared.telemetry import configure_tracing, trace_requests
from shared.testing.tokens import bearer

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
TRACEPARENT = f"00-{TRACE_ID}-b7ad6b7169203331-01"


def traced_app(settings: PlatformSettings) -> FastAPI:
    configure_tracing("tests", settings)
    app = FastAPI()

    @app.get("/trace")
    async def trace_id() -> dict[str, str]:
        return {"trace_id": current_trace_id()}

    @app.get("/fail")
    async def fail() -> None:
        raise RuntimeError("a bug")

    install_error_handlers(app)
    trace_requests(app, settings)
    return app


def client_of(app: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://test")


async def test_a_request_runs_in_the_callers_trace_without_an_exporter() -> None:
    async with client_of(traced_app(PlatformSettings(trace_exporter="none"))) as http:
        joined = (await http.get("/trace", headers={"traceparent": TRACEPARENT})).json()
        first = (await http.get("/trace")).json()
        second = (await http.get("/trace")).json()
        failed = await http.get("/fail", headers={"traceparent": TRACEPARENT})
    assert joined["trace_id"] == TRACE_ID
    # The unexpected error's answer (made by the outermost error middleware) names it too.
    assert failed.status_code == 500
    assert failed.json()["detail"] == {
        "code": "INTERNAL",
        "message": "internal error",
        "trace_id": TRACE_ID,
    }
    # Without a caller's trace each request starts its own, so its log lines still join up.
    assert len(first["trace_id"]) == 32 and first["trace_id"] != second["trace_id"]


def test_with_an_exporter_requests_keep_opentelemetrys_instrumentation() -> None:
    app = traced_app(PlatformSettings(trace_exporter="console"))
    assert getattr(app, "_is_instrumented_by_opentelemetry", False)


@pytest.fixture
async def desks(keys_dir: Path) -> AsyncIterator[FastAPI]:
    """The desks app without its lifespan: what a route's dependencies read from
    app.state, on a database nothing connects to (these requests are refused first)."""
    app = create_app(DesksSettings(var_dir=keys_dir))
    engine = create_engine("sqlite+aiosqlite:///:memory:")
    app.state.sessions = session_factory(engine)
    app.state.outbox = Outbox(source="/onedoor/desks", clock=SystemClock())
    yield app
    await engine.dispose()


def _dependencies(dependant: Dependant) -> Iterator[Dependant]:
    for dependency in dependant.dependencies:
        yield dependency
        yield from _dependencies(dependency)


def test_no_dependency_of_intake_runs_in_a_worker_thread() -> None:
    """FastAPI runs a plain `def` dependency (or a class) in a thread; every one intake
    needs is a coroutine function, so none pays that hand-off."""
    (submit,) = [
        route
        for route in intake.router.routes
        if isinstance(route, APIRoute) and route.path == "/requests" and route.methods == {"POST"}
    ]
    calls = [dependency.call for dependency in _dependencies(submit.dependant) if dependency.call]
    assert calls
    threaded = [
        call
        for call in calls
        if not (inspect.iscoroutinefunction(call) or inspect.isasyncgenfunction(call))
    ]
    assert not threaded


async def test_refusals_keep_their_shape(desks: FastAPI) -> None:
    settings = desks.state.settings
    async with client_of(desks) as http:
        anonymous = await http.post("/requests", json={"title": "A request", "description": ""})
        malformed = await http.post(
            "/requests",
            json={"title": "A request", "description": "", "urgency": "SOMEDAY"},
            headers=bearer(settings, Role.client, client="MINUSMA"),
        )
        bad_key = await http.post(
            "/requests",
            json={"title": "A request", "description": ""},
            headers={**bearer(settings, Role.client, client="MINUSMA"), "Idempotency-Key": "a b"},
        )
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == "Bearer"
    assert anonymous.json() == {
        "detail": {"code": "UNAUTHENTICATED", "message": "missing bearer token"}
    }
    assert malformed.status_code == 422
    detail = malformed.json()["detail"]
    assert (detail["code"], detail["message"]) == ("BAD_USER_INPUT", "invalid input")
    assert [error["loc"] for error in detail["errors"]] == [["body", "urgency"]]
    assert bad_key.status_code == 422
    assert [error["loc"] for error in bad_key.json()["detail"]["errors"]] == [
        ["header", "Idempotency-Key"]
    ]
