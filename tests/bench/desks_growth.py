"""How the desks' cost grows with data: the desk queue and intake with 1 000, 10 000
and 100 000 stored requests, on SQLite and on PostgreSQL. The target: as fast with
100 000 stored requests as with 1 000 (the ratio 100k / 1k ≈ 1). A queue page's ratio
is taken from the smallest size whose page was full: a page of fewer rows is less work.

The desks app runs in this process, reached through its HTTP routes by an httpx
client on an ASGI transport. Its lifespan is not run: it starts the messaging runtime,
which needs the broker. The app gets what the lifespan would give its routes (the
engine, the sessions, the outbox); events are kept in the outbox table, never relayed.

The stored requests are seeded by bulk Core INSERTs into a migrated, seeded desks
database (the seed's desks, countries and clients), topped up to each size in turn:

- seeded: requests of the seed's 12 clients (so their countries and desks) over the
  3 years before now, titles and descriptions from a small phrase bank (their
  `match_words` as intake computes them, so a new submit finds look-alikes), 1-3 of
  8 products each, status by age (about 70 % of the last 90 days' requests still
  open, 8 % of older ones: 10-20 % open in all; the rest delivered, closed,
  withdrawn, rejected, merged); a routing per product once routed, in the status the
  request's implies; the three SLA clocks (stopped when their status stops them, one
  in ten breached); the search text (the FTS index fills through its triggers on
  SQLite, the generated tsvector on PostgreSQL); an overlap link pair between about
  one open request in five and the previous open one of its country.
- not seeded: timeline entries and status changes (written by intake, never read by
  the queue page or overlap detection), comments, attachments, joint assessments,
  approvals and unmet demand (the page reads the last three by `request_id IN` of its
  20 rows, on an index). The catalog copy gets the 8 products, as its events would.

Measured at each size, after a warm-up: a desk officer's first queue page (default
sort, the open statuses, 20 rows), the same with a product filter and with
`breached=true`; and intake, submits each copying a stored open request of the same
country (its words and products), so overlap detection has candidates. Wall p50 / p95,
this process's CPU per call (on SQLite all of the database's work too; on PostgreSQL
the server backends' CPU is reported apart), statements per call. PostgreSQL is
VACUUM ANALYZEd after each top-up (what autovacuum does after a bulk load); SQLite
is not analysed (the service never runs ANALYZE). The plans of the queue query and of
the overlap candidates at the largest size are in the details. Reporting only.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import event, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

from contracts.enums import RequestStatus, SlaClock
from services.desks import domain
from services.desks.app import DEFINITION as DESKS
from services.desks.app import DesksSettings, create_app
from services.desks.models import (
    CatalogProduct,
    OverlapLink,
    RequestSearchText,
    Routing,
    ServiceRequest,
    SlaClockState,
)
from services.desks.seed import CLIENTS, COUNTRIES_BY_DESK
from services.desks.seed import DESKS as SEEDED_DESKS
from shared.auth import Role, ensure_dev_keypair
from shared.clock import SystemClock
from shared.db import create_engine, session_factory
from shared.messaging import Outbox
from shared.testing.databases import Databases
from shared.testing.tokens import bearer
from tests.bench.cpu import CpuMeter
from tests.bench.postgres import throwaway_postgres
from tests.bench.results import BenchmarkResult, Metric, at_most, latency_summary

# Stored requests the cost is measured at, up to --desks-requests.
GROWTH = (1_000, 10_000, 100_000)
SEED = 14
WARMUP = 10
CHUNK = 2_000  # requests per round of bulk INSERTs
# "As fast with 100 000 stored requests as with 1 000": p95 at the largest size over
# p95 at the smallest, with room for a shared machine's noise.
TARGET_RATIO = 1.5
OFFICER_DESK = "AFRICA_II"
FILTER_PRODUCT = "RULE_OF_LAW"
PRODUCTS = (
    "ELECTORAL_ASSISTANCE",
    "MEDIATION_SUPPORT",
    "RULE_OF_LAW",
    "HUMAN_RIGHTS",
    "POLITICAL_ANALYSIS",
    "SECURITY_SECTOR_REFORM",
    "GENDER_ADVISORY",
    "DDR_SUPPORT",
)
NEEDS = (
    "Support to the national dialogue",
    "Advice on the electoral calendar",
    "Mediation between community leaders",
    "Review of the transitional justice strategy",
    "Training for the electoral commission",
    "Assessment of the security sector",
    "Analysis of the political transition",
    "Human rights monitoring plan",
    "Reintegration of former combatants",
    "Gender advisory for the peace process",
)
PLACES = ("in the north", "in the capital", "in the border regions", "ahead of the elections")
DESCRIPTIONS = (
    "The mission asks for expert advice over the coming months.",
    "Local partners need a short deployment and a written assessment.",
    "A follow-up to last year's support, with the same counterparts.",
    "Requested by the government after the recent consultations.",
    "",
)
OPEN = (
    (RequestStatus.routed, 0.40),
    (RequestStatus.in_progress, 0.35),
    (RequestStatus.submitted, 0.08),
    (RequestStatus.triaged, 0.07),
    (RequestStatus.on_hold, 0.07),
    (RequestStatus.awaiting_approval, 0.03),
)
FINISHED = (
    (RequestStatus.closed, 0.55),
    (RequestStatus.delivered, 0.25),
    (RequestStatus.withdrawn, 0.10),
    (RequestStatus.rejected, 0.06),
    (RequestStatus.merged, 0.04),
)
# Where a request's routings stand, by its status (none before it was routed).
ROUTING_STATUS = {
    RequestStatus.routed: "routed",
    RequestStatus.in_progress: "accepted",
    RequestStatus.on_hold: "accepted",
    RequestStatus.delivered: "delivered",
    RequestStatus.closed: "delivered",
    RequestStatus.withdrawn: "declined",
    RequestStatus.merged: "routed",
}
CLOCK_TARGET_H = {SlaClock.acknowledge: 8.0, SlaClock.triage: 24.0, SlaClock.deliver: 720.0}
YEARS = 3
RECENT = timedelta(days=90)


# --- The stored requests ---------------------------------------------------------------


@dataclass
class Rows:
    """One chunk of stored requests and the rows that refer to them, by table, in the
    order they are inserted."""

    by_model: dict[type[SQLModel], list[dict[str, Any]]] = field(
        default_factory=lambda: (
            {model: [] for model in (ServiceRequest, RequestSearchText, Routing, SlaClockState)}
            | {OverlapLink: []}
        )
    )

    def add(self, model: type[SQLModel], row: dict[str, Any]) -> None:
        self.by_model[model].append(row)


@dataclass
class Corpus:
    """Makes stored requests, chunk by chunk, with one random stream: the same seed
    gives the same requests. Keeps each country's last open request (to link the next
    one to) and the open requests' texts (what the look-alike submits copy)."""

    now: datetime
    rng: random.Random = field(default_factory=lambda: random.Random(SEED))
    made: int = 0
    last_open: dict[str, str] = field(default_factory=dict)
    open_texts: list[tuple[str, str, str, list[str]]] = field(default_factory=list)

    def chunks(self, up_to: int) -> Iterator[Rows]:
        while self.made < up_to:
            rows = Rows()
            for _ in range(min(CHUNK, up_to - self.made)):
                self._request(rows)
                self.made += 1
            yield rows

    def _request(self, rows: Rows) -> None:
        rng = self.rng
        client = rng.choice(CLIENTS)
        desk = _desk_of(client.country)
        created = self.now - timedelta(seconds=rng.uniform(60, YEARS * 365 * 86400))
        recent = self.now - created < RECENT
        still_open = rng.random() < (0.70 if recent else 0.08)
        status = _weighted(rng, OPEN if still_open else FINISHED)
        title = f"{rng.choice(NEEDS)} {rng.choice(PLACES)}"
        description = rng.choice(DESCRIPTIONS)
        products = rng.sample(PRODUCTS, rng.choice((1, 1, 2, 2, 3)))
        updated = min(self.now, created + timedelta(days=rng.uniform(0, 120)))
        request_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        rows.add(
            ServiceRequest,
            {
                "id": request_id,
                "client_code": client.code,
                "client_kind": client.kind,
                "country": client.country,
                "region": desk.region,
                "desk_code": desk.code,
                "title": title,
                "description": description,
                "urgency": rng.choice(("routine", "routine", "routine", "priority", "immediate")),
                "status": status.value,
                "products": products,
                "details": {},
                "submitted_by": f"{client.code.lower()}-focal",
                "created_at": created,
                "updated_at": updated,
                "version": rng.randint(1, 12),
                "owner": f"officer-{rng.randint(1, 6)}"
                if status != RequestStatus.submitted
                else None,
                "held_from": RequestStatus.in_progress.value
                if status == RequestStatus.on_hold
                else None,
                "held_since": updated if status == RequestStatus.on_hold else None,
                "satisfaction_score": rng.randint(1, 5) if status == RequestStatus.closed else None,
                "match_words": _match_words(title, description),
                "reopen_count": 1 if rng.random() < 0.03 else 0,
                "dispute_count": 1 if rng.random() < 0.02 else 0,
                "language": "en" if rng.random() < 0.8 else rng.choice(("fr", "es", "ar")),
            },
        )
        rows.add(
            RequestSearchText,
            {
                "request_id": request_id,
                "public_text": f"{title}\n{description}",
                "internal_text": "",
            },
        )
        routing_status = ROUTING_STATUS.get(status)
        for product in products if routing_status else ():
            rows.add(
                Routing,
                {
                    "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    "request_id": request_id,
                    "product_code": product,
                    "status": routing_status,
                    "routed_at": created + timedelta(minutes=rng.uniform(1, 600)),
                    "updated_at": updated,
                },
            )
        for clock, hours in CLOCK_TARGET_H.items():
            stopped = clock in domain.clocks_stopped_by_status(status) or not still_open
            due = created + timedelta(hours=hours)
            rows.add(
                SlaClockState,
                {
                    "request_id": request_id,
                    "clock": clock.value,
                    "due_at": due,
                    "stopped_at": min(updated, self.now) if stopped else None,
                    "breached_at": due if rng.random() < 0.1 and due < self.now else None,
                    "target_s": hours * 3600,
                    "elapsed_s": 0.0,
                    "counted_from": created,
                },
            )
        if still_open:
            self._link(rows, request_id, client.country, products, created)
            self.open_texts.append((client.code, title, description, products))

    def _link(
        self, rows: Rows, request_id: str, country: str, products: list[str], at: datetime
    ) -> None:
        other = self.last_open.get(country)
        self.last_open[country] = request_id
        if other is None or self.rng.random() >= 0.2:
            return
        for one, two in ((request_id, other), (other, request_id)):
            rows.add(
                OverlapLink,
                {
                    "request_id": one,
                    "other_request_id": two,
                    "shared_products": products[:1],
                    "similarity": round(self.rng.uniform(0.2, 0.9), 3),
                    "flagged_at": at,
                },
            )


_DESK_BY_COUNTRY = {
    country: desk for desk, countries in COUNTRIES_BY_DESK.items() for country in countries
}
_DESKS = {desk.code: desk for desk in SEEDED_DESKS}


def _desk_of(country: str) -> Any:
    return _DESKS[_DESK_BY_COUNTRY[country]]


_WORDS: dict[tuple[str, str], str] = {}


def _match_words(title: str, description: str) -> str:
    key = (title, description)
    if key not in _WORDS:
        _WORDS[key] = domain.match_words(title, description)
    return _WORDS[key]


def _weighted(rng: random.Random, choices: tuple[tuple[RequestStatus, float], ...]) -> Any:
    return rng.choices([status for status, _ in choices], [w for _, w in choices])[0]


async def top_up(engine: AsyncEngine, corpus: Corpus, size: int) -> float:
    """Add stored requests until there are `size`; the seconds it took (VACUUM ANALYZE
    on PostgreSQL included)."""
    started = time.monotonic()
    for rows in corpus.chunks(size):
        async with engine.begin() as connection:
            for model, batch in rows.by_model.items():
                if batch:
                    await connection.execute(insert(model), batch)
    if engine.dialect.name == "postgresql":
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text("VACUUM ANALYZE"))
    return time.monotonic() - started


async def add_catalog(engine: AsyncEngine) -> None:
    """The catalog copy, as its ProductCataloged events would leave it (through the ORM,
    so the reference revision moves as it does for the handler's writes)."""
    async with session_factory(engine)() as session, session.begin():
        for code in PRODUCTS:
            session.add(
                CatalogProduct(
                    code=code,
                    name=code.replace("_", " ").title(),
                    provider_unit=f"{code} unit",
                    request_form={"type": "object"},
                    active=True,
                    revision=1,
                )
            )


# --- Measuring -------------------------------------------------------------------------


@dataclass
class Statements:
    """Statements sent to the database (one per cursor execute, an executemany counted
    once); `captured`: their text and parameters while `capturing`."""

    count: int = 0
    capturing: bool = False
    captured: list[tuple[str, Any]] = field(default_factory=list)

    def listen(self, engine: AsyncEngine) -> None:
        def before(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
            self.count += 1
            if self.capturing:
                self.captured.append((statement, parameters))

        event.listen(engine.sync_engine, "before_cursor_execute", before)


@dataclass
class Desks:
    """The desks app without its lifespan, and what its routes need from it."""

    app: FastAPI
    engine: AsyncEngine
    http: httpx.AsyncClient
    settings: DesksSettings
    statements: Statements


def desks_app(url: str, var_dir: Path) -> Desks:
    settings = DesksSettings(database_url=url, var_dir=var_dir)
    ensure_dev_keypair(settings)
    app = create_app(settings)
    engine = create_engine(url)
    # What the lifespan gives the routes, without the messaging runtime and workers.
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    app.state.outbox = Outbox(source=f"/onedoor/{DESKS.name}", clock=SystemClock())
    statements = Statements()
    statements.listen(engine)
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://desks")
    return Desks(app, engine, http, settings, statements)


async def timed_calls(desks: Desks, calls: list[Any], server_pids: list[int]) -> dict[str, float]:
    """Each call (an awaitable factory returning a response), after WARMUP of them:
    wall and this process's CPU percentiles, statements per call, server CPU per call."""
    wall, cpu = [], []
    statements = 0
    server_s = 0.0
    failures = 0
    for index, call in enumerate(calls):
        measured = index >= WARMUP
        if measured and index == WARMUP:
            meter = CpuMeter({str(pid): pid for pid in server_pids})
            counted = desks.statements.count
        started, started_cpu = time.perf_counter(), time.process_time()
        response = await call()
        elapsed, used = time.perf_counter() - started, time.process_time() - started_cpu
        if response.status_code >= 400:
            failures += 1
        if measured:
            wall.append(elapsed * 1000)
            cpu.append(used * 1000)
    runs = len(wall)
    if runs:
        statements = desks.statements.count - counted
        server_s = sum(meter.used_s().values())
    cpu_summary = latency_summary(cpu)
    return {
        **latency_summary(wall),
        "cpu_p50_ms": cpu_summary["p50_ms"],
        "cpu_p95_ms": cpu_summary["p95_ms"],
        "cpu_mean_ms": cpu_summary["mean_ms"],
        "statements": statements / runs if runs else float("nan"),
        "server_cpu_ms": server_s * 1000 / runs if runs else float("nan"),
        "failures": failures,
    }


async def timed_page(
    desks: Desks, filters: dict[str, str], count: int, server_pids: list[int]
) -> dict[str, float]:
    """`timed_calls` of a queue page, with the rows the page holds (a page that is not
    full at a size is less work than a full one, not a faster query)."""
    summary = await timed_calls(desks, queue_calls(desks, count, **filters), server_pids)
    page = await queue_calls(desks, 0, **filters)[0]()
    return summary | {"rows": len(page.json()["edges"])}


def queue_calls(desks: Desks, count: int, **filters: Any) -> list[Any]:
    headers = bearer(desks.settings, Role.desk_officer, desk=OFFICER_DESK, subject="officer-1")
    params: list[tuple[str, str | int | float | bool | None]] = [
        ("status", status.value) for status in domain.OPEN_STATUSES
    ]
    params += [("first", str(PAGE)), *((name, str(value)) for name, value in filters.items())]

    async def call() -> httpx.Response:
        return await desks.http.get("/requests", params=params, headers=headers)

    return [call] * (count + WARMUP)


def submit_calls(
    desks: Desks, corpus: Corpus, count: int, seed: int
) -> tuple[list[Any], list[int]]:
    """Look-alike submits of stored open requests (by their own client, so in their
    country); the overlaps each was answered with are appended to the list returned."""
    rng = random.Random(seed)
    overlaps: list[int] = []
    calls = []
    for _ in range(count + WARMUP):
        client, title, description, products = rng.choice(corpus.open_texts)
        body = {
            "title": f"{title} (follow-up)",
            "description": description,
            "products": products,
            "urgency": "routine",
        }
        headers = bearer(
            desks.settings, Role.client, client=client, subject=f"{client.lower()}-focal"
        )

        async def call(body: dict[str, Any] = body, headers: dict[str, str] = headers) -> Any:
            response = await desks.http.post("/requests", json=body, headers=headers)
            if response.status_code == 201:
                overlaps.append(int(response.json()["overlap_count"]))
            return response

        calls.append(call)
    return calls, overlaps


async def server_pids(engine: AsyncEngine) -> list[int]:
    """The PostgreSQL backends serving this database (none on SQLite)."""
    if engine.dialect.name != "postgresql":
        return []
    async with engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        )
        return [int(row.pid) for row in rows]


async def plans(desks: Desks, corpus: Corpus) -> dict[str, list[str]]:
    """The database's plan of the queue page's request query and of the overlap
    candidates, captured from one call of each."""
    found: dict[str, list[str]] = {}
    for name, call, marker in (
        ("queue page", queue_calls(desks, 0)[0], "ORDER BY service_request.created_at DESC"),
        (
            "overlap candidates",
            submit_calls(desks, corpus, 0, seed=1)[0][0],
            "NOT (EXISTS",
        ),
    ):
        desks.statements.capturing, desks.statements.captured = True, []
        await call()
        desks.statements.capturing = False
        statement = next((s for s in desks.statements.captured if marker in s[0]), None)
        if statement is not None:
            found[name] = await _explain(desks.engine, *statement)
    return found


async def _explain(engine: AsyncEngine, statement: str, parameters: Any) -> list[str]:
    prefix = "EXPLAIN " if engine.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN "
    async with engine.connect() as connection:
        rows = await connection.exec_driver_sql(prefix + statement, parameters)
        return [" ".join(str(value) for value in row) for row in rows]


async def _count(engine: AsyncEngine, model: type[SQLModel]) -> int:
    async with engine.connect() as connection:
        return int(await connection.scalar(select(func.count()).select_from(model)) or 0)


async def engine_run(url: str, var_dir: Path, sizes: list[int], calls: int) -> dict[int, Any]:
    desks = desks_app(url, var_dir)
    corpus = Corpus(datetime.now(UTC))
    by_size: dict[int, Any] = {}
    try:
        await add_catalog(desks.engine)
        for size in sizes:
            seed_s = await top_up(desks.engine, corpus, size)
            pids = await server_pids(desks.engine)
            submits, overlaps = submit_calls(desks, corpus, calls, seed=size)
            run: dict[str, Any] = {
                "seed_s": seed_s,
                "stored": await _count(desks.engine, ServiceRequest),
                "open_share": len(corpus.open_texts) / corpus.made,
                **{
                    kind: await timed_page(desks, filters, calls, pids)
                    for kind, filters in QUEUE_PAGES.items()
                },
                "intake": await timed_calls(desks, submits, pids),
            }
            run["overlaps_per_submit"] = sum(overlaps) / len(overlaps) if overlaps else 0.0
            by_size[size] = run
        by_size[sizes[-1]]["plans"] = await plans(desks, corpus)
    finally:
        await desks.http.aclose()
        await desks.engine.dispose()
    return by_size


# --- The part --------------------------------------------------------------------------


def sizes_up_to(count: int) -> list[int]:
    return [size for size in GROWTH if size < count] + [count]


PAGE = 20
QUEUE_PAGES = {
    "queue": {},
    "queue_product": {"product": FILTER_PRODUCT},
    "queue_breached": {"breached": "true"},
}
MEASURED = {
    "queue": "queue page",
    "queue_product": "queue page, product filter",
    "queue_breached": "queue page, breached",
    "intake": "submit",
}


async def desks_growth(*, count: int, calls: int, work_dir: Path) -> BenchmarkResult:
    sizes = sizes_up_to(count)
    var_dir = work_dir / "var"
    runs: dict[str, dict[int, Any]] = {}
    notes: list[str] = []
    sqlite = Databases("sqlite", work_dir, None)
    runs["SQLite"] = await engine_run(await sqlite.migrated(DESKS), var_dir, sizes, calls)
    async with throwaway_postgres(work_dir, notes) as postgres:
        if postgres:
            runs["PostgreSQL"] = await engine_run(
                await postgres.migrated(DESKS), var_dir, sizes, calls
            )
    metrics: list[Metric] = []
    for engine, by_size in runs.items():
        metrics += _metrics(engine, by_size, sizes)
        seeding = ", ".join(f"{size:,} in {run['seed_s']:.0f} s" for size, run in by_size.items())
        overlaps = ", ".join(
            f"{run['overlaps_per_submit']:.1f} at {size:,}" for size, run in by_size.items()
        )
        failures = sum(run[kind]["failures"] for run in by_size.values() for kind in MEASURED)
        notes.append(
            f"{engine}: stored requests topped up to {seeding}; open share "
            f"{by_size[sizes[-1]]['open_share']:.0%}; overlaps flagged per submit {overlaps}"
            + (f"; {failures} calls FAILED (status ≥ 400)" if failures else "")
        )
    notes.append(
        f"{calls} calls of each after {WARMUP} warm-up, in-process through the desks app's "
        "routes (no lifespan: no broker); CPU: this process's (all of SQLite's work, the "
        "client's share on PostgreSQL); ratio: p95 at the largest size over the smallest "
        "(for a queue page, the smallest whose page was full: its rows are reported)"
    )
    return BenchmarkResult("desks growth", metrics=metrics, notes=notes, details=runs)


def _metrics(engine: str, by_size: dict[int, Any], sizes: list[int]) -> list[Metric]:
    metrics = []
    largest = sizes[-1]
    for kind, label in MEASURED.items():
        for size in sizes:
            summary = by_size[size][kind]
            name = f"{engine} {label} at {size:,}"
            metrics += [
                Metric(f"{name}: p50", summary["p50_ms"], "ms"),
                Metric(f"{name}: p95", summary["p95_ms"], "ms"),
                Metric(f"{name}: CPU p95", summary["cpu_p95_ms"], "ms"),
                Metric(f"{name}: statements", summary["statements"]),
            ]
            if "rows" in summary:
                metrics.append(Metric(f"{name}: rows on the page", summary["rows"]))
            if engine == "PostgreSQL":
                metrics.append(Metric(f"{name}: server CPU", summary["server_cpu_ms"], "ms"))
        smallest = _growth_base(by_size, sizes, kind)
        if largest != smallest:
            # The target is on CPU: the machine is shared, wall time moves with its load.
            for value, what, target in (
                ("p95_ms", "p95", None),
                ("cpu_p95_ms", "CPU p95", at_most(TARGET_RATIO)),
            ):
                ratio = by_size[largest][kind][value] / by_size[smallest][kind][value]
                metrics.append(
                    Metric(
                        f"{engine} {label}: {what} {largest:,} / {smallest:,}",
                        round(ratio, 2),
                        "x",
                        target,
                    )
                )
    return metrics


def _growth_base(by_size: dict[int, Any], sizes: list[int], kind: str) -> int:
    """The size growth is measured from: the smallest whose page was full. At 1 000
    stored requests a filtered page can hold fewer rows than at 100 000 (12 and 14 of 20
    in one run), and presenting fewer rows is cheaper: that ratio was the page's
    filling, not the query's growth."""
    full = [size for size in sizes if by_size[size][kind].get("rows", PAGE) >= PAGE]
    return full[0] if full else sizes[-1]


def run(count: int, calls: int, work_dir: Path) -> BenchmarkResult:
    work_dir.mkdir(parents=True, exist_ok=True)
    return asyncio.run(desks_growth(count=count, calls=calls, work_dir=work_dir))
