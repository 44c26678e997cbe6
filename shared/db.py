"""Database access: async SQLModel sessions on SQLite (embedded) or PostgreSQL.

Helpers here never commit: the route or handler that owns the unit of work
opens one transaction (`async with session.begin()`) and commits it once, so the
state change and its outbox rows land together.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, DateTime, Table, TypeDecorator, event, text
from sqlalchemy.dialects.postgresql import Insert as PostgresqlInsert
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, SessionTransaction

from shared.sqlite_driver import one_call_dbapi

__all__ = [
    "AsyncSession",
    "JSONColumn",
    "UTCDateTime",
    "began_within",
    "conflict_insert",
    "create_engine",
    "is_sqlite",
    "session_factory",
    "utcnow",
]

JSONColumn = JSON


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on both SQLite (which stores naive) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; OneDoor stores aware UTC times only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


_READ_ONLY_OPTION = "onedoor_read_only"
# Execution options of a session (or connection) whose transactions only read: on SQLite
# they begin without the write lock; other databases ignore the option. A write in such
# a transaction is not refused, but may fail with SQLITE_BUSY instead of waiting.
READ_ONLY: dict[str, Any] = {_READ_ONLY_OPTION: True}


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    if is_sqlite(url):
        return _create_sqlite_engine(url, echo=echo)
    return create_async_engine(url, echo=echo, pool_size=10, max_overflow=10, pool_pre_ping=True)


def _create_sqlite_engine(url: str, *, echo: bool) -> AsyncEngine:
    database = url.split("///", 1)[-1]
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(
        url, echo=echo, connect_args={"timeout": 30}, module=one_call_dbapi()
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, emit BEGIN: needed for SAVEPOINT and for
        # BEGIN IMMEDIATE below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Take the write lock up front: a deferred transaction that reads and then
        # writes fails with SQLITE_BUSY under WAL instead of waiting its turn. A
        # transaction that only reads (READ_ONLY) takes WAL's snapshot and no lock, so
        # it never queues behind the writers.
        if connection.get_execution_options().get(_READ_ONLY_OPTION):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def conflict_insert(dialect: str, table: Table) -> PostgresqlInsert | SqliteInsert:
    """An INSERT into `table` that can say what to do with a row already there (ON
    CONFLICT): SQLAlchemy builds that clause per dialect, not generically."""
    if dialect == "postgresql":
        return postgresql_insert(table)
    return sqlite_insert(table)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


async def ping(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


def forget_kept_rows(session: Session, transaction: SessionTransaction, key: str) -> None:
    """For rows kept beside a session in `session.info[key]` (a list of tuples, each
    starting with the transaction or savepoint it was kept in), called as a transaction
    ends: one that ended unwritten (rolled back) takes its rows along; the outermost one
    ending clears them all."""
    kept: list[tuple[Any, ...]] | None = session.info.get(key)
    if kept is None:
        return
    if transaction.parent is None:
        session.info.pop(key, None)
        return
    kept[:] = [row for row in kept if not began_within(row[0], transaction)]


def began_within(owner: SessionTransaction | None, transaction: SessionTransaction) -> bool:
    """Whether `owner` (the transaction or savepoint a row was kept in) is `transaction`
    or nested in it: rows kept beside a session (the outbox's, the desks journal's) leave
    with the transaction that ends without committing."""
    while owner is not None:
        if owner is transaction:
            return True
        owner = owner.parent
    return False
