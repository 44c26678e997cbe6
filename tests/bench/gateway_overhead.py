"""Gateway overhead: one read through GraphQL against the direct service call it wraps.

The query asks only for fields of the request itself, so the gateway makes exactly
one call to the desks service: the same `GET /requests/{id}` the direct side makes.
Calls run one at a time (latency, not throughput) and alternate which side goes
first, so drift on this noisy machine hits both sides alike.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import httpx

from shared.auth import Role
from tests.bench.door import CLIENT, GraphQLFailed, graphql, submit
from tests.bench.results import BenchmarkResult, Metric, at_most, mean, percentile
from tests.bench.stack import BenchStack

READ = "query Read($id: ID!) { request(id: $id) { id title status } }"
TARGET_RATIO = 1.5
WARMUP = 30

Call = Callable[[], Awaitable[None]]


async def gateway_overhead(stack: BenchStack, *, iterations: int) -> BenchmarkResult:
    headers = stack.bearer(Role.client, client=CLIENT)
    async with httpx.AsyncClient(timeout=10) as http:
        request_id = await submit(http, stack.graphql_url, headers, "RULE_OF_LAW", 0)

        async def direct() -> None:
            response = await http.get(
                f"{stack.service_url('desks')}/requests/{request_id}", headers=headers
            )
            response.raise_for_status()
            response.json()

        async def through_gateway() -> None:
            data = await graphql(http, stack.graphql_url, headers, READ, id=request_id)
            if data["request"]["id"] != request_id:
                raise GraphQLFailed(f"the gateway returned another request: {data}")

        for _ in range(WARMUP):
            await direct()
            await through_gateway()
        direct_ms, gateway_ms = await _interleaved(direct, through_gateway, iterations)
    return _result(direct_ms, gateway_ms, iterations)


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


def _result(direct_ms: list[float], gateway_ms: list[float], iterations: int) -> BenchmarkResult:
    direct_p50, gateway_p50 = percentile(direct_ms, 0.5), percentile(gateway_ms, 0.5)
    direct_mean, gateway_mean = mean(direct_ms), mean(gateway_ms)
    return BenchmarkResult(
        name="gateway overhead",
        metrics=[
            Metric("direct desks GET /requests/{id} p50", direct_p50, "ms"),
            Metric("direct desks GET /requests/{id} mean", direct_mean, "ms"),
            Metric("gateway request(id) { id title status } p50", gateway_p50, "ms"),
            Metric("gateway request(id) { id title status } mean", gateway_mean, "ms"),
            Metric(
                "ratio gateway / direct, p50", gateway_p50 / direct_p50, "x", at_most(TARGET_RATIO)
            ),
            Metric(
                "ratio gateway / direct, mean",
                gateway_mean / direct_mean,
                "x",
                at_most(TARGET_RATIO),
            ),
        ],
        notes=[
            f"{iterations} sequential calls each side, interleaved, after {WARMUP} warm-up pairs"
        ],
        details={
            "iterations": iterations,
            "direct_p95_ms": percentile(direct_ms, 0.95),
            "gateway_p95_ms": percentile(gateway_ms, 0.95),
        },
    )
