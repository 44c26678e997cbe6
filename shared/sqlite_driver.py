"""SQLite through aiosqlite with one call on its thread per statement.

aiosqlite runs each sqlite3 call on the connection's own thread, and SQLAlchemy's
adapter makes four such calls per statement: create the cursor, execute, fetch the
rows, close the cursor. Each call is a round trip between the event loop and that
thread (a queue put, a thread wake-up, a self-pipe write, a future), and on the
services' hot paths those round trips cost more CPU than SQLite itself. The cursor
here does the four steps in one call, and keeps what SQLAlchemy reads afterwards
(the description, row count and last row id) on the event loop's side.

The pool's rollback of a connection that is not in a transaction (most of them,
after a commit) is skipped the same way: sqlite3 would do nothing on the thread.

Only buffered cursors and that rollback change. Server-side cursors (`stream()`), transactions,
locking and every sqlite3 behaviour stay aiosqlite's: the statements still run on
the connection's one thread, in order.
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Sequence
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)

__all__ = ["one_call_dbapi"]


class _Executed:
    """What SQLAlchemy reads from a cursor once its statement ran; it stands in for
    the closed sqlite3 cursor."""

    __slots__ = ("arraysize", "description", "lastrowid", "rowcount")

    def __init__(
        self, description: Any = None, rowcount: int = -1, lastrowid: int | None = None
    ) -> None:
        self.description = description
        self.rowcount = rowcount
        self.lastrowid = lastrowid
        self.arraysize = 1

    def close(self) -> None:
        """Nothing left to close: the sqlite3 cursor was closed on the thread."""


_NOT_EXECUTED = _Executed()


def _execute(
    connection: sqlite3.Connection, operation: str, parameters: Any
) -> tuple[_Executed, Sequence[Any]]:
    """On aiosqlite's thread: one statement from cursor to closed cursor."""
    cursor = connection.cursor()
    try:
        if parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        rows = cursor.fetchall() if cursor.description else ()
        return _Executed(cursor.description, cursor.rowcount, cursor.lastrowid), rows
    finally:
        cursor.close()


def _execute_many(
    connection: sqlite3.Connection, operation: str, seq_of_parameters: Any
) -> tuple[_Executed, Sequence[Any]]:
    cursor = connection.cursor()
    try:
        cursor.executemany(operation, seq_of_parameters)
        return _Executed(cursor.description, cursor.rowcount, cursor.lastrowid), ()
    finally:
        cursor.close()


class _OneCallCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ()
    # Closing is synchronous and free: the statement's cursor is already closed.
    _awaitable_cursor_close = False

    def _make_new_cursor(self, connection: Any) -> Any:
        return None

    def _aenter_cursor(self, cursor: Any) -> Any:
        return _NOT_EXECUTED

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        await self._run(_execute, operation, parameters)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        await self._run(_execute_many, operation, seq_of_parameters)

    async def _run(self, call: Any, operation: Any, parameters: Any) -> None:
        connection: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        async with self._adapt_connection._execute_mutex:
            executed, rows = await _on_thread(connection, call, operation, parameters)
        self._cursor = executed  # type: ignore[assignment]
        self._rows = collections.deque(rows)


async def _on_thread(
    connection: aiosqlite.Connection, call: Any, operation: Any, parameters: Any
) -> tuple[_Executed, Sequence[Any]]:
    # aiosqlite has no public "run this on the connection's thread"; `_execute` is
    # what each of its own methods uses (and SQLAlchemy's adapter reaches into it too).
    result: tuple[_Executed, Sequence[Any]] = await connection._execute(  # type: ignore[no-untyped-call]
        call, connection._conn, operation, parameters
    )
    return result


class _OneCallConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = _OneCallCursor

    def rollback(self) -> None:
        # The pool rolls back every connection it takes back, most of them committed
        # already: outside a transaction sqlite3's rollback does nothing, so skip its
        # thread call. (Reading the flag is safe here: between statements the thread
        # is not using the connection.)
        driver = self._connection._connection
        if driver is not None and not driver.in_transaction:
            return
        super().rollback()


class _OneCallDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        adapted = super().connect(*arg, **kw)
        return _OneCallConnection(self, adapted._connection)


def one_call_dbapi() -> AsyncAdapt_aiosqlite_dbapi:
    """The DBAPI for `create_async_engine(..., module=...)` on a sqlite+aiosqlite URL."""
    return _OneCallDBAPI(aiosqlite, sqlite3)
