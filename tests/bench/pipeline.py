"""Event pipeline throughput: outbox → broker → inbox against raw aiokafka.

Both sides run on one fresh embedded broker, from this one process, with the
platform's own client settings (`shared.messaging.broker`) and its relay batch
size, so the ratio shows what the outbox, relay, envelope and inbox cost and
nothing else (raw records are bare 500 B values; the platform's also carry the
CloudEvents headers, part of what it costs). Rounds alternate raw and platform and the best of each counts, so
a noisy neighbour on this shared machine does not decide the ratio.

The platform side is the real path, two `MessagingRuntime`s as services run them:
a source whose relay publishes committed outbox rows, and a sink whose consumer
applies each event with a do-nothing handler and records it in its inbox. Time
runs from the first outbox write to the last inbox row committed.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import func, select

from contracts.events import ProductCataloged
from services.products.app import DEFINITION as PRODUCTS
from shared.clock import SystemClock
from shared.db import create_engine, session_factory
from shared.messaging import EventContext, EventHandlers, InboxEntry, MessagingRuntime, Outbox
from shared.messaging import broker as kafka
from shared.migrations import upgrade
from shared.processes import free_port, start_embedded_broker
from shared.settings import ServiceSettings
from tests.bench.results import BenchmarkResult, Metric, at_least

MESSAGE_BYTES = 500
TARGET_RATIO = 0.5
ROUNDS = 2
WRITE_TRANSACTIONS = 10
RELAY_BATCH: int = ServiceSettings.model_fields["outbox_batch_size"].default


@dataclass
class Run:
    delivered: int
    elapsed_s: float
    write_s: float = 0.0

    @property
    def rate(self) -> float:
        return self.delivered / self.elapsed_s


async def event_pipeline(*, messages: int, work_dir: Path) -> BenchmarkResult:
    broker = start_embedded_broker(free_port())
    raw_runs: list[Run] = []
    platform_runs: list[Run] = []
    try:
        for round_number in range(ROUNDS):
            # Fresh topics and databases each round, so no round reads another's events.
            namespace, round_dir = f"bench{round_number}", work_dir / f"round{round_number}"
            raw = _settings(broker.bootstrap_servers, namespace, "raw", round_dir)
            raw_runs.append(await raw_produce_consume(raw, messages))
            platform_runs.append(
                await platform_pipeline(broker.bootstrap_servers, namespace, messages, round_dir)
            )
    finally:
        broker.stop()
    return _result(raw_runs, platform_runs, messages)


def _settings(bootstrap: str, namespace: str, name: str, work_dir: Path) -> ServiceSettings:
    return ServiceSettings(
        service_name=name,
        var_dir=work_dir,
        database_url=f"sqlite+aiosqlite:///{work_dir / name}.db",
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


async def raw_produce_consume(settings: ServiceSettings, messages: int) -> Run:
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
        return Run(delivered, time.perf_counter() - started)
    finally:
        await producer.stop()
        await consumer.stop()


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


async def platform_pipeline(bootstrap: str, namespace: str, messages: int, work_dir: Path) -> Run:
    source_settings = _settings(bootstrap, namespace, "source", work_dir)
    sink_settings = _settings(bootstrap, namespace, "sink", work_dir)
    source_engine = create_engine(source_settings.resolved_database_url)
    sink_engine = create_engine(sink_settings.resolved_database_url)
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
        started = time.perf_counter()
        await _write_outbox(source, messages)
        written = time.perf_counter()
        delivered = await _until_inbox_holds(sink, messages, _timeout_s(messages))
        return Run(delivered, time.perf_counter() - started, written - started)
    finally:
        await source.stop()
        await sink.stop()
        await source_engine.dispose()
        await sink_engine.dispose()


async def _write_outbox(runtime: MessagingRuntime, messages: int) -> None:
    description = padding()
    per_transaction = max(messages // WRITE_TRANSACTIONS, 1)
    for first in range(0, messages, per_transaction):
        async with runtime.sessions() as session, session.begin():
            for number in range(first, min(first + per_transaction, messages)):
                runtime.outbox.add(session, cataloged(number, description))


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


def _result(raw_runs: list[Run], platform_runs: list[Run], messages: int) -> BenchmarkResult:
    raw = max(raw_runs, key=lambda run: run.rate)
    platform = max(platform_runs, key=lambda run: run.rate)
    notes = [
        f"{messages} events of ~{MESSAGE_BYTES} B per run, best of {ROUNDS} alternating rounds",
        f"platform: writing the outbox ({WRITE_TRANSACTIONS} transactions) took "
        f"{platform.write_s:.2f} s of {platform.elapsed_s:.2f} s",
    ]
    if platform.delivered < messages:
        notes.append(f"only {platform.delivered} of {messages} events reached the inbox in time")
    return BenchmarkResult(
        name="event pipeline",
        metrics=[
            Metric("raw aiokafka produce → consume", raw.rate, "msg/s"),
            Metric("outbox → relay → broker → consumer → inbox", platform.rate, "msg/s"),
            Metric(
                "ratio platform / raw",
                platform.rate / raw.rate * 100,
                "%",
                at_least(TARGET_RATIO * 100),
            ),
        ],
        notes=notes,
        details={
            "messages": messages,
            "raw_runs": [vars(run) | {"rate": run.rate} for run in raw_runs],
            "platform_runs": [vars(run) | {"rate": run.rate} for run in platform_runs],
        },
    )
