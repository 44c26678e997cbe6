"""The gateway's server spans.

With a trace exporter configured, OpenTelemetry's FastAPI instrumentation records a
span per request with its attributes and the spans of each message it sends. With
none (the default), nothing is recorded, and that instrumentation still cost about a
tenth of the gateway's CPU per request (its attributes, route lookup, and a span per
ASGI message). Then `RequestTrace` does only what a request needs: it runs in a span
whose parent is the caller's `traceparent`, so its log lines carry the trace id and
the services it calls (gateway/clients.py) join the same trace.
"""

from __future__ import annotations

from fastapi import FastAPI
from opentelemetry import propagate
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.trace import SpanKind
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.settings import PlatformSettings
from shared.telemetry import tracer

# The headers the W3C trace context and baggage propagators read.
_PROPAGATED = frozenset({b"traceparent", b"tracestate", b"baggage"})


class RequestTrace:
    """ASGI middleware: each HTTP request and websocket in a server span."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        carrier = {
            name.decode("latin-1"): value.decode("latin-1")
            for name, value in scope["headers"]
            if name in _PROPAGATED
        }
        parent = propagate.extract(carrier) if carrier else None
        name = scope.get("method", "WS")
        with tracer().start_as_current_span(name, context=parent, kind=SpanKind.SERVER):
            await self.app(scope, receive, send)


def trace_requests(app: FastAPI, settings: PlatformSettings) -> None:
    if settings.trace_exporter == "none":
        app.add_middleware(RequestTrace)
    else:
        FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz,readyz,metrics")
