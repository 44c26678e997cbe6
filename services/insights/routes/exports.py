"""CSV exports of the views, streamed: `GET /exports/{name}.csv?<the view's filters>`.

The rows are read and written a chunk at a time from their own session (the
response outlives the route's dependencies), so a large export is never held whole.

Exports: `who-does-what` (the 3W/4W with HXL hashtags; the filters of `/who-does-what`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.insights.routes.filters import ScopeDep, Selection, WhoDoesWhatFilterDep
from services.insights.settings import InsightsSettings
from services.insights.store import who_does_what_stream
from services.insights.views import who_does_what_csv, who_does_what_head
from shared.db import AsyncSession

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
    return StreamingResponse(
        _who_does_what_chunks(
            request.app.state.sessions, filters.selection(scope), settings.export_chunk_rows
        ),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="who-does-what.csv"'},
    )


async def _who_does_what_chunks(
    sessions: async_sessionmaker[AsyncSession], selected: Selection, chunk: int
) -> AsyncIterator[str]:
    yield who_does_what_head()
    async with sessions() as session, session.begin():
        async for rows in who_does_what_stream(session, selected.table, selected.where, chunk):
            yield who_does_what_csv(rows)
