"""Per-operation GraphQL metrics (the HTTP ones, shared/metrics.py, see only POST /graphql)."""

from __future__ import annotations

import re

from prometheus_client import Counter, Gauge, Histogram
from strawberry.types import ExecutionContext

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


def record_operation(context: ExecutionContext, seconds: float) -> None:
    """Count an executed operation and its time (gateway/operation.py calls it after each)."""
    name = context.operation_name or "anonymous"
    name = name if _NAME.fullmatch(name) else "invalid"
    try:
        kind = context.operation_type.value
    except Exception:  # the document did not parse: there is no operation
        kind = "unknown"
    outcome = "error" if context.result is not None and context.result.errors else "ok"
    GRAPHQL_OPERATIONS.labels(name, kind, outcome).inc()
    GRAPHQL_SECONDS.labels(name, kind).observe(seconds)
