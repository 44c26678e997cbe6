"""The insights consumer derives a batch's requests once, at the batch's end
(services/insights/pending.py): applied in one batch or one event at a time, with the
events in any order, the projections come out the same; and a batch whose handler
fails is applied again event by event, the failing one dead-lettered, the others'
figures whole. The platform's own consumer (EventConsumer.apply, its inbox and
savepoints) on a real database, SQLite and PostgreSQL, without the broker."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from contracts.events import Event, ProductCataloged
from services.insights.app import DEFINITION
from services.insights.handlers import handlers
from services.insights.models import InsightsTable
from shared.clock import ManualClock
from shared.db import session_factory
from shared.messaging import EventContext, EventHandlers
from shared.testing.databases import Databases
from tests.bench.consumer_apply import apply_only_consumer, records
from tests.integration.insights.conftest import R2, catalog, scenario

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


async def _apply(
    url: str, events: Sequence[Event], batch: int, with_handlers: EventHandlers = handlers
) -> tuple[dict[str, list[tuple[Any, ...]]], int]:
    """Apply the events in batches of `batch`; every projection table's rows (sorted)
    and how many events were dead-lettered."""
    consumer, engine = apply_only_consumer(
        url, "insights-test", with_handlers, clock=ManualClock(NOW)
    )
    sessions = session_factory(engine)
    made = records([(NOW, event) for event in events])
    try:
        for offset in range(0, len(made), batch):
            await consumer.apply(made[offset : offset + batch])
        async with sessions() as session:
            tables = {
                table.name: sorted(
                    (tuple(row) for row in await session.execute(select(table))), key=repr
                )
                for table in InsightsTable.metadata.sorted_tables
            }
    finally:
        await engine.dispose()
    return tables, consumer.dead_lettered


def _second_request_first(events: list[Event]) -> list[Event]:
    """The scenario with R2's events before R1's (each request's own kept in order, as
    its topic keeps them)."""
    second = [event for event in events if getattr(event, "request_id", None) == R2]
    return [*second, *(event for event in events if event not in second)]


async def test_one_batch_derives_what_one_event_at_a_time_does(databases: Databases) -> None:
    one_by_one, _ = await _apply(await databases.migrated(DEFINITION), scenario(), batch=1)
    together, _ = await _apply(await databases.migrated(DEFINITION), scenario(), batch=100)
    reordered, _ = await _apply(
        await databases.migrated(DEFINITION), _second_request_first(scenario()), batch=100
    )
    assert one_by_one["request_coordination"] and one_by_one["who_does_what"]
    assert together == one_by_one
    assert reordered == one_by_one


async def _refuse_products(event: ProductCataloged, context: EventContext) -> None:
    raise RuntimeError(f"refused {event.code}")


def _handlers_refusing_products() -> EventHandlers:
    """Insights' handlers, but the catalog's events fail."""
    refusing = EventHandlers()
    for model in {type(event): None for event in scenario()}:
        _, handler = handlers.registered(model.type)
        refusing.on(model)(_refuse_products if model is ProductCataloged else handler)
    return refusing


async def test_a_failing_event_leaves_the_batch_s_other_figures_whole(
    databases: Databases,
) -> None:
    events = [event for event in scenario() if not isinstance(event, ProductCataloged)]
    expected, _ = await _apply(await databases.migrated(DEFINITION), events, batch=1)
    # Failing events among the others, and after all of them (what the others derived
    # before a failure must stay): the batch is applied again one event at a time.
    for mixed in ([*events[:3], *catalog(), *events[3:]], [*events, *catalog()]):
        applied, dead = await _apply(
            await databases.migrated(DEFINITION),
            mixed,
            batch=100,
            with_handlers=_handlers_refusing_products(),
        )
        assert dead == len(catalog())
        assert applied == expected
