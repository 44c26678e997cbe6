"""What the consumer benches (insights_apply, notifications_apply) share: events made
into the records the broker hands a consumer, the platform's own consumer
(EventConsumer.apply: the inbox, the batch's savepoint, the handlers) applying them in
batches with no broker, and a run that warms the store with the first half of the
stream and measures the second: CPU, wall time and SQL statements per event."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from aiokafka import ConsumerRecord
from sqlalchemy import event as sa_event

from contracts.events import Event
from shared.clock import Clock, SystemClock
from shared.db import create_engine, session_factory
from shared.messaging import EventHandlers
from shared.messaging.consumer import EventConsumer
from shared.messaging.envelope import to_headers
from shared.messaging.outbox import Outbox

Records = list[ConsumerRecord[bytes, bytes]]


def records(timed: Sequence[tuple[datetime, Event]]) -> Records:
    """The events as the broker hands them to the consumer: CloudEvents headers, JSON."""
    made = []
    for offset, (moment, event) in enumerate(timed):
        event_id = f"{offset:08d}-2222-4000-8000-000000000000"
        headers = to_headers(
            event_id=event_id,
            event_type=event.type,
            source="bench",
            time=moment,
            correlation_id=event_id,
            subject=None,
            causation_id=None,
            traceparent=None,
        )
        value = event.model_dump_json().encode()
        made.append(
            ConsumerRecord(event.topic, 0, offset, 0, 0, None, value, None, 0, len(value), headers)
        )
    return made


def apply_only_consumer(
    url: str, group: str, handlers: EventHandlers, clock: Clock | None = None
) -> tuple[EventConsumer, Any]:
    """The platform's consumer on its own engine (returned, to dispose of), for `apply`
    alone: no broker, one attempt, no backoff."""
    engine = create_engine(url)
    consumer = EventConsumer(
        None,  # apply() never touches the broker
        group=group,
        mode="assigned",
        handlers=handlers,
        topics=[],
        sessions=session_factory(engine),
        outbox=Outbox(group),
        clock=clock or SystemClock(),
        dead_letter_topic="dead",
        max_attempts=1,
        retry_backoff_s=0.0,
        batch_size=500,
    )
    return consumer, engine


async def apply_cpu(
    url: str, group: str, handlers: EventHandlers, stream: Records, batch: int
) -> dict[str, float]:
    """Apply the records in batches; the CPU this process spent per event (on SQLite that
    includes the engine's thread) and the statements it ran per event."""
    consumer, engine = apply_only_consumer(url, group, handlers)
    statements = 0

    def count(*_: object) -> None:
        nonlocal statements
        statements += 1

    sa_event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        started_cpu, started = time.process_time(), time.perf_counter()
        for offset in range(0, len(stream), batch):
            await consumer.apply(stream[offset : offset + batch])
        cpu_s, wall_s = time.process_time() - started_cpu, time.perf_counter() - started
    finally:
        await engine.dispose()
    if consumer.applied != len(stream):
        raise RuntimeError(f"applied {consumer.applied} of {len(stream)} events")
    return {
        "events": len(stream),
        "batch": batch,
        "cpu_ms_per_event": round(cpu_s * 1000 / len(stream), 3),
        "wall_ms_per_event": round(wall_s * 1000 / len(stream), 3),
        "statements_per_event": round(statements / len(stream), 2),
    }


async def warm_then_measure(
    url: str, group: str, handlers: EventHandlers, made: Records, batch: int, profile: bool
) -> tuple[dict[str, float], str]:
    """Apply the first half of the records to warm the store, measure the second half;
    with `profile`, also its pyinstrument profile as text."""
    half = len(made) // 2
    await apply_cpu(url, group, handlers, made[:half], batch)
    if not profile:
        return await apply_cpu(url, group, handlers, made[half:], batch), ""
    from pyinstrument import Profiler  # a developer's tool, installed by hand

    with Profiler(async_mode="enabled") as profiler:
        measured = await apply_cpu(url, group, handlers, made[half:], batch)
    return measured, profiler.output_text(unicode=False, show_all=False)


def report(measured: dict[str, float], requests: int, events: int) -> None:
    per_request = measured["cpu_ms_per_event"] * events / requests
    print(f"{requests} requests, {events} events, batches of {measured['batch']}: {measured}")
    print(f"CPU per request (all its events): {per_request:.1f} ms")
