"""services/desks/journal.py on a real SQLite database: kept rows are seen by the next
query of their transaction, leave with a savepoint or transaction that rolls back, and
are written in the order they were kept."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.desks import journal
from shared.db import AsyncSession, create_engine, session_factory

METADATA = MetaData()
ENTRY = Table(
    "entry",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("note", String(50), nullable=False),
)


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'journal.db'}")
    async with engine.begin() as connection:
        await connection.run_sync(METADATA.create_all)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


def kept(session: AsyncSession, *notes: str) -> None:
    journal.keep(session, ENTRY, [{"note": note} for note in notes])


async def notes(session: AsyncSession) -> list[str]:
    return list(await session.scalars(select(ENTRY.c.note).order_by(ENTRY.c.id)))


async def test_kept_rows_are_seen_by_the_next_query_and_committed_in_order(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        kept(session, "submitted", "triaged")
        assert await notes(session) == ["submitted", "triaged"]
        kept(session, "routed")
    async with sessions() as session:
        assert await notes(session) == ["submitted", "triaged", "routed"]


async def test_a_savepoint_that_rolls_back_takes_its_rows_along(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        kept(session, "before")
        with pytest.raises(RuntimeError):
            async with session.begin_nested():
                kept(session, "inside, unwritten")
                raise RuntimeError("the handler failed")
        async with session.begin_nested():
            kept(session, "inside, written")
            assert await notes(session) == ["before", "inside, written"]
            kept(session, "inside, at the savepoint's end")
        kept(session, "after")
    async with sessions() as session:
        assert await notes(session) == [
            "before",
            "inside, written",
            "inside, at the savepoint's end",
            "after",
        ]


async def test_a_transaction_that_rolls_back_leaves_nothing_for_the_next(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        with pytest.raises(RuntimeError):
            async with session.begin():
                kept(session, "lost")
                raise RuntimeError("the command failed")
        async with session.begin():
            kept(session, "kept")
    async with sessions() as session:
        assert await notes(session) == ["kept"]
