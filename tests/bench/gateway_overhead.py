"""Gateway overhead: a query and a mutation through GraphQL against the direct service
calls they wrap, in the same run.

Each operation asks only for fields of what the service answers, so the gateway makes
exactly one call to the desks service, the same call the direct side makes: the query
`request(id)` wraps `GET /requests/{id}`, the mutation `commentOnRequest` wraps
`POST /requests/{id}/comments`. Calls run one at a time (latency, not throughput) and
alternate which side goes first, so drift on this noisy machine hits both sides alike.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from shared.auth import Role
from tests.bench.cpu import CpuMeter
from tests.bench.door import CLIENT, GraphQLFailed, graphql, submit
from tests.bench.results import BenchmarkResult, Metric, at_most, mean, percentile
from tests.bench.stack import BenchStack

READ = "query Read($id: ID!) { request(id: $id) { id title status } }"
COMMENT = """
mutation Comment($id: ID!, $body: String!) {
  commentOnRequest(id: $id, body: $body) { id requestId }
}"""
TARGET_RATIO = 1.3
WARMUP = 30

Call = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class Pair:
    """One operation through the gateway and the direct call it wraps."""

    kind: str  # query or mutation
    direct_name: str
    gateway_name: str
    direct: Call
    through_gateway: Call


async def gateway_overhead(stack: BenchStack, *, iterations: int) -> BenchmarkResult:
    headers = stack.bearer(Role.client, client=CLIENT)
    async with httpx.AsyncClient(timeout=10) as http:
        request_id = await submit(http, stack.graphql_url, headers, "RULE_OF_LAW", 0)
        request_url = f"{stack.service_url('desks')}/requests/{request_id}"

        async def read_direct() -> None:
            response = await http.get(request_url, headers=headers)
            response.raise_for_status()
            response.json()

        async def read_through_gateway() -> None:
            data = await graphql(http, stack.graphql_url, headers, READ, id=request_id)
            if data["request"]["id"] != request_id:
                raise GraphQLFailed(f"the gateway returned another request: {data}")

        async def comment_direct() -> None:
            body = {"body": "Bench comment, direct", "internal": False}
            response = await http.post(f"{request_url}/comments", json=body, headers=headers)
            response.raise_for_status()
            response.json()

        async def comment_through_gateway() -> None:
            data = await graphql(
                http, stack.graphql_url, headers, COMMENT, id=request_id, body="Bench comment"
            )
            if data["commentOnRequest"]["requestId"] != request_id:
                raise GraphQLFailed(f"the gateway commented elsewhere: {data}")

        pairs = [
            Pair(
                "query",
                "direct desks GET /requests/{id}",
                "gateway request(id) { id title status }",
                read_direct,
                read_through_gateway,
            ),
            Pair(
                "mutation",
                "direct desks POST /requests/{id}/comments",
                "gateway commentOnRequest { id requestId }",
                comment_direct,
                comment_through_gateway,
            ),
        ]
        metrics: list[Metric] = []
        details: dict[str, float] = {}
        for pair in pairs:
            for _ in range(WARMUP):
                await pair.direct()
                await pair.through_gateway()
            # The gateway idles during the direct calls: its CPU over the interleaved
            # calls is its CPU for the operations through it.
            meter = CpuMeter({"gateway": stack.process_ids()["gateway"]})
            direct_ms, gateway_ms = await _interleaved(
                pair.direct, pair.through_gateway, iterations
            )
            gateway_cpu_ms = meter.used_s()["gateway"] * 1000 / iterations
            metrics += _metrics(pair, direct_ms, gateway_ms)
            metrics.append(Metric(f"{pair.kind}: gateway CPU per operation", gateway_cpu_ms, "ms"))
            details[f"{pair.direct_name} p95_ms"] = percentile(direct_ms, 0.95)
            details[f"{pair.gateway_name} p95_ms"] = percentile(gateway_ms, 0.95)
    return BenchmarkResult(
        name="gateway overhead",
        metrics=metrics,
        notes=[
            f"{iterations} sequential calls each side, interleaved, after {WARMUP} warm-up pairs; "
            "the query first, then the mutation"
        ],
        details={"iterations": iterations, **details},
    )


async def _interleaved(
    first: Call, second: Call, iterations: int
) -> tuple[list[float], list[float]]:
    first_ms: list[float] = []
    second_ms: list[float] = []
    for iteration in range(iterations):
        pairs = [(first, first_ms), (second, second_ms)]
        for call, timings in pairs if iteration % 2 == 0 else reversed(pairs):
            started = time.perf_counter()
            await call()
            timings.append((time.perf_counter() - started) * 1000)
    return first_ms, second_ms


def _metrics(pair: Pair, direct_ms: list[float], gateway_ms: list[float]) -> list[Metric]:
    direct_p50, gateway_p50 = percentile(direct_ms, 0.5), percentile(gateway_ms, 0.5)
    direct_mean, gateway_mean = mean(direct_ms), mean(gateway_ms)
    return [
        Metric(f"{pair.direct_name} p50", direct_p50, "ms"),
        Metric(f"{pair.direct_name} mean", direct_mean, "ms"),
        Metric(f"{pair.gateway_name} p50", gateway_p50, "ms"),
        Metric(f"{pair.gateway_name} mean", gateway_mean, "ms"),
        Metric(
            f"{pair.kind}: ratio gateway / direct, p50",
            gateway_p50 / direct_p50,
            "x",
            at_most(TARGET_RATIO),
        ),
        Metric(
            f"{pair.kind}: ratio gateway / direct, mean",
            gateway_mean / direct_mean,
            "x",
            at_most(TARGET_RATIO),
        ),
    ]
