"""The insights views over 100 000 requests: p50 / p95 of each view per caller (the 3W,
SLA time per party, the cost of coordination, demand without supply).

The corpus: requests from 60 clients in 40 countries over 24 months, each asking for one
to three of 8 products, each product engaged (accepted, planning, deployed, delivered,
declined …), one in seven with a joint assessment with one or two partners. Its lines
are derived by the service's own rules (services/insights/domain.py) and bulk-inserted
into a migrated database per engine; the 3W aggregate is then counted from them in one
statement (what the handlers' recount does key by key). The same requests get a status
history, engagements, breaches and unmet demand (tests/bench/coordination.py), whose
derived rows and aggregates are made by the service's own rules and inserted too. SQLite always, PostgreSQL when
its server binaries are on this machine.

Each view runs as its route runs it: a fresh session and transaction, the caller's
scope, the query, and the answer serialised as the route returns it. Reporting only.
"""

from __future__ import annotations

import asyncio
import gc
import random
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import case, func, insert, select, text
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col

from contracts.http.insights.requests import Grouping
from contracts.http.insights.responses import RequestFiguresPage, WhoDoesWhatPage
from services.insights import domain
from services.insights.app import DEFINITION as INSIGHTS
from services.insights.models import (
    ActivityLine,
    CoordinationMonth,
    CoordinationMonthTotal,
    PartyShare,
    ProductFact,
    ProductLoad,
    UnmetDemandCount,
    UnmetDemandTotal,
    WhoDoesWhat,
    WhoDoesWhatSpan,
    WhoDoesWhatTotal,
)
from services.insights.store import (
    KEY_COLUMNS,
    TOTAL_KEY_COLUMNS,
    Aggregate,
    FigureFilter,
    activity_row,
    coordination_costs,
    country_summaries,
    demand_without_supply,
    matching,
    request_figures,
    scoped,
    share_distributions,
    span_rows,
    within,
)
from services.insights.store import who_does_what as who_does_what_lines
from shared.db import AsyncSession, create_engine, session_factory
from shared.migrations import upgrade
from tests.bench.coordination import FiguresCorpus, figures_corpus
from tests.bench.cpu import CpuMeter
from tests.bench.postgres import throwaway_postgres
from tests.bench.results import BenchmarkResult, Metric, at_most, latency_summary

TARGET_P95_MS = 200.0
CORPUS_SEED = 12
WARMUP = 5
PRODUCTS = (
    "ELECTORAL_ASSISTANCE",
    "RULE_OF_LAW",
    "MEDIATION_SUPPORT",
    "POLITICAL_ANALYSIS",
    "HUMAN_RIGHTS",
    "SECURITY_SECTOR_REFORM",
    "GENDER_ADVISORY",
    "DDR_SUPPORT",
)
PARTNERS = ("AU", "WB", "EU", "ECOWAS", "IGAD")
REGIONS = ("Africa", "Americas", "Asia-Pacific", "Europe", "Middle East", "Central Asia")
ENGAGEMENT_OUTCOMES = ("accepted", "planning", "deployed", "delivered", "closed", "declined")
REQUEST_OUTCOMES = ("routed", "in_progress", "delivered", "closed", "on_hold", "withdrawn")
START = datetime(2025, 1, 1, tzinfo=UTC)


def corpus(
    count: int, seed: int = CORPUS_SEED
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The activity lines of `count` requests, as the service derives them, and the
    requests themselves (where, which products and partners, when) for the figures."""
    rng = random.Random(seed)
    countries = [(f"C{index:02d}", REGIONS[index % len(REGIONS)]) for index in range(40)]
    clients = [(f"CLIENT_{index:02d}", rng.choice(countries)) for index in range(60)]
    rows: list[dict[str, Any]] = []
    requests: list[dict[str, Any]] = []
    for number in range(count):
        client, (country, region) = rng.choice(clients)
        desk = f"DESK_{REGIONS.index(region)}"
        submitted = START + timedelta(minutes=rng.randrange(0, 24 * 30 * 24 * 60))
        changed = submitted + timedelta(days=rng.randrange(1, 90))
        products = rng.sample(PRODUCTS, rng.choice((1, 1, 2, 2, 3)))
        lines = domain.desk_lines(desk, products, rng.choice(REQUEST_OUTCOMES), submitted, changed)
        for product in products:
            started = submitted + timedelta(hours=rng.randrange(1, 72))
            outcome = rng.choice(ENGAGEMENT_OUTCOMES)
            lines.append(domain.provider_line(product, outcome, started, changed))
        partners: list[str] = []
        if rng.random() < 1 / 7:
            partners = rng.sample(PARTNERS, rng.choice((1, 2)))
            opened = submitted + timedelta(days=rng.randrange(1, 10))
            status = rng.choice(("proposed", "active", "concluded"))
            lines += domain.partner_lines(partners, products, status, opened, changed)
        where = domain.Where(country, region, desk, client)
        request_id = f"{number:08d}-0000-4000-8000-000000000000"
        rows += [activity_row(request_id, where, line) for line in domain.merged(lines)]
        requests.append(
            {
                "request_id": request_id,
                "client_code": client,
                "country": country,
                "region": region,
                "desk_code": desk,
                "products": products,
                "partners": tuple(partners),
                "submitted_at": submitted,
            }
        )
    return rows, requests


async def seed(url: str, lines: list[dict[str, Any]], figures: FiguresCorpus) -> float:
    started = time.monotonic()
    engine = create_engine(url)
    try:
        await upgrade(engine, INSIGHTS.migrations_dir)
        async with session_factory(engine)() as session, session.begin():
            for offset in range(0, len(lines), 5000):
                await session.execute(insert(ActivityLine), lines[offset : offset + 5000])
            tables = {**figures.rows, **figures.aggregates()}
            for table, rows in tables.items():
                for offset in range(0, len(rows), 2000):
                    await session.execute(insert(table), rows[offset : offset + 2000])
            await session.execute(
                insert(ProductFact),
                [
                    {
                        "code": code,
                        "name": code,
                        "provider_unit": f"{code} unit",
                        "revision": 1,
                        "capacity": 400,
                    }
                    for code in PRODUCTS
                ],
            )
            for table, columns in (
                (WhoDoesWhat, KEY_COLUMNS),
                (WhoDoesWhatTotal, TOTAL_KEY_COLUMNS),
            ):
                keys = [getattr(ActivityLine, name) for name in columns]
                still_open = func.sum(
                    case((col(ActivityLine.end_month) == domain.OPEN, 1), else_=0)
                )
                counted = select(
                    *keys,
                    func.min(ActivityLine.region),
                    func.min(ActivityLine.activity),
                    func.count(),
                    still_open,
                    func.min(ActivityLine.started_at),
                ).group_by(*keys)
                await session.execute(
                    insert(table).from_select(
                        [*columns, "region", "activity", "requests", "open_requests", "since"],
                        counted,
                    )
                )
            keys = [getattr(WhoDoesWhat, name) for name in TOTAL_KEY_COLUMNS]
            monthly = await session.execute(
                select(
                    *keys,
                    col(WhoDoesWhat.start_month),
                    col(WhoDoesWhat.end_month),
                    col(WhoDoesWhat.region),
                ).order_by(*keys)
            )
            spans = span_rows(monthly.all())
            for offset in range(0, len(spans), 5000):
                await session.execute(insert(WhoDoesWhatSpan), spans[offset : offset + 5000])
        if engine.dialect.name == "postgresql":
            # What autovacuum does after a bulk load, done before measuring rather than
            # during it: without statistics the planner guesses, and without a vacuum
            # the visibility map is empty, so a covering index is read with the heap
            # (a partner's shares: a bitmap heap scan of 1 800 pages, 57 ms; vacuumed,
            # an index-only scan of 130, 8 ms). Left to autovacuum, it runs in the
            # middle of the measurement: the plan changes under it, and its own work
            # takes the machine (docs/insights.md, Performance).
            async with engine.connect() as connection:
                await connection.execution_options(isolation_level="AUTOCOMMIT")
                await connection.execute(text("VACUUM ANALYZE"))
    finally:
        await engine.dispose()
    return time.monotonic() - started


View = Callable[[AsyncSession], Awaitable[str]]


def views() -> dict[str, View]:
    """Each view as a caller asks for it: the route's query, its answer serialised."""
    hq, client = domain.Scope(), domain.Scope(client_code="CLIENT_07")
    provider = domain.Scope(products=("RULE_OF_LAW",))
    partner = domain.Scope(partner="AU")

    def lines(scope: domain.Scope, **filters: Any) -> View:
        window = filters.pop("window", None)
        table: Aggregate = WhoDoesWhat if window else WhoDoesWhatTotal
        where = [scoped(table, scope), *matching(table, filters)]
        if window:
            where.append(within(*window))

        async def run(session: AsyncSession) -> str:
            rows, total = await who_does_what_lines(session, table, where, limit=100)
            return WhoDoesWhatPage(
                items=rows, total=total, has_next_page=total > 100
            ).model_dump_json()

        return run

    def by_country(scope: domain.Scope) -> View:
        async def run(session: AsyncSession) -> str:
            summaries = await country_summaries(
                session, WhoDoesWhatTotal, [scoped(WhoDoesWhatTotal, scope)]
            )
            return "".join(summary.model_dump_json() for summary in summaries)

        return run

    def figures(scope: domain.Scope, **filters: Any) -> View:
        async def run(session: AsyncSession) -> str:
            rows, total = await request_figures(
                session, scope, FigureFilter(**filters), limit=100, offset=0
            )
            return RequestFiguresPage(
                items=rows, total=total, has_next_page=total > 100
            ).model_dump_json()

        return run

    def shares(scope: domain.Scope, by: Grouping) -> View:
        async def run(session: AsyncSession) -> str:
            rows = await share_distributions(session, scope, FigureFilter(), by)
            return "".join(row.model_dump_json() for row in rows)

        return run

    def costs(scope: domain.Scope, by: Grouping, **filters: Any) -> View:
        async def run(session: AsyncSession) -> str:
            rows = await coordination_costs(session, scope, FigureFilter(**filters), by)
            return "".join(row.model_dump_json() for row in rows)

        return run

    def demand(scope: domain.Scope, limit: int | None = None, **filters: Any) -> View:
        async def run(session: AsyncSession) -> str:
            view = await demand_without_supply(session, scope, FigureFilter(**filters), limit=limit)
            return view.model_dump_json()

        return run

    desk = domain.Scope(desk_code="DESK_0")
    return {
        "SLA per request, HQ, newest 100": figures(hq),
        "SLA per request, a client": figures(client),
        "SLA per request, a provider": figures(provider),
        "SLA per request, a partner": figures(partner),
        "SLA shares by desk, HQ": shares(hq, Grouping.desk),
        "SLA shares by product, HQ": shares(hq, Grouping.product),
        "SLA shares by desk, a client": shares(client, Grouping.desk),
        "SLA shares by product, a provider": shares(provider, Grouping.product),
        "SLA shares by product, a partner": shares(partner, Grouping.product),
        "cost by month, HQ": costs(hq, Grouping.month),
        "cost by desk, HQ": costs(hq, Grouping.desk),
        "cost by product, HQ": costs(hq, Grouping.product),
        "cost by country, HQ, last year": costs(
            hq, Grouping.country, first_month="2026-01", last_month="2026-12"
        ),
        "cost by month, a client": costs(client, Grouping.month),
        "cost by month, a desk": costs(desk, Grouping.month),
        "cost by month, a provider": costs(provider, Grouping.month),
        "cost by month, a partner": costs(partner, Grouping.month),
        "demand without supply, HQ": demand(hq),
        "demand without supply, HQ, first 100": demand(hq, limit=100),
        "demand without supply, HQ, one region": demand(hq, region="Africa"),
        "demand without supply, a provider": demand(provider),
        "demand without supply, a client": demand(client),
        "3W, HQ, everything": lines(hq),
        "3W, HQ, last quarter": lines(hq, window=("2026-10", "2026-12")),
        "3W, HQ, one country": lines(hq, country="C07"),
        "3W, a client, last quarter": lines(client, window=("2026-10", "2026-12")),
        "3W, a client": lines(client),
        "3W, a provider": lines(provider),
        "3W, a partner": lines(partner),
        "by country, HQ": by_country(hq),
        "by country, a client": by_country(client),
    }


async def measure(
    sessions: async_sessionmaker[AsyncSession], view: View, runs: int
) -> dict[str, float]:
    """The view's wall-clock percentiles, and the CPU spent per call: this process's (on
    SQLite that includes the engine's thread) and, on PostgreSQL, the server backend's
    that ran it. The machine is shared, so the CPU is what compares across runs."""
    timings = []
    cpu_s = server_s = 0.0
    for index in range(runs + WARMUP):
        async with sessions() as session, session.begin():
            backend = await _backend(session)
            started, started_cpu = time.perf_counter(), time.process_time()
            await view(session)
            elapsed, used = time.perf_counter() - started, time.process_time() - started_cpu
            served = backend.used_s()["server"] if backend is not None else 0.0
        if index >= WARMUP:
            timings.append(elapsed * 1000)
            cpu_s, server_s = cpu_s + used, server_s + served
    return {
        **latency_summary(timings),
        "cpu_ms": cpu_s * 1000 / runs,
        "server_cpu_ms": server_s * 1000 / runs,
    }


async def _backend(session: AsyncSession) -> CpuMeter | None:
    """A CPU meter on the PostgreSQL backend serving the session (None on SQLite)."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    return CpuMeter({"server": int(await session.scalar(text("SELECT pg_backend_pid()")) or 0)})


async def _engine_run(
    url: str, lines: list[dict[str, Any]], figures: FiguresCorpus, runs: int
) -> dict[str, Any]:
    seed_s = await seed(url, lines, figures)
    engine = create_engine(url)
    try:
        sessions = session_factory(engine)
        async with sessions() as session, session.begin():
            aggregate_rows = {
                table.__tablename__: await session.scalar(select(func.count()).select_from(table))
                for table in (
                    WhoDoesWhat,
                    WhoDoesWhatTotal,
                    WhoDoesWhatSpan,
                    CoordinationMonth,
                    CoordinationMonthTotal,
                    PartyShare,
                    ProductLoad,
                    UnmetDemandCount,
                    UnmetDemandTotal,
                )
            }
        # The corpus this process built (~400 000 activity lines, kept for the next
        # engine) stays alive here as it never would in the service, whose start-up heap
        # is frozen too (shared/messaging/runtime.freeze_start_up_heap): each full
        # collection walked it, about 0.8 s collecting nothing, inside a view's call.
        gc.collect()
        gc.freeze()
        try:
            measured = {name: await measure(sessions, view, runs) for name, view in views().items()}
        finally:
            gc.unfreeze()
    finally:
        await engine.dispose()
    return {"seed_s": seed_s, "aggregate_rows": aggregate_rows, "views": measured}


async def insights_views(*, requests: int, runs: int, work_dir: Path) -> BenchmarkResult:
    lines, requested = corpus(requests)
    figures = figures_corpus(requested, CORPUS_SEED)
    runs_by_engine: dict[str, dict[str, Any]] = {}
    notes = [f"{requests:,} requests, {len(lines):,} activity lines; {runs} runs per view"]
    runs_by_engine["SQLite"] = await _engine_run(
        f"sqlite+aiosqlite:///{work_dir / 'insights.db'}", lines, figures, runs
    )
    async with throwaway_postgres(work_dir, notes) as postgres:
        if postgres:
            runs_by_engine["PostgreSQL"] = await _engine_run(
                await postgres.new("insights_bench"), lines, figures, runs
            )
    metrics = []
    for engine, run in runs_by_engine.items():
        notes.append(
            f"{engine}: seeded in {run['seed_s']:.0f} s, aggregate rows {run['aggregate_rows']}"
        )
        for name, summary in run["views"].items():
            metrics.append(Metric(f"{engine}: {name} p50", summary["p50_ms"], "ms"))
            metrics.append(
                Metric(f"{engine}: {name} p95", summary["p95_ms"], "ms", at_most(TARGET_P95_MS))
            )
            metrics.append(Metric(f"{engine}: {name} CPU per call", summary["cpu_ms"], "ms"))
            if engine == "PostgreSQL":
                server = summary["server_cpu_ms"]
                metrics.append(Metric(f"{engine}: {name} server CPU per call", server, "ms"))
    return BenchmarkResult("insights views", metrics=metrics, notes=notes, details=runs_by_engine)


def run(requests: int, runs: int, work_dir: Path) -> BenchmarkResult:
    work_dir.mkdir(parents=True, exist_ok=True)
    return asyncio.run(insights_views(requests=requests, runs=runs, work_dir=work_dir))
