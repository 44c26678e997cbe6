"""CSV exports, streamed: every service's `GET /exports/{name}.csv` is built here.

Rows are read in chunks of `export_chunk_rows` (ServiceSettings), each chunk its own
short transaction continuing after the previous chunk's last row (a keyset, as the
queues page: shared/queries.py), and written to the response as they come: an export
never holds its whole result in memory, nor a transaction open while a slow client
downloads (on SQLite every transaction takes the write lock, `BEGIN IMMEDIATE`, so a
transaction held for a whole download would stop every writer). A row stored while an
export runs appears in it if it sorts after the chunk being read.

Cells are written by Python's csv module; a text cell that a spreadsheet would run as
a formula (starting with = + - @, a tab or a carriage return) is prefixed with a
single quote, as OWASP advises against CSV injection.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from datetime import date, datetime
from enum import Enum
from typing import Any

from fastapi import Request
from fastapi.responses import StreamingResponse
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import async_sessionmaker

from shared.db import AsyncSession
from shared.queries import Keyset

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Cells = Sequence[Any]
# What a chunk of rows becomes, read in the chunk's own transaction (so it may query
# what belongs to its rows, once per chunk).
RowsToCells = Callable[[AsyncSession, list[Any]], Awaitable[Iterable[Cells]]]


def cell(value: Any) -> str:
    """One value as CSV text, never something a spreadsheet evaluates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset):
        value = ";".join(cell(item) for item in value)
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


async def keyset_chunks(
    sessions: async_sessionmaker[AsyncSession],
    query: Select[Any],
    order: Keyset,
    size: int,
    to_cells: RowsToCells,
) -> AsyncIterator[list[Cells]]:
    """The rows of `query` in `order`, `size` at a time, each chunk read (and turned into
    cells) in a transaction of its own."""
    after: str | None = None
    while True:
        async with sessions() as session, session.begin():
            rows = list((await session.scalars(order.page(query, size, after))).all())
            chunk = rows[:size]
            cells = list(await to_cells(session, chunk))
        if cells:
            yield cells
        if len(rows) <= size:
            return
        after = order.cursor(chunk[-1])


def csv_response(
    filename: str, header: Cells, chunks: AsyncIterator[list[Cells]]
) -> StreamingResponse:
    """A CSV attachment written chunk by chunk as the chunks are read."""

    async def body() -> AsyncIterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        yield _drain(buffer)
        async for chunk in chunks:
            writer.writerows([cell(value) for value in row] for row in chunk)
            yield _drain(buffer)

    return StreamingResponse(
        body(),
        media_type=CSV_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def sessions_of(request: Request) -> async_sessionmaker[AsyncSession]:
    """The app's session factory: an export opens a session per chunk, after the route
    has returned its response."""
    sessions: async_sessionmaker[AsyncSession] = request.app.state.sessions
    return sessions
