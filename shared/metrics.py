"""Prometheus metrics and the access log, for every OneDoor process.

`observe(app, process, probe)` mounts both on a FastAPI app:

- every HTTP request is counted and timed per route template (not per raw path,
  so ids do not explode the series) and logged once on `onedoor.access`;
- `GET /metrics` serves the Prometheus text format. Figures that live in the
  database or the broker (outbox backlog, consumer lag, dead letters, webhook
  deliveries, SLA breaches) are read by the process's `probe` at scrape time, so
  they are exact when scraped and cost nothing in between.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field

from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.logging import access_logger

log = logging.getLogger(__name__)

PROBE_TIMEOUT_S = 3.0
UNMATCHED_ROUTE = "unmatched"

HTTP_REQUESTS = Counter(
    "onedoor_http_requests_total",
    "HTTP requests answered, by route template and status code.",
    ["process", "method", "route", "status"],
)
HTTP_SECONDS = Histogram(
    "onedoor_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template.",
    ["process", "method", "route"],
)


@dataclass(frozen=True)
class Reading:
    """One sample a probe read: a gauge, or a counter when `counter` (name without _total)."""

    name: str
    help: str
    value: float
    labels: dict[str, str] = field(default_factory=dict)
    counter: bool = False


Probe = Callable[[], Awaitable[list[Reading]]]


class ProbeReadings(Collector):
    """Serves the readings of the last scrape's probe to prometheus_client."""

    def __init__(self) -> None:
        self.readings: list[Reading] = []

    def collect(self) -> Iterator[Metric]:
        families: dict[str, GaugeMetricFamily | CounterMetricFamily] = {}
        for reading in self.readings:
            family = families.get(reading.name)
            if family is None:
                kind = CounterMetricFamily if reading.counter else GaugeMetricFamily
                family = kind(reading.name, reading.help, labels=list(reading.labels))
                families[reading.name] = family
            family.add_metric(list(reading.labels.values()), reading.value)
        yield from families.values()


_PROBE_READINGS = ProbeReadings()
REGISTRY.register(_PROBE_READINGS)


class ObserveRequests:
    """ASGI middleware: count, time and access-log each HTTP request."""

    def __init__(self, app: ASGIApp, process: str) -> None:
        self.app = app
        self.process = process
        self.access = access_logger()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_record)
        finally:
            self._record(scope, status, time.perf_counter() - started)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        route = _route_label(scope)
        method = scope["method"]
        HTTP_REQUESTS.labels(self.process, method, route, str(status)).inc()
        HTTP_SECONDS.labels(self.process, method, route).observe(seconds)
        if route not in ("/healthz", "/readyz", "/metrics"):
            # Client mistakes (4xx) are the client's: INFO, like every other answer.
            level = logging.ERROR if status >= 500 else logging.INFO
            self.access.log(
                level,
                "%s %s %d",
                method,
                scope["path"],
                status,
                extra={
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                    "client": (scope.get("client") or ("", 0))[0],
                },
            )


def _route_label(scope: Scope) -> str:
    """The matched route's template. A router included under a prefix at its own root
    (GraphQL's) has an empty template: its path is then the prefix, one fixed value."""
    route = scope.get("route")
    if route is None:
        return UNMATCHED_ROUTE
    return getattr(route, "path", "") or str(scope["path"])


def observe(app: FastAPI, process: str, probe: Probe | None = None) -> None:
    """Mount the request metrics, the access log and `GET /metrics` on `app`."""
    app.add_middleware(ObserveRequests, process=process)

    @app.get("/metrics", tags=["health"], include_in_schema=False)
    async def metrics(_request: Request) -> Response:
        if probe is not None:
            _PROBE_READINGS.readings = await _read(probe)
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


async def _read(probe: Probe) -> list[Reading]:
    try:
        return await asyncio.wait_for(probe(), PROBE_TIMEOUT_S)
    except Exception as error:
        # A scrape must still answer (the HTTP series matter most when the database is down).
        log.warning("metrics probe failed: %r", error)
        return [Reading("onedoor_metrics_probe_failed", "1 when the last probe failed.", 1.0)]


def readings(name: str, help: str, values: Iterable[tuple[dict[str, str], float]]) -> list[Reading]:
    return [Reading(name, help, value, labels) for labels, value in values]
