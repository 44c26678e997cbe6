"""`python -m tests.bench`: run every benchmark once, print a table, write JSON.

Exit code 0 even when targets are missed (this is a measurement, not a test);
1 only when a benchmark crashed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from tests.bench.desks_growth import run as desks_growth
from tests.bench.gateway_overhead import gateway_overhead
from tests.bench.insights import run as insights_views
from tests.bench.intake import intake_to_routed
from tests.bench.lessons_search import run as lessons_search
from tests.bench.memory import idle_memory
from tests.bench.pipeline import event_pipeline
from tests.bench.report import print_table, write_json
from tests.bench.results import BenchmarkResult
from tests.bench.stack import BenchStack, running_stack

Benchmark = Callable[[], BenchmarkResult]
GATEWAY_OVERHEAD = "gateway overhead"
# The parts a run can be narrowed to while iterating on one of them.
# "gateway" is the stack's gateway-overhead bench alone (no intake loads, no memory).
PARTS = ("stack", "gateway", "pipeline", "lessons", "insights", "desks")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__)
    add = parser.add_argument
    add("--duration", type=float, default=60.0, help="intake load per rate, seconds (default 60)")
    add(
        "--rates",
        type=_rates,
        default=(25.0, 50.0, 100.0, 150.0),
        help="intake loads, requests/s, one after another (default 25,50,100,150)",
    )
    add(
        "--routing-timeout",
        type=float,
        default=30.0,
        help="seconds after the load ends before an unrouted request counts as lost",
    )
    add("--iterations", type=int, default=500, help="gateway overhead calls per side")
    add("--messages", type=int, default=20_000, help="events per event-pipeline run")
    add("--settle", type=float, default=5.0, help="idle seconds before measuring RSS")
    add("--lessons", type=int, default=100_000, help="lessons in the search corpus")
    add("--search-queries", type=int, default=300, help="search queries measured per engine")
    add("--insights-requests", type=int, default=100_000, help="requests in the insights corpus")
    add("--insights-runs", type=int, default=40, help="runs of each insights view per engine")
    add(
        "--desks-requests",
        type=int,
        default=100_000,
        help="stored requests the desks growth is measured up to (at 1 000 and 10 000 below it)",
    )
    add("--desks-calls", type=int, default=100, help="desks queue pages and submits per size")
    add("--output", type=Path, default=Path(".bench/results.json"))
    add(
        "--only",
        choices=PARTS,
        action="append",
        help="run only this part (repeatable): " + ", ".join(PARTS),
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    run = {"started_at": datetime.now(UTC).isoformat(), "load_average_before": os.getloadavg()}
    parts = set(args.only or PARTS)
    results: list[BenchmarkResult] = []
    with tempfile.TemporaryDirectory(prefix="onedoor-bench-") as work:
        if "stack" in parts:
            results += on_the_stack(args, Path(work) / "var")
        elif "gateway" in parts:
            results += on_the_stack(args, Path(work) / "var", gateway_only=True)
        if "pipeline" in parts:
            results.append(
                measure("event pipeline", lambda: pipeline(args, Path(work) / "pipeline"))
            )
        if "lessons" in parts:
            results.append(
                measure(
                    "lessons search",
                    lambda: lessons_search(
                        args.lessons, args.search_queries, Path(work) / "lessons"
                    ),
                )
            )
        if "insights" in parts:
            results.append(
                measure(
                    "insights views",
                    lambda: insights_views(
                        args.insights_requests, args.insights_runs, Path(work) / "insights"
                    ),
                )
            )
        if "desks" in parts:
            results.append(
                measure(
                    "desks growth",
                    lambda: desks_growth(
                        args.desks_requests, args.desks_calls, Path(work) / "desks"
                    ),
                )
            )
    print_table(results)
    write_json(args.output, results, {**run, **environment(args)})
    print(f"\nwritten to {args.output}")
    return 1 if any(result.status == "crashed" for result in results) else 0


def on_the_stack(
    args: argparse.Namespace, var_dir: Path, *, gateway_only: bool = False
) -> list[BenchmarkResult]:
    """The benchmarks that need the embedded stack: one stack, in this order."""
    progress("starting the embedded stack")
    try:
        with running_stack(var_dir) as stack:
            benchmarks = on(stack, args)
            if gateway_only:
                benchmarks = [(name, run) for name, run in benchmarks if name == GATEWAY_OVERHEAD]
            results = [measure(name, benchmark) for name, benchmark in benchmarks]
            progress("stopping the embedded stack")
            return results
    except Exception as error:
        traceback.print_exc()
        return [crashed("embedded stack", error)]


def on(stack: BenchStack, args: argparse.Namespace) -> list[tuple[str, Benchmark]]:
    # Gateway overhead runs on the idle stack before the intake load, whose
    # backlog would otherwise slow both sides unevenly.
    return [
        (
            "idle memory (after start)",
            lambda: idle_memory(stack, settle_s=args.settle, label="after start"),
        ),
        (
            GATEWAY_OVERHEAD,
            lambda: asyncio.run(gateway_overhead(stack, iterations=args.iterations)),
        ),
        *(
            (f"intake to routed at {rate:g} req/s", partial(intake, stack, args, rate))
            for rate in args.rates
        ),
        (
            "idle memory (after the workloads)",
            lambda: idle_memory(stack, settle_s=args.settle, label="after the workloads"),
        ),
    ]


def intake(stack: BenchStack, args: argparse.Namespace, rate: float) -> BenchmarkResult:
    # The rates run on one stack, so each later one finds the earlier ones' requests stored.
    return asyncio.run(
        intake_to_routed(
            stack, rate=rate, duration_s=args.duration, routing_timeout_s=args.routing_timeout
        )
    )


def _rates(text: str) -> tuple[float, ...]:
    return tuple(float(rate) for rate in text.split(","))


def pipeline(args: argparse.Namespace, work_dir: Path) -> BenchmarkResult:
    return asyncio.run(event_pipeline(messages=args.messages, work_dir=work_dir))


def measure(name: str, benchmark: Benchmark) -> BenchmarkResult:
    """Run one benchmark; a crash is reported as such and the others still run."""
    progress(f"measuring {name}")
    started = time.monotonic()
    try:
        result = benchmark()
    except Exception as error:
        traceback.print_exc()
        return crashed(name, error)
    progress(f"  done in {time.monotonic() - started:.1f} s")
    return result


def crashed(name: str, error: BaseException) -> BenchmarkResult:
    return BenchmarkResult(name, status="crashed", error=f"{type(error).__name__}: {error}"[:500])


def environment(args: argparse.Namespace) -> dict[str, Any]:
    # The machine is shared: the load average tells a reader how noisy the run was.
    return {
        "finished_at": datetime.now(UTC).isoformat(),
        "load_average_after": os.getloadavg(),
        "settings": {name: str(value) for name, value in vars(args).items()},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
