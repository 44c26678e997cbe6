"""OpenTelemetry tracing: HTTP in and out, and across Kafka via `traceparent`.

The exporter is chosen by `ONEDOOR_TRACE_EXPORTER`: `none` (default; spans are
still created so trace ids propagate), `console`, or `otlp` (HTTP, to
`ONEDOOR_OTLP_ENDPOINT`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.trace import Span, SpanKind

from shared.settings import PlatformSettings

log = logging.getLogger(__name__)

_configured = False


def configure_tracing(
    service_name: str,
    settings: PlatformSettings,
    extra_processor: SpanProcessor | None = None,
) -> None:
    """Install the process-wide tracer provider once (later calls are no-ops)."""
    global _configured
    if _configured:
        return
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    exporter = _exporter(settings)
    if exporter is not None:
        processor_class = SimpleSpanProcessor if settings.trace_exporter == "console" else None
        provider.add_span_processor(
            processor_class(exporter) if processor_class else BatchSpanProcessor(exporter)
        )
    if extra_processor is not None:
        provider.add_span_processor(extra_processor)
    trace.set_tracer_provider(provider)
    _configured = True


def _exporter(settings: PlatformSettings) -> SpanExporter | None:
    if settings.trace_exporter == "console":
        return ConsoleSpanExporter()
    if settings.trace_exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        endpoint = settings.otlp_endpoint
        return OTLPSpanExporter(endpoint=endpoint) if endpoint else OTLPSpanExporter()
    return None


@cache
def tracer() -> trace.Tracer:
    # Cached: the SDK makes a new Tracer on every call (~50 µs here), once per event
    # in the consumer. Taken before tracing is configured it is a proxy that
    # delegates to the configured provider.
    return trace.get_tracer("onedoor")


def current_traceparent() -> str | None:
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get("traceparent")


def context_from_traceparent(traceparent: str | None) -> Context | None:
    return propagate.extract({"traceparent": traceparent}) if traceparent else None


@contextmanager
def span_from(
    name: str, traceparent: str | None, kind: SpanKind, attributes: Mapping[str, str]
) -> Iterator[Span]:
    """A span whose parent is the trace carried by `traceparent` (an event's origin)."""
    with tracer().start_as_current_span(
        name, context=context_from_traceparent(traceparent), kind=kind, attributes=attributes
    ) as span:
        yield span
