"""SQLite through one aiosqlite thread call per statement: the results, row counts,
row ids, errors and streamed reads SQLAlchemy relies on are what they were."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db import create_engine


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT)"))
    yield engine
    await engine.dispose()


async def test_a_transaction_makes_one_thread_call_per_statement(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    execute = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(getattr(fn, "__name__", repr(fn)))
        return await execute(self, fn, *args, **kwargs)

    async with engine.connect():
        pass  # the pool holds an open connection, so the count below is the work alone
    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    async with engine.begin() as connection:
        await connection.execute(text("INSERT INTO note (body) VALUES ('a')"))
        await connection.execute(text("SELECT body FROM note"))
    # BEGIN IMMEDIATE, the INSERT, the SELECT, then the commit.
    assert calls == ["_execute", "_execute", "_execute", "commit"]


async def test_rows_counts_and_ids_come_back(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        inserted = await connection.execute(text("INSERT INTO note (body) VALUES ('a')"))
        assert (inserted.rowcount, inserted.lastrowid) == (1, 1)
        await connection.execute(
            text("INSERT INTO note (body) VALUES (:body)"), [{"body": "b"}, {"body": "c"}]
        )
        updated = await connection.execute(text("UPDATE note SET body = upper(body)"))
        assert updated.rowcount == 3
        result = await connection.execute(text("SELECT id, body FROM note ORDER BY id"))
        assert list(result.keys()) == ["id", "body"]
        assert result.all() == [(1, "A"), (2, "B"), (3, "C")]
    async with engine.connect() as connection:
        streamed = await connection.stream(text("SELECT body FROM note ORDER BY id"))
        assert [row.body async for row in streamed] == ["A", "B", "C"]


async def test_a_failed_statement_raises_and_rolls_back(engine: AsyncEngine) -> None:
    with pytest.raises(IntegrityError):
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO note (id, body) VALUES (1, 'a')"))
            await connection.execute(text("INSERT INTO note (id, body) VALUES (1, 'again')"))
    async with engine.connect() as connection:
        assert (await connection.execute(text("SELECT count(*) FROM note"))).scalar() == 0
