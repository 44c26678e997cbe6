"""The platform's messaging against the real broker: outbox, relay, inbox, retries,
dead letters, re-publication to a new broker, and trace propagation."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy import Engine, event, insert, make_url, select
from sqlmodel import col

from contracts.events import PRODUCTS_TOPIC, ProductCataloged
from services.products.app import DEFINITION as PRODUCTS_SCHEMA
from shared.clock import SystemClock
from shared.db import create_engine, session_factory
from shared.manage import migrate
from shared.messaging import EventContext, EventHandlers, InboxEntry, MessagingRuntime, Outbox
from shared.messaging.envelope import header_map, to_headers
from shared.messaging.models import OutboxMessage, PlatformState
from shared.processes import EmbeddedBroker, start_embedded_broker
from shared.settings import ServiceSettings
from shared.telemetry import configure_tracing, tracer
from shared.testing.waiting import eventually


def cataloged(code: str) -> ProductCataloged:
    return ProductCataloged(
        code=code,
        name=code.title(),
        provider_unit="Unit",
        description="",
        request_form={},
        capacity=1,
        active=True,
        revision=1,
    )


@dataclass
class Probe:
    """A service of one handler: it records each event's code as a PlatformState row
    (its effect, in the handler's transaction) and fails on demand."""

    fail_times: dict[str, int] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    trace_ids: list[int] = field(default_factory=list)

    def handlers(self) -> EventHandlers:
        registry = EventHandlers()

        @registry.on(ProductCataloged)
        async def on_cataloged(event: ProductCataloged, context: EventContext) -> None:
            self.calls.append(event.code)
            self.trace_ids.append(trace.get_current_span().get_span_context().trace_id)
            if self.fail_times.get(event.code, 0) > 0:
                self.fail_times[event.code] -= 1
                raise RuntimeError(f"{event.code} is not welcome")
            context.session.add(PlatformState(key=f"seen:{event.code}", value=context.envelope.id))

        return registry


@dataclass
class Harness:
    settings: ServiceSettings
    runtime: MessagingRuntime
    outbox: Outbox
    probe: Probe

    async def publish(self, *events: ProductCataloged) -> None:
        async with self.runtime.sessions() as session, session.begin():
            for event in events:
                self.outbox.add(session, event)

    async def seen(self) -> set[str]:
        async with self.runtime.sessions() as session, session.begin():
            rows = (await session.scalars(select(PlatformState.key))).all()
        return {key.removeprefix("seen:") for key in rows if key.startswith("seen:")}

    async def inbox(self) -> dict[str, str]:
        async with self.runtime.sessions() as session, session.begin():
            rows = (await session.scalars(select(InboxEntry))).all()
        return {row.event_id: row.outcome for row in rows}


@asynccontextmanager
async def probe_service(settings: ServiceSettings, probe: Probe) -> AsyncIterator[Harness]:
    await migrate(PRODUCTS_SCHEMA, settings)  # any service's schema carries the platform tables
    engine = create_engine(settings.resolved_database_url)
    outbox = Outbox("/onedoor/probe")
    runtime = MessagingRuntime(
        settings, session_factory(engine), outbox, probe.handlers(), SystemClock()
    )
    await runtime.start()
    try:
        yield Harness(settings, runtime, outbox, probe)
    finally:
        await runtime.stop()
        await engine.dispose()


async def read_topic(
    bootstrap: str, topic: str, expected: int, *, until_quiet: bool = False
) -> list[dict[str, str]]:
    """The headers of the records on `topic`, read until `expected` came (`until_quiet`:
    and then a poll found nothing more, so a record beyond them shows too)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, auto_offset_reset="earliest", fetch_max_wait_ms=100
    )
    await consumer.start()
    try:
        await consumer.topics()
        consumer.assign(
            [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        )
        records: list[dict[str, str]] = []
        for _ in range(50):
            batch = await consumer.getmany(timeout_ms=200)
            came = [header_map(r.headers) for rs in batch.values() for r in rs]
            records += came
            if len(records) >= expected and not (until_quiet and came):
                break
        return records
    finally:
        await consumer.stop()


async def produce_raw(
    bootstrap: str, topic: str, value: bytes, headers: list[tuple[str, bytes]], key: bytes = b"k"
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topic, value=value, key=key, headers=headers)
    finally:
        await producer.stop()


async def test_published_events_are_applied_once_even_when_redelivered(
    probe_settings: ServiceSettings,
) -> None:
    async with probe_service(probe_settings, Probe()) as harness:
        await harness.publish(cataloged("ALPHA"), cataloged("BETA"))
        await eventually(lambda: _has(harness, {"ALPHA", "BETA"}))
        first_id = next(iter(await harness.inbox()))

        # The broker hands the very same event (same ce_id) over again, on the
        # partition GAMMA will take, so it is handled before GAMMA is.
        headers = to_headers(
            event_id=first_id,
            event_type=ProductCataloged.type,
            source="/test",
            time=datetime.now(UTC),
            correlation_id=first_id,
            subject=None,
            causation_id=None,
            traceparent=None,
        )
        topic = probe_settings.physical_topic(PRODUCTS_TOPIC)
        duplicate = cataloged("ALPHA").model_dump_json().encode()
        await produce_raw(
            probe_settings.kafka_bootstrap_servers, topic, duplicate, headers, key=b"GAMMA"
        )
        await harness.publish(cataloged("GAMMA"))
        await eventually(lambda: _has(harness, {"GAMMA"}))
        assert sorted(harness.probe.calls) == ["ALPHA", "BETA", "GAMMA"]


async def test_a_failing_event_is_retried_then_dead_lettered_and_the_rest_goes_on(
    probe_settings: ServiceSettings,
) -> None:
    probe = Probe(fail_times={"POISON": 99, "FLAKY": 2})
    async with probe_service(probe_settings, probe) as harness:
        await harness.publish(cataloged("POISON"), cataloged("FLAKY"), cataloged("FINE"))
        await eventually(lambda: _has(harness, {"FLAKY", "FINE"}))
        await eventually(lambda: _inbox_size(harness, 3))  # the three sit in different partitions
        # At most once in the optimistic pass over the whole batch (which stops at
        # the first failure, FLAKY's or POISON's), then consumer_max_attempts alone.
        assert probe.calls.count("POISON") in (3, 1 + 3)
        assert probe.calls.count("FLAKY") >= 3  # two failures, then applied
        assert sorted((await harness.inbox()).values()) == ["applied", "applied", "dead_lettered"]

        dlq = probe_settings.physical_topic(probe_settings.dead_letter_topic)
        [letter] = await read_topic(probe_settings.kafka_bootstrap_servers, dlq, expected=1)
        assert letter["ce_type"] == ProductCataloged.type
        assert "POISON is not welcome" in letter["dlq_error"]
        assert letter["dlq_consumer"] == probe_settings.consumer_group
        assert letter["dlq_attempts"] == "3"


async def test_an_unreadable_record_is_dead_lettered(probe_settings: ServiceSettings) -> None:
    async with probe_service(probe_settings, Probe()) as harness:
        topic = probe_settings.physical_topic(PRODUCTS_TOPIC)
        await produce_raw(
            probe_settings.kafka_bootstrap_servers, topic, b"\xff not json", [("ce_id", b"x")]
        )
        await harness.publish(cataloged("AFTER"))
        await eventually(lambda: _has(harness, {"AFTER"}))
        dlq = probe_settings.physical_topic(probe_settings.dead_letter_topic)
        [letter] = await read_topic(probe_settings.kafka_bootstrap_servers, dlq, expected=1)
        assert letter["dlq_error"].startswith("malformed event")


async def test_records_of_types_handled_elsewhere_are_consumed_unparsed_and_in_order(
    probe_settings: ServiceSettings,
) -> None:
    async with probe_service(probe_settings, Probe()) as harness:
        topic = probe_settings.physical_topic(PRODUCTS_TOPIC)
        bootstrap = probe_settings.kafka_bootstrap_servers
        # Not even JSON: a type this service does not handle is passed over by its
        # header, so its body is never parsed (and nothing is dead-lettered).
        for _ in range(3):
            await produce_raw(bootstrap, topic, b"\xff not json", _headers(ELSEWHERE), b"ONE")
        await eventually(lambda: _consumed_to_end(probe_settings, topic))
        assert await harness.inbox() == {}

        # One key, so one partition: the handled events keep their order around the
        # skipped ones.
        for code in ("FIRST", "SECOND", "THIRD"):
            await produce_raw(bootstrap, topic, b"{}", _headers(ELSEWHERE), b"ONE")
            body = cataloged(code).model_dump_json().encode()
            await produce_raw(bootstrap, topic, body, _headers(ProductCataloged.type), b"ONE")
        await eventually(lambda: _has(harness, {"FIRST", "SECOND", "THIRD"}))
        await eventually(lambda: _consumed_to_end(probe_settings, topic))
        assert harness.probe.calls == ["FIRST", "SECOND", "THIRD"]
        consumer = harness.runtime.consumer
        assert consumer is not None
        assert consumer.unhandled[ELSEWHERE] == 6
        assert consumer.dead_lettered == 0
        assert len(await harness.inbox()) == 3


ELSEWHERE = "onedoor.somebody.else.v1"


def _headers(event_type: str) -> list[tuple[str, bytes]]:
    event_id = str(uuid.uuid4())
    return to_headers(
        event_id=event_id,
        event_type=event_type,
        source="/test",
        time=datetime.now(UTC),
        correlation_id=event_id,
        subject=None,
        causation_id=None,
        traceparent=None,
    )


async def _consumed_to_end(settings: ServiceSettings, topic: str) -> bool:
    """Whether the consumer group's committed offsets reached the end of every partition."""
    reader = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=settings.consumer_group,
        enable_auto_commit=False,
    )
    await reader.start()
    try:
        await reader.topics()
        partitions = [TopicPartition(topic, p) for p in reader.partitions_for_topic(topic) or ()]
        ends = await reader.end_offsets(partitions)
        committed = {p: await reader.committed(p) or 0 for p in partitions}
        return all(committed[p] == ends[p] for p in partitions)
    finally:
        await reader.stop()


async def test_the_relay_reads_the_outbox_again_at_once_only_after_a_full_batch(
    probe_settings: ServiceSettings,
) -> None:
    settings = probe_settings.model_copy(
        update={"outbox_batch_size": 2, "outbox_poll_interval_s": 3600.0}
    )
    claims: list[str] = []
    # This probe's database only: the listener sees every engine of the process, and on
    # a loaded machine the PostgreSQL run once counted a fourth claim in SQLite's style,
    # another test's relay (stopping, or still running), not this one's.
    database = make_url(settings.resolved_database_url).database

    def count_claims(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        mine = conn.engine.url.database == database
        if mine and statement.startswith("SELECT outbox_message.seq"):
            claims.append(statement)

    event.listen(Engine, "before_cursor_execute", count_claims)
    try:
        async with probe_service(settings, Probe()) as harness:
            await harness.publish(cataloged("ONE"), cataloged("TWO"), cataloged("THREE"))
            await eventually(lambda: _has(harness, {"ONE", "TWO", "THREE"}))
    finally:
        event.remove(Engine, "before_cursor_execute", count_claims)
    # The pass at start (nothing yet), then a full batch of two and the last one; no
    # query of an outbox the partial batch just emptied.
    assert len(claims) == 3


async def test_each_row_is_published_once_and_a_clean_stop_leaves_all_marked_sent(
    probe_settings: ServiceSettings, broker: EmbeddedBroker
) -> None:
    # Batches of two over five commits, read without the write lock.
    settings = probe_settings.model_copy(update={"outbox_batch_size": 2})
    codes = ["ONE", "TWO", "THREE", "FOUR", "FIVE"]
    async with probe_service(settings, Probe()) as harness:
        for code in codes:
            await harness.publish(cataloged(code))
        await eventually(lambda: _has(harness, set(codes)))
    topic = settings.physical_topic(PRODUCTS_TOPIC)
    records = await read_topic(broker.bootstrap_servers, topic, len(codes), until_quiet=True)
    published = [record["ce_id"] for record in records]
    assert len(published) == len(set(published)) == len(codes)
    engine = create_engine(settings.resolved_database_url)
    try:
        assert await unsent_seqs(session_factory(engine)) == []
    finally:
        await engine.dispose()


async def test_a_row_written_after_the_outbox_was_pruned_empty_is_published(
    probe_settings: ServiceSettings,
) -> None:
    # SQLite numbers a new row after the largest seq left, so with every row pruned the
    # next one is numbered below the last one the relay published: a relay that read on
    # from its last seq would never see it.
    settings = probe_settings.model_copy(update={"outbox_retention_hours": 1e-9})
    async with probe_service(settings, Probe()) as harness:
        await harness.publish(cataloged("ONE"), cataloged("TWO"))
        await eventually(lambda: _has(harness, {"ONE", "TWO"}))
        await eventually(lambda: _all_sent(harness.runtime.sessions))
        assert harness.runtime.relay is not None
        assert await harness.runtime.relay.prune() == 2
        await harness.publish(cataloged("THREE"))
        if settings.resolved_database_url.startswith("sqlite"):
            assert await outbox_seqs(harness.runtime.sessions) == [1]
        await eventually(lambda: _has(harness, {"THREE"}))


async def outbox_seqs(sessions: Any) -> list[int]:
    async with sessions() as session:
        query = select(OutboxMessage.seq).order_by(col(OutboxMessage.seq))
        return [int(seq) for seq in (await session.scalars(query)).all()]


async def unsent_seqs(sessions: Any) -> list[int]:
    async with sessions() as session:
        unsent = select(OutboxMessage.seq).where(col(OutboxMessage.sent_at).is_(None))
        return [int(seq) for seq in (await session.scalars(unsent)).all()]


async def _all_sent(sessions: Any) -> bool:
    return not await unsent_seqs(sessions)


async def test_a_new_broker_receives_the_retained_outbox_again(
    probe_settings: ServiceSettings, broker: EmbeddedBroker
) -> None:
    async with probe_service(probe_settings, Probe()) as harness:
        await harness.publish(cataloged("ONE"), cataloged("TWO"))
        await eventually(lambda: _has(harness, {"ONE", "TWO"}))

    second = start_embedded_broker()
    try:
        moved = probe_settings.model_copy(
            update={"kafka_bootstrap_servers": second.bootstrap_servers}
        )
        async with probe_service(moved, Probe()) as harness:
            assert harness.runtime.republished == 2
            topic = moved.physical_topic(PRODUCTS_TOPIC)
            records = await read_topic(second.bootstrap_servers, topic, expected=2)
            assert len(records) == 2
            # The inbox already holds both: re-published events change nothing.
            await asyncio.sleep(0.3)
            assert harness.probe.calls == []
    finally:
        second.stop()


async def test_a_replaced_broker_is_fatal_not_limped_on(probe_settings: ServiceSettings) -> None:
    first = start_embedded_broker()
    port = first.port
    settings = probe_settings.model_copy(
        update={"kafka_bootstrap_servers": first.bootstrap_servers}
    )
    replacement = None
    try:
        async with probe_service(settings, Probe()) as harness:
            assert harness.runtime.ready
            first.stop()
            replacement = start_embedded_broker(port)
            await eventually(lambda: _fatal(harness), timeout_s=30)
            assert "broker replaced" in harness.runtime.fatal_reason
            assert not harness.runtime.ready
    finally:
        for started in (first, replacement):
            if started is not None and started.alive:
                started.stop()


async def test_the_trace_continues_from_the_writer_to_the_handler(
    probe_settings: ServiceSettings,
) -> None:
    configure_tracing("tests", probe_settings)
    provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider)
    spans = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    probe = Probe()
    async with probe_service(probe_settings, probe) as harness:
        with tracer().start_as_current_span("submit") as origin:
            await harness.publish(cataloged("TRACED"))
        await eventually(lambda: _has(harness, {"TRACED"}))
    origin_trace = origin.get_span_context().trace_id
    assert probe.trace_ids == [origin_trace]
    # The relay and the consumer work in batches: one span per batch, linked to the
    # trace of each event in it, while the handler ran in the writer's trace.
    finished = spans.get_finished_spans()
    for name in ("publish outbox batch", "process batch"):
        [batch] = [span for span in finished if span.name == name]
        assert [link.context.trace_id for link in batch.links] == [origin_trace]


async def _has(harness: Harness, codes: set[str]) -> bool:
    return codes <= await harness.seen()


async def _inbox_size(harness: Harness, size: int) -> bool:
    return len(await harness.inbox()) == size


async def _fatal(harness: Harness) -> bool:
    return harness.runtime.fatal.is_set()


async def test_a_new_broker_costs_what_was_in_flight_not_the_whole_history(
    probe_settings: ServiceSettings, broker: EmbeddedBroker
) -> None:
    history = 20_000
    async with probe_service(probe_settings, Probe()) as harness:
        await harness.publish(cataloged("RECENT"))
        await eventually(lambda: _has(harness, {"RECENT"}))
        # A week of history, sent long ago (well inside the retention, outside the window).
        long_ago = datetime.now(UTC) - timedelta(days=3)
        async with harness.runtime.sessions() as session, session.begin():
            template = (await session.scalars(select(OutboxMessage))).one()
            await session.execute(
                insert(OutboxMessage),
                [
                    {
                        **template.model_dump(exclude={"seq"}),
                        "event_id": f"old-{n}",
                        "created_at": long_ago,
                        "sent_at": long_ago,
                    }
                    for n in range(history)
                ],
            )

    second = start_embedded_broker()
    try:
        moved = probe_settings.model_copy(
            update={"kafka_bootstrap_servers": second.bootstrap_servers}
        )
        started = time.monotonic()
        async with probe_service(moved, Probe()) as harness:
            assert harness.runtime.republished == 1
            records = await read_topic(
                second.bootstrap_servers, moved.physical_topic(PRODUCTS_TOPIC), expected=1
            )
            assert len(records) == 1
            elapsed = time.monotonic() - started
            print(f"new broker with {history} retained rows: 1 re-published in {elapsed:.2f}s")
            assert elapsed < 10
        capped = moved.model_copy(update={"outbox_republish_max_rows": 0})
        third = start_embedded_broker()
        try:
            capped = capped.model_copy(update={"kafka_bootstrap_servers": third.bootstrap_servers})
            async with probe_service(capped, Probe()) as harness:
                assert harness.runtime.republished == 0
        finally:
            third.stop()
    finally:
        second.stop()


async def test_the_consumer_fetches_with_the_short_wait_only_while_records_flow(
    probe_settings: ServiceSettings,
) -> None:
    settings = probe_settings.model_copy(
        update={"kafka_fetch_max_wait_ms": 300, "kafka_fetch_busy_wait_ms": 7}
    )
    async with probe_service(settings, Probe()) as harness:
        assert harness.runtime.consumer is not None
        client = harness.runtime.consumer._consumer._client
        waits: list[int] = []
        send = client.send

        async def recording_send(node_id: int, request: Any, **options: Any) -> Any:
            if type(request).__name__ == "FetchRequest":
                waits.append(request._max_wait_ms)
            return await send(node_id, request, **options)

        client.send = recording_send
        await eventually(lambda: _fetched(waits, 300))
        assert set(waits) == {300}  # idle from the start

        await harness.publish(cataloged("ALPHA"))
        await eventually(lambda: _has(harness, {"ALPHA"}))
        await eventually(lambda: _fetched(waits, 7))
        # About a second after the last record, the long wait again.
        busy_from = waits.index(7)
        await eventually(lambda: _fetched(waits[busy_from:], 300))


async def _fetched(waits: list[int], wait_ms: int) -> bool:
    return wait_ms in waits
