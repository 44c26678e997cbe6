"""The outbox's unit of work on SQLite and PostgreSQL: its rows commit with the
transaction, go with a rolled-back transaction or savepoint, keep the order they
were added in, and ring the relay once per commit."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from opentelemetry import trace
from opentelemetry.trace import SpanContext, TraceFlags
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col

from contracts.events import ProductCataloged
from services.products.app import DEFINITION as PRODUCTS
from shared.db import AsyncSession, create_engine, session_factory
from shared.messaging import Outbox
from shared.messaging.models import OutboxMessage, PlatformState
from shared.migrations import upgrade
from shared.testing.databases import Databases

WRITER = trace.NonRecordingSpan(
    SpanContext(int("ab" * 16, 16), int("cd" * 8, 16), is_remote=False, trace_flags=TraceFlags(1))
)


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


@pytest.fixture
async def sessions(databases: Databases) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(await databases.new("outbox"))
    await upgrade(engine, PRODUCTS.migrations_dir)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


async def outbox_rows(sessions: async_sessionmaker[AsyncSession]) -> list[OutboxMessage]:
    async with sessions() as session:
        query = select(OutboxMessage).order_by(col(OutboxMessage.seq))
        return list((await session.scalars(query)).all())


async def stored(sessions: async_sessionmaker[AsyncSession]) -> list[str]:
    return [row.key for row in await outbox_rows(sessions)]


async def traceparents(sessions: async_sessionmaker[AsyncSession]) -> list[str | None]:
    return [row.traceparent for row in await outbox_rows(sessions)]


async def test_events_commit_with_the_change_in_the_order_they_were_added(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    outbox, rings = Outbox("/test"), []
    outbox.on_commit(lambda: rings.append(1))
    async with sessions() as session, session.begin():
        session.add(PlatformState(key="change", value="made"))
        outbox.add(session, cataloged("ONE"))
        with trace.use_span(WRITER):  # a row that fills one column more: another INSERT
            outbox.add(session, cataloged("TWO"))
        outbox.add(session, cataloged("THREE"))
        assert await stored(sessions) == []  # nothing visible before the commit
    assert await stored(sessions) == ["ONE", "TWO", "THREE"]
    assert await traceparents(sessions) == [None, "00-" + "ab" * 16 + "-" + "cd" * 8 + "-01", None]
    assert rings == [1]
    async with sessions() as session:
        assert await session.get(PlatformState, "change") is not None


async def test_a_rolled_back_transaction_publishes_nothing(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    outbox, rings = Outbox("/test"), []
    outbox.on_commit(lambda: rings.append(1))
    with pytest.raises(RuntimeError):
        async with sessions() as session, session.begin():
            outbox.add(session, cataloged("LOST"))
            raise RuntimeError("the change failed")
    async with sessions() as session, session.begin():
        session.add(PlatformState(key="no events", value="here"))
    assert await stored(sessions) == []
    assert rings == []


async def test_a_rolled_back_savepoint_takes_its_events_along(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    outbox = Outbox("/test")
    async with sessions() as session, session.begin():
        outbox.add(session, cataloged("BEFORE"))
        with pytest.raises(RuntimeError):
            async with session.begin_nested():
                outbox.add(session, cataloged("UNDONE"))
                raise RuntimeError("this handler failed")
        async with session.begin_nested():
            outbox.add(session, cataloged("KEPT"))
        outbox.add(session, cataloged("AFTER"))
    assert await stored(sessions) == ["BEFORE", "KEPT", "AFTER"]
