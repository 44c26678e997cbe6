"""Event pipeline throughput: outbox → broker → inbox against raw aiokafka.

Both sides run on one fresh embedded broker, from this one process, with the
platform's own client settings (`shared.messaging.broker`) and its relay batch
size, so the ratio shows what the outbox, relay, envelope and inbox cost and
nothing else (raw records are bare 500 B values; the platform's also carry the
CloudEvents headers, part of what it costs). Rounds alternate raw and platform
and the best of each counts, so a noisy neighbour on this shared machine does
not decide the ratio.

The platform side is the real path, two `MessagingRuntime`s as services run them,
with tracing configured as a service configures it: a source whose relay
publishes committed outbox rows, written in transactions that each run inside a
span as a request's would, and a sink whose consumer applies each event with a
do-nothing handler and records it in its inbox. Time runs from the first outbox
write to the last inbox row committed. It runs on SQLite (with the platform's
`synchronous=NORMAL` and, for the durability trade-off, `synchronous=FULL`) and
on PostgreSQL (the test harness's server; it runs with fsync off).
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from contracts.events import ProductCataloged
from services.products.app import DEFINITION as PRODUCTS
from shared.clock import SystemClock
from shared.db import create_engine, session_factory
from shared.messaging import EventContext, EventHandlers, InboxEntry, MessagingRuntime, Outbox
from shared.messaging import broker as kafka
from shared.migrations import upgrade
from shared.processes import EmbeddedBroker, free_port, start_embedded_broker
from shared.settings import ServiceSettings
from shared.telemetry import configure_tracing, tracer
from shared.testing.databases import Databases
from tests.bench.cpu import CpuMeter
from tests.bench.postgres import throwaway_postgres
from tests.bench.results import BenchmarkResult, Metric, at_least, latency_summary

MESSAGE_BYTES = 500
TARGET_RATIO = 0.5
ROUNDS = 2
WRITE_TRANSACTIONS = 10
COMMITS = 200
RELAY_BATCH: int = ServiceSettings.model_fields["outbox_batch_size"].default
SQLITE = "SQLite"
SQLITE_FULL = "SQLite synchronous=FULL"
POSTGRES = "PostgreSQL"


@dataclass
class Run:
    delivered: int
    elapsed_s: float
    write_s: float = 0.0
    statements: int = 0
    cpu_s: dict[str, float] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.delivered / self.elapsed_s

    def as_json(self) -> dict[str, Any]:
        return vars(self) | {"rate": self.rate}


@dataclass
class PipelineDatabases:
    """Where each variant keeps its two databases: SQLite files, or PostgreSQL."""

    work_dir: Path
    postgres: Databases | None

    async def url(self, variant: str, name: str) -> str:
        if variant == POSTGRES:
            assert self.postgres is not None
            return await self.postgres.new(name)
        return f"sqlite+aiosqlite:///{self.work_dir / _slug(variant)}_{name}.db"


async def event_pipeline(*, messages: int, work_dir: Path) -> BenchmarkResult:
    configure_tracing("bench", ServiceSettings(service_name="bench"))
    broker = start_embedded_broker(free_port())
    runs: dict[str, list[Run]] = {"raw": []}
    notes: list[str] = []
    try:
        async with throwaway_postgres(work_dir, notes) as postgres:
            variants = [SQLITE, SQLITE_FULL] + ([POSTGRES] if postgres else [])
            for round_number in range(ROUNDS):
                # Fresh topics and databases each round, so no round reads another's events.
                namespace, round_dir = f"bench{round_number}", work_dir / f"round{round_number}"
                round_dir.mkdir(parents=True, exist_ok=True)
                where = PipelineDatabases(round_dir, postgres)
                raw = _settings(broker.bootstrap_servers, namespace, "raw", "sqlite://")
                runs["raw"].append(await raw_produce_consume(raw, broker, messages))
                for variant in variants:
                    runs.setdefault(variant, []).append(
                        await platform_pipeline(
                            broker, f"{namespace}-{_slug(variant)}", messages, where, variant
                        )
                    )
            commits = {
                variant: await one_event_commits(where, variant)
                for variant in (SQLITE, SQLITE_FULL)
            }
    finally:
        broker.stop()
    return _result(runs, commits, messages, notes)


async def one_event_commits(where: PipelineDatabases, variant: str) -> dict[str, float]:
    """What a request pays for the durability setting: commits of one event each."""
    engine = _engine(await where.url(variant, "commits"), variant)
    try:
        await upgrade(engine, PRODUCTS.migrations_dir)
        sessions, outbox, took_ms = session_factory(engine), Outbox("/bench/commits"), []
        for number in range(COMMITS):
            started = time.perf_counter()
            async with sessions() as session, session.begin():
                outbox.add(session, cataloged(number))
            took_ms.append((time.perf_counter() - started) * 1000)
        return latency_summary(took_ms)
    finally:
        await engine.dispose()


def _slug(variant: str) -> str:
    return "".join(c for c in variant.lower() if c.isalnum())


def _settings(bootstrap: str, namespace: str, name: str, database_url: str) -> ServiceSettings:
    return ServiceSettings(
        service_name=name,
        database_url=database_url,
        kafka_bootstrap_servers=bootstrap,
        kafka_namespace=namespace,
    )


def cataloged(number: int, description: str = "") -> ProductCataloged:
    return ProductCataloged(
        code=f"BENCH_{number}",
        name="Benchmark product",
        provider_unit="Benchmark unit",
        description=description,
        request_form={},
        capacity=1,
        active=True,
        revision=1,
    )


def padding() -> str:
    """A description that makes each event's payload about MESSAGE_BYTES long."""
    return "x" * max(MESSAGE_BYTES - len(cataloged(0).model_dump_json()), 0)


async def raw_produce_consume(
    settings: ServiceSettings, broker: EmbeddedBroker, messages: int
) -> Run:
    topic = settings.physical_topic("raw")
    admin = kafka.admin_client(settings)
    await admin.start()
    try:
        await kafka.ensure_topics(admin, settings, [topic])
    finally:
        await admin.close()
    producer = kafka.producer(settings)
    consumer = kafka.consumer(settings, settings.consumer_group)
    await producer.start()
    await consumer.start()
    try:
        await _assign_all(consumer, topic)
        value = b"x" * MESSAGE_BYTES
        meter = _cpu_meter(broker)
        started = time.perf_counter()
        consuming = asyncio.create_task(_consume(consumer, messages))
        # Batches of the relay's size, each awaited whole, as the relay sends them.
        for first in range(0, messages, RELAY_BATCH):
            numbers = range(first, min(first + RELAY_BATCH, messages))
            deliveries = [
                await producer.send(topic, value=value, key=f"BENCH_{n}".encode()) for n in numbers
            ]
            await asyncio.gather(*deliveries)
        delivered = await asyncio.wait_for(consuming, _timeout_s(messages))
        return Run(delivered, time.perf_counter() - started, cpu_s=meter.used_s())
    finally:
        await producer.stop()
        await consumer.stop()


def _cpu_meter(broker: EmbeddedBroker) -> CpuMeter:
    return CpuMeter({"bench process": os.getpid(), "broker": broker.process.pid})


async def _assign_all(consumer: AIOKafkaConsumer, topic: str) -> None:
    await consumer.topics()
    partitions = sorted(consumer.partitions_for_topic(topic) or ())
    consumer.assign([TopicPartition(topic, partition) for partition in partitions])
    await consumer.seek_to_beginning()


async def _consume(consumer: AIOKafkaConsumer, messages: int) -> int:
    received = 0
    while received < messages:
        batches = await consumer.getmany(timeout_ms=1000, max_records=RELAY_BATCH)
        received += sum(len(records) for records in batches.values())
    return received


class StatementCounter:
    """Statements sent to the databases (an executemany counts once: one round trip)."""

    def __init__(self, *engines: AsyncEngine) -> None:
        self.count = 0
        for engine in engines:
            event.listen(engine.sync_engine, "before_cursor_execute", self._count)

    def _count(self, *_arguments: object) -> None:
        self.count += 1


def _engine(url: str, variant: str) -> AsyncEngine:
    engine = create_engine(url)
    if variant == SQLITE_FULL:

        @event.listens_for(engine.sync_engine, "connect")
        def _fsync_every_commit(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.close()

    return engine


async def platform_pipeline(
    broker: EmbeddedBroker, namespace: str, messages: int, where: PipelineDatabases, variant: str
) -> Run:
    bootstrap = broker.bootstrap_servers
    source_url, sink_url = await where.url(variant, "source"), await where.url(variant, "sink")
    source_settings = _settings(bootstrap, namespace, "source", source_url)
    sink_settings = _settings(bootstrap, namespace, "sink", sink_url)
    source_engine, sink_engine = _engine(source_url, variant), _engine(sink_url, variant)
    source_sessions, sink_sessions = session_factory(source_engine), session_factory(sink_engine)
    handlers = EventHandlers()

    @handlers.on(ProductCataloged)
    async def ignore(_event: ProductCataloged, _context: EventContext) -> None:
        """Do nothing: the bench measures the platform's cost, not a handler's."""

    clock = SystemClock()
    source = MessagingRuntime(
        source_settings, source_sessions, Outbox("/bench/source", clock), EventHandlers(), clock
    )
    sink = MessagingRuntime(
        sink_settings, sink_sessions, Outbox("/bench/sink", clock), handlers, clock
    )
    try:
        for engine in (source_engine, sink_engine):
            await upgrade(engine, PRODUCTS.migrations_dir)
        await sink.start()
        await source.start()
        # The events exist before the clock starts, as the raw side's values do: a
        # service builds its event from the change it makes; the pipeline starts at
        # `Outbox.add` (serialisation included).
        events = _events(messages)
        statements = StatementCounter(source_engine, sink_engine)
        meter = _cpu_meter(broker)
        started = time.perf_counter()
        await _write_outbox(source, events)
        written = time.perf_counter()
        delivered = await _until_inbox_holds(sink, messages, _timeout_s(messages))
        elapsed = time.perf_counter() - started
        return Run(
            delivered,
            elapsed,
            written - started,
            statements=statements.count,
            cpu_s=meter.used_s(),
        )
    finally:
        await source.stop()
        await sink.stop()
        await source_engine.dispose()
        await sink_engine.dispose()


def _events(messages: int) -> list[ProductCataloged]:
    description = padding()
    return [cataloged(number, description) for number in range(messages)]


async def _write_outbox(runtime: MessagingRuntime, events: list[ProductCataloged]) -> None:
    per_transaction = max(len(events) // WRITE_TRANSACTIONS, 1)
    for first in range(0, len(events), per_transaction):
        # As a request would: its transaction inside its span, whose trace the events carry.
        with tracer().start_as_current_span("bench write"):
            async with runtime.sessions() as session, session.begin():
                for event in events[first : first + per_transaction]:
                    runtime.outbox.add(session, event)


async def _until_inbox_holds(runtime: MessagingRuntime, messages: int, timeout_s: float) -> int:
    """Wait until the sink's inbox has committed `messages` rows; return how many it holds."""
    consumer = runtime.consumer
    assert consumer is not None
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        # The in-process counter is cheap to watch, but it counts before the batch
        # commits: only the inbox itself says the last event is applied.
        if consumer.applied >= messages and await _inbox_rows(runtime) >= messages:
            break
        await asyncio.sleep(0.005)
    return await _inbox_rows(runtime)


async def _inbox_rows(runtime: MessagingRuntime) -> int:
    async with runtime.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(InboxEntry)) or 0)


def _timeout_s(messages: int) -> float:
    return max(60.0, messages / 200)


def _result(
    runs: dict[str, list[Run]],
    commits: dict[str, dict[str, float]],
    messages: int,
    notes: list[str],
) -> BenchmarkResult:
    best = {name: max(attempts, key=lambda run: run.rate) for name, attempts in runs.items()}
    raw = best.pop("raw")
    metrics = [
        Metric("raw aiokafka produce → consume", raw.rate, "msg/s"),
        Metric("raw: CPU per event, this process + broker", _cpu_us(raw, messages), "µs"),
    ]
    notes = [
        f"{messages} events of ~{MESSAGE_BYTES} B per run, best of {ROUNDS} alternating rounds",
        *notes,
    ]
    for variant, platform in best.items():
        metrics += [
            Metric(
                f"{variant}: outbox → relay → broker → consumer → inbox", platform.rate, "msg/s"
            ),
            Metric(
                f"{variant}: ratio platform / raw",
                platform.rate / raw.rate * 100,
                "%",
                at_least(TARGET_RATIO * 100),
            ),
            Metric(f"{variant}: statements per event", platform.statements / messages),
            Metric(
                f"{variant}: CPU per event, this process + broker",
                _cpu_us(platform, messages),
                "µs",
            ),
        ]
        notes.append(
            f"{variant}: writing the outbox ({WRITE_TRANSACTIONS} transactions) took "
            f"{platform.write_s:.2f} s of {platform.elapsed_s:.2f} s; CPU "
            + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in platform.cpu_s.items())
        )
        if platform.delivered < messages:
            notes.append(
                f"{variant}: only {platform.delivered} of {messages} events reached the inbox"
            )
    for variant, latency in commits.items():
        metrics += [
            Metric(f"{variant}: commit of one event p50", latency["p50_ms"], "ms"),
            Metric(f"{variant}: commit of one event p95", latency["p95_ms"], "ms"),
        ]
    return BenchmarkResult(
        name="event pipeline",
        metrics=metrics,
        notes=notes,
        details={
            "messages": messages,
            "runs": {name: [run.as_json() for run in attempts] for name, attempts in runs.items()},
            "one_event_commits_ms": commits,
        },
    )


def _cpu_us(run: Run, messages: int) -> float:
    return sum(run.cpu_s.values()) / messages * 1e6
