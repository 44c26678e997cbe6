"""Per-operation GraphQL metrics (the HTTP ones, shared/metrics.py, see only POST /graphql)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

from prometheus_client import Counter, Gauge, Histogram
from strawberry.extensions import SchemaExtension

GRAPHQL_OPERATIONS = Counter(
    "onedoor_graphql_operations_total",
    "GraphQL operations executed, by operation name, type and outcome (ok or error).",
    ["operation", "type", "outcome"],
)
GRAPHQL_SECONDS = Histogram(
    "onedoor_graphql_operation_duration_seconds",
    "Time to execute a GraphQL operation, by operation name and type.",
    ["operation", "type"],
)
LIVE_SUBSCRIPTIONS = Counter(
    "onedoor_gateway_live_subscriptions_total",
    "GraphQL subscriptions registered with the live event stream (from then on they get its events).",
)
LIVE_SUBSCRIBERS = Gauge(
    "onedoor_gateway_live_subscribers",
    "GraphQL subscriptions listening to the live event stream now.",
)
# Names come from callers: anything that is not a plain GraphQL name is lumped together.
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


class OperationMetrics(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        context = self.execution_context
        name = context.operation_name or "anonymous"
        name = name if _NAME.fullmatch(name) else "invalid"
        try:
            kind = context.operation_type.value
        except Exception:  # the document did not parse: there is no operation
            kind = "unknown"
        outcome = "error" if context.result is not None and context.result.errors else "ok"
        GRAPHQL_OPERATIONS.labels(name, kind, outcome).inc()
        GRAPHQL_SECONDS.labels(name, kind).observe(time.perf_counter() - started)
