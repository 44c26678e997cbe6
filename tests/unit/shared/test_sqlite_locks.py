"""SQLite's one write lock as the platform takes it: a transaction begins by taking it
(BEGIN IMMEDIATE), so a second writer waits its turn; a read-only one (READ_ONLY)
takes WAL's snapshot instead, so it reads while a writer holds the lock and sees only
what was committed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from shared.db import READ_ONLY, AsyncSession, create_engine, session_factory

# Far below the engine's busy timeout (30 s): a read that waited for the writer would
# still be waiting when this runs out.
NOT_WAITING_S = 5.0


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'locks.db'}")
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT)"))
        await connection.execute(text("INSERT INTO note (body) VALUES ('committed')"))
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return session_factory(engine)


async def bodies(session: AsyncSession) -> list[str]:
    return list((await session.scalars(text("SELECT body FROM note ORDER BY id"))).all())


async def test_a_read_only_transaction_reads_while_a_writer_holds_the_lock(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as writer, writer.begin():
        await writer.execute(text("INSERT INTO note (body) VALUES ('uncommitted')"))

        async def read() -> list[str]:
            async with sessions(execution_options=READ_ONLY) as reader, reader.begin():
                return await bodies(reader)

        assert await asyncio.wait_for(read(), NOT_WAITING_S) == ["committed"]
    async with sessions(execution_options=READ_ONLY) as reader, reader.begin():
        assert await bodies(reader) == ["committed", "uncommitted"]


async def test_a_transaction_without_the_option_waits_for_the_writer(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    order: list[str] = []

    async def second() -> None:
        async with sessions() as session, session.begin():
            order.append(f"second began, saw {await bodies(session)}")

    async with sessions() as writer, writer.begin():
        await writer.execute(text("INSERT INTO note (body) VALUES ('first')"))
        waiting = asyncio.create_task(second())
        done, _ = await asyncio.wait([waiting], timeout=0.3)
        assert not done  # still queued for the lock
        order.append("first committed")
    await asyncio.wait_for(waiting, NOT_WAITING_S)
    assert order == ["first committed", "second began, saw ['committed', 'first']"]
