"""Lessons search over a 100 000-lesson corpus: p50 / p95 of a mix of queries.

"search" is the page of 20 best hits (what every search pays for); "+ total" adds
the count of matches (up to 1 000); "+ total + facets" the exact count and the
facet counts, which cost time in proportion to the matches.

The corpus comes from `tests/bench/corpus.py` (`python -m tests.bench.corpus`),
migrated and bulk-inserted into a fresh database per engine: SQLite FTS5 always,
PostgreSQL when its server binaries are on this machine (the test harness's
throw-away server). Each query runs as the search route runs it: a fresh session
and transaction (`search_lessons`).

The mix: one-word and two-word queries from the corpus's vocabulary, some with a
theme or country filter, and filter-only listings (no words, newest first); half
as an HQ analyst (every sensitivity), half as a client (public and internal).
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

from services.lessons.app import DEFINITION as LESSONS
from services.lessons.domain import visible_sensitivities
from services.lessons.search import LessonFilter, search_lessons
from shared.auth import Role
from shared.db import create_engine, session_factory
from shared.migrations import upgrade
from tests.bench.corpus import PLACES, THEMES, local_names, seed_corpus, zipf_pick
from tests.bench.postgres import throwaway_postgres
from tests.bench.results import BenchmarkResult, Metric, at_most, latency_summary

TARGET_P95_MS = 50.0
# Corpus sizes the growth is measured at, up to --lessons (1 000 000 only when asked:
# seeding it takes ten times as long as 100 000).
GROWTH = (10_000, 100_000, 1_000_000)
CORPUS_SEED = 7
WARMUP = 20


def query_mix(count: int, seed: int = 11) -> list[tuple[str, LessonFilter, Role]]:
    """Words as people search: a place or name (drawn with the corpus's own long-tail
    frequencies), alone or with a theme word; theme words alone or in pairs (thousands
    of matches each); some with a filter; some filter-only listings."""
    rng = random.Random(seed)
    names = local_names(random.Random(CORPUS_SEED + 1))
    mix = []
    for _ in range(count):
        theme = rng.choice(list(THEMES))
        words = THEMES[theme]
        kind = rng.random()
        role = rng.choice([Role.hq_analyst, Role.client])
        if kind < 0.25:
            mix.append((zipf_pick(rng, names), LessonFilter(), role))
        elif kind < 0.45:
            mix.append((f"{rng.choice(words)} {zipf_pick(rng, names)}", LessonFilter(), role))
        elif kind < 0.55:
            mix.append((rng.choice(words), LessonFilter(), role))
        elif kind < 0.7:
            mix.append((" ".join(rng.sample(words, 2)), LessonFilter(), role))
        elif kind < 0.85:
            narrowed = (
                LessonFilter(countries=(rng.choice(PLACES)[0],))
                if rng.random() < 0.5
                else LessonFilter(themes=(theme,))
            )
            mix.append((" ".join(rng.sample(words, 2)), narrowed, role))
        else:
            mix.append(("", LessonFilter(countries=(rng.choice(PLACES)[0],)), role))
    return mix


@dataclass
class Timings:
    wall_ms: list[float] = field(default_factory=list)
    # This process's CPU per query: on SQLite the whole search (the engine runs in
    # aiosqlite's thread here), so a figure the other engineers' load barely moves; on
    # PostgreSQL only the client's share (the server's work is in EXPLAIN ANALYZE).
    cpu_ms: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, float]:
        cpu = latency_summary(self.cpu_ms)
        return {
            **latency_summary(self.wall_ms),
            "cpu_p50_ms": cpu["p50_ms"],
            "cpu_p95_ms": cpu["p95_ms"],
        }


async def measure(
    url: str, mix: list[tuple[str, LessonFilter, Role]], *, total: bool, facets: bool
) -> dict[str, float]:
    engine = create_engine(url)
    sessions = session_factory(engine)
    timings = Timings()
    try:
        for index, (text, criteria, role) in enumerate(mix):
            started, started_cpu = time.perf_counter(), time.process_time()
            async with sessions() as session, session.begin():
                await search_lessons(
                    session,
                    text=text,
                    lesson_filter=criteria,
                    sensitivities=visible_sensitivities(role),
                    first=20,
                    with_total=total,
                    with_facets=facets,
                )
            if index >= WARMUP:
                timings.wall_ms.append((time.perf_counter() - started) * 1000)
                timings.cpu_ms.append((time.process_time() - started_cpu) * 1000)
    finally:
        await engine.dispose()
    return timings.summary()


async def _measure_all(url: str, queries: int) -> dict[str, object]:
    mix = query_mix(queries + WARMUP)
    half = mix[: queries // 2 + WARMUP]
    return {
        "search": await measure(url, mix, total=False, facets=False),
        "search_with_total": await measure(url, mix, total=True, facets=False),
        "search_with_facets": await measure(url, half, total=True, facets=True),
    }


def corpus_sizes(count: int) -> list[int]:
    """The sizes measured on the way to `count`: each growth step below it, then it."""
    return [size for size in GROWTH if size < count] + [count]


async def _engine_run(url: str, count: int, queries: int) -> dict[int, dict[str, object]]:
    """The corpus grows to each size in turn (its next lessons added), measured at each."""
    engine = create_engine(url)
    try:
        await upgrade(engine, LESSONS.migrations_dir)
    finally:
        await engine.dispose()
    by_size: dict[int, dict[str, object]] = {}
    seeded = 0
    for size in corpus_sizes(count):
        seed_s = await seed_corpus(url, size, seed=CORPUS_SEED, start=seeded)
        seeded = size
        by_size[size] = {"seed_s": seed_s, **await _measure_all(url, queries)}
    return by_size


async def lessons_search(*, count: int, queries: int, work_dir: Path) -> BenchmarkResult:
    runs: dict[str, dict[int, dict[str, object]]] = {}
    notes: list[str] = []
    runs["SQLite FTS5"] = await _engine_run(
        f"sqlite+aiosqlite:///{work_dir / 'lessons.db'}", count, queries
    )
    async with throwaway_postgres(work_dir, notes) as postgres:
        if postgres:
            runs["PostgreSQL FTS"] = await _engine_run(
                await postgres.new("lessons_bench"), count, queries
            )
    metrics = []
    for engine, by_size in runs.items():
        metrics += _metrics(engine, by_size[count], target=TARGET_P95_MS)
        for size, run in by_size.items():
            if size != count:
                metrics += _metrics(f"{engine} at {size:,}", run, target=None)
        seeding = ", ".join(f"{size:,} in {run['seed_s']:.0f} s" for size, run in by_size.items())
        notes.append(f"{engine}: lessons seeded (added up to) {seeding}")
    if count not in GROWTH or count < GROWTH[-1]:
        notes.append(
            f"growth measured at {', '.join(f'{size:,}' for size in corpus_sizes(count))} "
            f"lessons; {GROWTH[-1]:,} needs --lessons {GROWTH[-1]} (its seeding takes about "
            "ten times the 100,000 one's)"
        )
    notes.append(
        f"{queries} queries of a mix of 1-2 words, filters and filter-only listings, "
        "page of 20; facets measured on half the mix; CPU: this process's (all of "
        "SQLite's work, the client's share on PostgreSQL)"
    )
    return BenchmarkResult("lessons search", metrics=metrics, notes=notes, details=runs)


def _metrics(label: str, run: dict[str, object], *, target: float | None) -> list[Metric]:
    plain, counted, faceted = (
        run["search"],
        run["search_with_total"],
        run["search_with_facets"],
    )
    assert isinstance(plain, dict) and isinstance(counted, dict)
    assert isinstance(faceted, dict)
    return [
        Metric(f"{label}: search p50", plain["p50_ms"], "ms"),
        Metric(
            f"{label}: search p95",
            plain["p95_ms"],
            "ms",
            at_most(target) if target is not None else None,
        ),
        Metric(f"{label}: + total p50", counted["p50_ms"], "ms"),
        Metric(f"{label}: + total p95", counted["p95_ms"], "ms"),
        Metric(f"{label}: + total + facets p50", faceted["p50_ms"], "ms"),
        Metric(
            f"{label}: + total + facets p95",
            faceted["p95_ms"],
            "ms",
            at_most(target) if target is not None else None,
        ),
        Metric(f"{label}: + total + facets CPU p95", faceted["cpu_p95_ms"], "ms"),
    ]


def run(count: int, queries: int, work_dir: Path) -> BenchmarkResult:
    work_dir.mkdir(parents=True, exist_ok=True)
    return asyncio.run(lessons_search(count=count, queries=queries, work_dir=work_dir))
