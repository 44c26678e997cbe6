"""A consumer asks the inbox which events of a batch it has handled: the answer is
right on both databases, and on PostgreSQL it stays a primary-key lookup on an inbox
the planner has no statistics for yet (a young inbox grows faster than autoanalyze)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.products.app import DEFINITION as ANY_SCHEMA  # every schema has the inbox
from shared.clock import ManualClock
from shared.db import create_engine, session_factory
from shared.messaging.consumer import _HANDLED_ON_POSTGRES, handled_outcomes
from shared.messaging.models import INBOX
from shared.testing.databases import Databases
from shared.testing.postgres import PostgresServer

STORED = 3_000  # enough rows of one group for a filter over them to be the planner's pick


def _entries(consumer: str, count: int, outcome: str = "applied") -> list[dict[str, object]]:
    now = ManualClock().now()
    return [
        {
            "consumer": consumer,
            "event_id": f"{consumer}-{number}",
            "event_type": "t",
            "outcome": outcome,
            "processed_at": now,
        }
        for number in range(count)
    ]


async def test_the_inbox_answers_for_its_own_group_and_only_the_events_asked(
    databases: Databases,
) -> None:
    engine = create_engine(await databases.migrated(ANY_SCHEMA))
    sessions = session_factory(engine)
    try:
        async with sessions() as session, session.begin():
            await session.execute(insert(INBOX), _entries("mine", 5) + _entries("other", 5))
            await session.execute(insert(INBOX), _entries("mine-dead", 1, outcome="dead_lettered"))
        async with sessions() as session:
            asked = ["mine-0", "mine-3", "mine-99", "other-1", "mine-dead-0"]
            assert await handled_outcomes(session, "mine", asked) == {
                "mine-0": "applied",
                "mine-3": "applied",
            }
            assert await handled_outcomes(session, "mine-dead", asked) == {
                "mine-dead-0": "dead_lettered"
            }
            assert await handled_outcomes(session, "mine", []) == {}
    finally:
        await engine.dispose()


async def test_on_postgresql_the_lookup_uses_both_key_columns_before_any_analyze(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    databases = Databases("postgresql", tmp_path, postgres)
    engine = create_engine(await databases.migrated(ANY_SCHEMA))
    try:
        async with engine.begin() as connection:
            await connection.execute(insert(INBOX), _entries("mine", STORED))
            plan = await _plan(connection, ["mine-1", "mine-2", "unknown"])
        assert "inbox_entry_pkey" in plan
        assert "event_id" in _index_condition(plan), plan
        assert "Filter" not in plan, plan
    finally:
        await engine.dispose()
        await databases.drop_all()


async def _plan(connection: AsyncConnection, event_ids: list[str]) -> str:
    """The plan PostgreSQL picks for the consumer's statement, sent as the consumer sends it."""
    compiled = _HANDLED_ON_POSTGRES.compile(dialect=connection.dialect)
    values = {"ids": event_ids, "consumer": "mine"}
    positional = tuple(values[name] for name in compiled.positiontup or ())
    rows = await connection.exec_driver_sql("EXPLAIN " + str(compiled), positional)
    return "\n".join(row[0] for row in rows)


def _index_condition(plan: str) -> str:
    return "\n".join(line for line in plan.splitlines() if "Index Cond" in line)
