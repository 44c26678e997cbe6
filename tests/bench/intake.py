"""Intake to routed: requests through the gateway at a sustained rate, open loop.

Each request names one product (round robin over the five) and is fired on its
own schedule whether or not earlier ones have answered, so a slow stack faces a
growing backlog as real clients would make it, instead of a politely slowing
client. A request counts as routed when the provider accepted its engagement;
the desk recording that (the request turning `in_progress`, what the client sees
through the door) is reported beside it.

Requests not in progress within the routing timeout after the load count as not
routed in time. The stack is then left to go idle, and every request is checked
in both services' APIs: still no accepted engagement means lost for good; more
than one engagement, routing or acceptance event means a duplicated effect.
"""

from __future__ import annotations

import asyncio
import math
import os
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from shared.auth import Role
from tests.bench.cpu import CpuMeter, wait_until_idle
from tests.bench.door import CLIENT, PRODUCTS, submit, submit_body, submitted_id
from tests.bench.lean_http import LeanHttpClient
from tests.bench.milestones import Milestones
from tests.bench.results import BenchmarkResult, Metric, at_most, latency_summary, percentile
from tests.bench.stack import BenchStack

TARGET_P50_MS = 50
TARGET_P99_MS = 250
TARGET_CPU_MS_PER_REQUEST = 12
LOAD_GENERATOR = "bench"
WARM_UP_TIMEOUT_S = 30.0
SUBMIT_TIMEOUT_S = 60.0
VERIFY_CONCURRENCY = 16
ENGAGEMENTS_PER_CALL = 100
MAX_PAGES = 1000
BENCH_TITLE = re.compile(r"^Bench request (\d+) ")


@dataclass
class Submission:
    number: int
    product: str
    lag_ms: float  # how late the generator fired it against its schedule
    sent_wall_ms: float = math.nan
    response_ms: float = math.nan
    request_id: str | None = None
    error: str | None = None


@dataclass
class Effects:
    """What the services hold for one request once the stack went idle."""

    engagements: int = 0
    accepted_engagements: int = 0
    routings: int = 0
    accepted_routings: int = 0
    readable: bool = True


@dataclass
class Outcome:
    submissions: list[Submission]
    routed_in_time: set[str]
    cpu_s_by_process: dict[str, float]
    load_wall_s: float
    idle_after_s: float = math.nan
    went_idle: bool = False
    effects: dict[str, Effects] = field(default_factory=dict)
    # Submits the client saw fail whose request the desk took in anyway: a client
    # that retried would have made a duplicate.
    failed_but_taken_in: int = 0

    @property
    def submitted(self) -> list[Submission]:
        return [s for s in self.submissions if s.request_id]

    @property
    def failed(self) -> list[Submission]:
        return [s for s in self.submissions if s.error]


async def intake_to_routed(
    stack: BenchStack, *, rate: float, duration_s: float, routing_timeout_s: float
) -> BenchmarkResult:
    client = stack.bearer(Role.client, client=CLIENT)
    admin = stack.bearer(Role.admin)
    milestones = Milestones(stack)
    await milestones.start()
    limits = httpx.Limits(max_connections=500, max_keepalive_connections=100)
    try:
        async with httpx.AsyncClient(timeout=30, limits=limits) as http:
            await _warm_up(http, stack, client, milestones)
            outcome = await _load(
                http, stack, client, milestones, rate, duration_s, routing_timeout_s
            )
            # Judge effects on the final state, once the backlog has been worked off.
            outcome.idle_after_s, outcome.went_idle = await asyncio.to_thread(
                wait_until_idle, stack.process_ids()
            )
            outcome.effects = await _effects(http, stack, client, admin, outcome.submitted)
            outcome.failed_but_taken_in = await _failed_but_taken_in(
                http, stack, client, outcome.failed
            )
    finally:
        await milestones.stop()
    return _result(outcome, milestones, rate, duration_s, routing_timeout_s)


async def _warm_up(
    http: httpx.AsyncClient, stack: BenchStack, headers: dict[str, str], milestones: Milestones
) -> None:
    """Route one request per product before the clock starts: the first call of each
    path pays for lazy imports, compiled statements and schema caches."""
    request_ids = {
        await submit(http, stack.graphql_url, headers, product, -1) for product in PRODUCTS
    }
    if not await _until(lambda: request_ids <= milestones.in_progress.keys(), WARM_UP_TIMEOUT_S):
        raise TimeoutError(f"warm-up requests not in progress after {WARM_UP_TIMEOUT_S:.0f} s")


async def _load(
    http: httpx.AsyncClient,
    stack: BenchStack,
    headers: dict[str, str],
    milestones: Milestones,
    rate: float,
    duration_s: float,
    routing_timeout_s: float,
) -> Outcome:
    meter = CpuMeter({**stack.process_ids(), LOAD_GENERATOR: os.getpid()})
    door = LeanHttpClient(stack.graphql_url, timeout_s=SUBMIT_TIMEOUT_S)
    try:
        submissions = await _fire_on_schedule(door, headers, rate, duration_s)
    finally:
        await door.aclose()
    pending = {s.request_id for s in submissions if s.request_id}
    await _until(lambda: pending <= milestones.in_progress.keys(), routing_timeout_s)
    return Outcome(
        submissions,
        routed_in_time=pending & milestones.in_progress.keys(),
        cpu_s_by_process=meter.used_s(),
        load_wall_s=meter.wall_s,
    )


async def _until(condition: Callable[[], bool], timeout_s: float) -> bool:
    """Poll an in-process condition, bounded in time; return whether it came true."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


async def _fire_on_schedule(
    door: LeanHttpClient, headers: dict[str, str], rate: float, duration_s: float
) -> list[Submission]:
    loop = asyncio.get_running_loop()
    start = loop.time()
    submissions: list[Submission] = []
    in_flight: list[asyncio.Task[None]] = []
    for number in range(round(rate * duration_s)):
        scheduled = start + number / rate
        if (delay := scheduled - loop.time()) > 0:
            await asyncio.sleep(delay)
        submission = Submission(
            number, PRODUCTS[number % len(PRODUCTS)], lag_ms=(loop.time() - scheduled) * 1000
        )
        submissions.append(submission)
        in_flight.append(asyncio.create_task(_submit(door, headers, submission)))
    await asyncio.gather(*in_flight)
    return submissions


async def _submit(door: LeanHttpClient, headers: dict[str, str], submission: Submission) -> None:
    body = submit_body(submission.product, submission.number)
    submission.sent_wall_ms = time.time() * 1000
    started = time.perf_counter()
    try:
        submission.request_id = submitted_id(*await door.post_json(body, headers))
    except Exception as error:
        submission.error = f"{type(error).__name__}: {error}"[:300]
    submission.response_ms = (time.perf_counter() - started) * 1000


async def _effects(
    http: httpx.AsyncClient,
    stack: BenchStack,
    client: dict[str, str],
    admin: dict[str, str],
    submitted: list[Submission],
) -> dict[str, Effects]:
    request_ids = [s.request_id for s in submitted if s.request_id]
    effects = {request_id: Effects() for request_id in request_ids}
    products = stack.service_url("products")
    for start in range(0, len(request_ids), ENGAGEMENTS_PER_CALL):
        batch = request_ids[start : start + ENGAGEMENTS_PER_CALL]
        response = await http.get(
            f"{products}/engagements", params={"request_id": batch, "limit": 1000}, headers=admin
        )
        response.raise_for_status()
        for engagement in response.json():
            found = effects[engagement["request_id"]]
            found.engagements += 1
            found.accepted_engagements += engagement["status"] == "accepted"

    desks = stack.service_url("desks")
    gate = asyncio.Semaphore(VERIFY_CONCURRENCY)

    async def read_routings(request_id: str) -> None:
        found = effects[request_id]
        try:
            async with gate:
                response = await http.get(f"{desks}/requests/{request_id}", headers=client)
            response.raise_for_status()
        except httpx.HTTPError:
            found.readable = False
            return
        routings = response.json()["routings"]
        found.routings = len(routings)
        found.accepted_routings = sum(routing["status"] == "accepted" for routing in routings)

    await asyncio.gather(*(read_routings(request_id) for request_id in request_ids))
    return effects


async def _failed_but_taken_in(
    http: httpx.AsyncClient, stack: BenchStack, client: dict[str, str], failed: list[Submission]
) -> int:
    """Count failed submits whose request exists anyway, found by title in the client's list."""
    if not failed:
        return 0
    failed_numbers = {s.number for s in failed}
    taken_in, after = 0, None
    url = f"{stack.service_url('desks')}/requests"
    for _ in range(MAX_PAGES):
        params = {"first": 100, **({"after": after} if after else {})}
        response = await http.get(url, params=params, headers=client)
        response.raise_for_status()
        page = response.json()
        for edge in page["edges"]:
            title = BENCH_TITLE.match(edge["node"]["title"])
            taken_in += bool(title and int(title.group(1)) in failed_numbers)
        if not page["has_next_page"]:
            break
        after = page["end_cursor"]
    return taken_in


def _result(
    outcome: Outcome,
    milestones: Milestones,
    rate: float,
    duration_s: float,
    routing_timeout_s: float,
) -> BenchmarkResult:
    submitted = outcome.submitted
    not_in_time = [s.request_id for s in submitted if s.request_id not in outcome.routed_in_time]
    lost = [
        request_id
        for request_id, found in outcome.effects.items()
        if not (found.accepted_engagements and found.accepted_routings)
    ]
    duplicated = [
        request_id
        for request_id, found in outcome.effects.items()
        if found.engagements > 1
        or found.routings > 1
        or len(milestones.acceptance_event_ids.get(request_id, ())) > 1
    ]
    accepted = latency_summary(_since_submit(submitted, milestones.engagement_accepted))
    in_progress = latency_summary(_since_submit(submitted, milestones.in_progress))
    response_ms = [s.response_ms for s in submitted]
    step, seen = "intake → engagement accepted", "intake → request in progress at the desk"
    return BenchmarkResult(
        name=f"intake to routed at {rate:g} req/s",
        metrics=[
            Metric("offered rate (open loop)", rate, "req/s"),
            Metric("achieved submit rate", _achieved_rate(outcome.submissions), "req/s"),
            Metric(
                "generator lag behind schedule, p99",
                percentile([s.lag_ms for s in outcome.submissions], 0.99),
                "ms",
            ),
            Metric("submits answered OK", len(submitted), "req"),
            Metric("submits failed", len(outcome.failed), "req", at_most(0)),
            Metric("failed submits the desk took in anyway", outcome.failed_but_taken_in, "req"),
            Metric("submitRequest round trip p50", percentile(response_ms, 0.5), "ms"),
            Metric("submitRequest round trip p99", percentile(response_ms, 0.99), "ms"),
            Metric(f"{step} p50", accepted["p50_ms"], "ms", at_most(TARGET_P50_MS)),
            Metric(f"{step} p95", accepted["p95_ms"], "ms"),
            Metric(f"{step} p99", accepted["p99_ms"], "ms", at_most(TARGET_P99_MS)),
            Metric(f"{seen} p50", in_progress["p50_ms"], "ms", at_most(TARGET_P50_MS)),
            Metric(f"{seen} p95", in_progress["p95_ms"], "ms"),
            Metric(f"{seen} p99", in_progress["p99_ms"], "ms", at_most(TARGET_P99_MS)),
            Metric(
                f"not routed within {routing_timeout_s:g} s after the load",
                len(not_in_time),
                "req",
                at_most(0),
            ),
            Metric("lost (never routed, stack idle)", len(lost), "req", at_most(0)),
            Metric("duplicated effects", len(duplicated), "req", at_most(0)),
            *_cpu_per_request(outcome.cpu_s_by_process, len(submitted)),
        ],
        notes=_notes(outcome, milestones),
        details={
            "duration_s": duration_s,
            "offered": len(outcome.submissions),
            "products": Counter(s.product for s in outcome.submissions),
            "engagement_accepted_ms": accepted,
            "in_progress_ms": in_progress,
            "step_medians_ms": _step_medians(submitted, milestones),
            "cpu_s_by_process": outcome.cpu_s_by_process,
            "load_and_drain_wall_s": outcome.load_wall_s,
            "idle_after_s": outcome.idle_after_s,
            "went_idle": outcome.went_idle,
            "unreadable_requests": sum(not found.readable for found in outcome.effects.values()),
            "submit_errors": Counter(s.error for s in outcome.failed).most_common(5),
            "not_routed_in_time_request_ids": not_in_time[:20],
            "lost_request_ids": lost[:20],
            "duplicated_request_ids": duplicated[:20],
        },
    )


def _notes(outcome: Outcome, milestones: Milestones) -> list[str]:
    steps = _step_medians(outcome.submitted, milestones)
    notes = [f"median {name}: {median:.1f} ms" for name, median in steps.items()]
    notes.append(
        "latency percentiles cover the requests that got there (the rest count as lost); "
        "product capacity was raised so every engagement is auto-accepted"
    )
    notes.append(_cpu_note(outcome))
    if not outcome.went_idle:
        notes.append(f"the stack was still busy {outcome.idle_after_s:.0f} s after the load")
    return notes


def _achieved_rate(submissions: list[Submission]) -> float:
    sent_ms = [s.sent_wall_ms for s in submissions]
    if len(sent_ms) < 2 or max(sent_ms) == min(sent_ms):
        return math.nan
    return (len(sent_ms) - 1) / ((max(sent_ms) - min(sent_ms)) / 1000)


def _since_submit(submitted: list[Submission], reached_ms: dict[str, int]) -> list[float]:
    return [
        reached_ms[s.request_id] - s.sent_wall_ms for s in submitted if s.request_id in reached_ms
    ]


def _step_medians(submitted: list[Submission], milestones: Milestones) -> dict[str, float]:
    """Where the time goes: the median of each hop between published events."""
    submit_ms = {s.request_id: s.sent_wall_ms for s in submitted if s.request_id}
    hops: dict[str, tuple[dict[str, float], dict[str, int]]] = {
        "submit → routed published (gateway, desks API, desks relay)": (
            submit_ms,
            milestones.routed,
        ),
        "routed → engagement accepted published (products consumer, relay)": (
            {rid: float(ms) for rid, ms in milestones.routed.items()},
            milestones.engagement_accepted,
        ),
        "accepted → in progress published (desks consumer, relay)": (
            {rid: float(ms) for rid, ms in milestones.engagement_accepted.items()},
            milestones.in_progress,
        ),
    }
    return {
        name: percentile(
            [until[rid] - since[rid] for rid in submit_ms if rid in since and rid in until], 0.5
        )
        for name, (since, until) in hops.items()
    }


def _cpu_per_request(used_s: dict[str, float], requests: int) -> list[Metric]:
    """CPU milliseconds per answered request over the load and its drain: in total
    (every process of the stack, not the load generator) and per process."""
    per_request = {
        name: s * 1000 / requests if requests else math.nan for name, s in used_s.items()
    }
    stack_ms = sum(ms for name, ms in per_request.items() if name != LOAD_GENERATOR)
    return [
        Metric(
            "CPU per request, all processes of the stack",
            stack_ms,
            "ms",
            at_most(TARGET_CPU_MS_PER_REQUEST),
        ),
        *(
            Metric(f"CPU per request: {name}", ms, "ms")
            for name, ms in sorted(per_request.items(), key=lambda item: -item[1])
        ),
    ]


def _cpu_note(outcome: Outcome) -> str:
    used_s = outcome.cpu_s_by_process
    share = sum(used_s.values()) / (outcome.load_wall_s * (os.cpu_count() or 1)) * 100
    busiest = ", ".join(
        f"{name} {s:.1f}" for name, s in sorted(used_s.items(), key=lambda i: -i[1])
    )
    return (
        f"CPU seconds over the {outcome.load_wall_s:.1f} s of load and drain: {busiest} "
        f"({share:.0f} % of all cores)"
    )
