"""CSV exports of the views, streamed: `GET /exports/{name}.csv?<the view's filters>`.

Written by shared/exports.py as every service's exports are: the rows are read a chunk
at a time, each chunk in its own short transaction after the previous chunk's last key
(on SQLite a transaction holds the write lock, so one held for a whole download would
stop the consumers), and sent as they come; a large export is never held whole.

Exports: `who-does-what` (the 3W/4W with its HXL hashtag row; the filters of
`/who-does-what`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.insights.routes.filters import ScopeDep, Selection, WhoDoesWhatFilterDep
from services.insights.settings import InsightsSettings
from services.insights.store import AggregateKey, who_does_what_after
from services.insights.views import who_does_what_cells, who_does_what_header, who_does_what_tags
from shared.db import AsyncSession
from shared.exports import Cells, csv_response, sessions_of

router = APIRouter(tags=["exports"])


@router.get(
    "/exports/who-does-what.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "The 3W/4W with HXL tags"}},
)
async def export_who_does_what(
    request: Request, scope: ScopeDep, filters: WhoDoesWhatFilterDep
) -> StreamingResponse:
    settings: InsightsSettings = request.app.state.settings
    chunks = _who_does_what_chunks(
        sessions_of(request), filters.selection(scope), settings.export_chunk_rows
    )
    return csv_response("who-does-what.csv", who_does_what_header(), chunks)


async def _who_does_what_chunks(
    sessions: async_sessionmaker[AsyncSession], selected: Selection, size: int
) -> AsyncIterator[list[Cells]]:
    yield [who_does_what_tags()]
    after: AggregateKey | None = None
    while True:
        async with sessions() as session, session.begin():
            rows, after = await who_does_what_after(
                session, selected.table, selected.where, after, size
            )
        if rows:
            yield who_does_what_cells(rows)
        if after is None:
            return
