"""Tracing through the pipeline without a span per event.

The relay and the consumer work in batches, and so do their spans: one span per
batch, linked to the trace of every event in it. Each record carries its
writer's `traceparent`, and a handler runs in the context of that remote parent,
so whatever it does (logs, calls, the events it publishes) continues the
writer's trace. A failing event, retried alone, gets a span of its own
(`span_from`) that holds the error. A span costs tens of microseconds with the
SDK, as much as all the rest of an event's way through the consumer.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import Token
from functools import lru_cache

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Link, Span, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from shared.telemetry import tracer

MAX_LINKS = 128  # the SDK's default limit of links per span
_W3C = TraceContextTextMapPropagator()


@contextmanager
def batch_span(
    name: str, kind: SpanKind, traceparents: Iterable[str | None], size: int
) -> Iterator[Span]:
    """A span for a batch of `size` events, linked to the distinct traces they carry."""
    links = [
        Link(trace.get_current_span(_remote_parent(parent)).get_span_context())
        for parent in sorted({parent for parent in traceparents if parent})[:MAX_LINKS]
    ]
    with tracer().start_as_current_span(
        name,
        kind=kind,
        attributes={"messaging.system": "kafka", "messaging.batch.message_count": size},
        links=links,
    ) as span:
        yield span


class TraceRuns:
    """Runs a batch's events one after another, each in the trace it carries (as is,
    without one), switching the current context only where the trace changes: the
    events of one transaction share their writer's, so a run of them costs one
    attach and one detach, not one per event. `leave()` when the batch is done."""

    def __init__(self) -> None:
        self._traceparent: str | None = None
        self._token: Token[Context] | None = None

    def enter(self, traceparent: str | None) -> None:
        if traceparent == self._traceparent:
            return
        self.leave()
        if traceparent:
            self._token = otel_context.attach(_remote_parent(traceparent))
            self._traceparent = traceparent

    def leave(self) -> None:
        if self._token is not None:
            otel_context.detach(self._token)
        self._token = self._traceparent = None


@lru_cache(maxsize=1024)
def _remote_parent(traceparent: str) -> Context:
    # Cached: the events of one transaction share their writer's traceparent, and a
    # Context is immutable.
    return _W3C.extract({"traceparent": traceparent})


def current_traceparent() -> str | None:
    """The W3C `traceparent` of the current span (None outside a trace): what
    `propagate.inject` writes, without building a carrier and running every
    configured propagator for each event an outbox takes."""
    span = trace.get_current_span().get_span_context()
    if not span.is_valid:
        return None
    return _traceparent(span.trace_id, span.span_id, span.trace_flags)


@lru_cache(maxsize=1024)
def _traceparent(trace_id: int, span_id: int, flags: int) -> str:
    return f"00-{trace_id:032x}-{span_id:016x}-{flags:02x}"
