"""CSV exports of the views, streamed: `GET /exports/{name}.csv?<the view's filters>`.

Written by shared/exports.py as every service's exports are: the rows are read a chunk
at a time, each chunk in its own short transaction after the previous chunk's last key
(on SQLite a transaction holds the write lock, so one held for a whole download would
stop the consumers), and sent as they come; a large export is never held whole.

Exports: `who-does-what` (the 3W/4W with its HXL hashtag row; the filters of
`/who-does-what`); `sla-time-per-party` (a row per request and party) and
`coordination-cost` (a row per request), both with the filters of `/request-figures`;
`demand-without-supply` (the filters of `/demand-without-supply`). Each row is the
caller's audience's projection of it, as the views answer it (views.shown).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col

from contracts.http.insights.responses import RequestFigures
from services.insights import domain
from services.insights.models import RequestCoordination
from services.insights.routes.filters import (
    FigureFilterDep,
    ScopeDep,
    Selection,
    ViewerDep,
    WhoDoesWhatFilterDep,
)
from services.insights.settings import InsightsSettings
from services.insights.store import (
    AggregateKey,
    FigureFilter,
    demand_without_supply,
    figures_of_rows,
    figures_query,
    who_does_what_after,
)
from services.insights.views import (
    COORDINATION_COST_COLUMNS,
    DEMAND_WITHOUT_SUPPLY_HEADER,
    SLA_TIME_PER_PARTY_COLUMNS,
    coordination_cost_cells,
    demand_without_supply_cells,
    shown,
    sla_time_per_party_cells,
    who_does_what_cells,
    who_does_what_header,
    who_does_what_tags,
)
from shared.db import AsyncSession
from shared.exports import Cells, csv_response, keyset_chunks, sessions_of
from shared.queries import Keyset
from shared.sharing import RecordKind, Viewer, shown_to

router = APIRouter(tags=["exports"])
FiguresToCells = Callable[[list[RequestFigures]], list[Cells]]


@router.get(
    "/exports/who-does-what.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "The 3W/4W with HXL tags"}},
)
async def export_who_does_what(
    request: Request, scope: ScopeDep, viewer: ViewerDep, filters: WhoDoesWhatFilterDep
) -> StreamingResponse:
    settings: InsightsSettings = request.app.state.settings
    chunks = _who_does_what_chunks(
        sessions_of(request), filters.selection(scope), viewer, settings.export_chunk_rows
    )
    return csv_response("who-does-what.csv", who_does_what_header(), chunks)


async def _who_does_what_chunks(
    sessions: async_sessionmaker[AsyncSession], selected: Selection, viewer: Viewer, size: int
) -> AsyncIterator[list[Cells]]:
    yield [who_does_what_tags()]
    after: AggregateKey | None = None
    while True:
        async with sessions() as session, session.begin():
            rows, after = await who_does_what_after(
                session, selected.table, selected.where, after, size
            )
        if rows:
            yield who_does_what_cells(shown(viewer, RecordKind.who_does_what, rows))
        if after is None:
            return


def _figures_chunks(
    request: Request,
    scope: domain.Scope,
    viewer: Viewer,
    filters: FigureFilter,
    to_cells: FiguresToCells,
) -> AsyncIterator[list[Cells]]:
    """The caller's requests in order of submission, a chunk at a time (a keyset), each
    as the caller's audience may see it."""
    settings: InsightsSettings = request.app.state.settings
    table = RequestCoordination

    async def cells(session: AsyncSession, rows: list[Any]) -> list[Cells]:
        figures = await figures_of_rows(session, rows)
        return to_cells(shown(viewer, RecordKind.request_figures, figures))

    return keyset_chunks(
        sessions_of(request),
        figures_query(scope, filters),
        Keyset(col(table.submitted_at), col(table.request_id)),
        settings.export_chunk_rows,
        cells,
    )


@router.get(
    "/exports/sla-time-per-party.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "A row per request and party"}},
)
async def export_sla_time_per_party(
    request: Request, scope: ScopeDep, viewer: ViewerDep, filters: FigureFilterDep
) -> StreamingResponse:
    chunks = _figures_chunks(request, scope, viewer, filters, sla_time_per_party_cells)
    header = [name for name, _ in SLA_TIME_PER_PARTY_COLUMNS]
    return csv_response("sla-time-per-party.csv", header, chunks)


@router.get(
    "/exports/coordination-cost.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "A row per request"}},
)
async def export_coordination_cost(
    request: Request, scope: ScopeDep, viewer: ViewerDep, filters: FigureFilterDep
) -> StreamingResponse:
    chunks = _figures_chunks(request, scope, viewer, filters, coordination_cost_cells)
    header = [name for name, _ in COORDINATION_COST_COLUMNS]
    return csv_response("coordination-cost.csv", header, chunks)


@router.get(
    "/exports/demand-without-supply.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "Unmet demand beside supply"}},
)
async def export_demand_without_supply(
    request: Request, scope: ScopeDep, viewer: ViewerDep, filters: FigureFilterDep
) -> StreamingResponse:
    async def chunks() -> AsyncIterator[list[Cells]]:
        # A few hundred aggregate rows (months x products x regions x reasons): one read.
        async with sessions_of(request)() as session, session.begin():
            view = await demand_without_supply(session, scope, filters)
        yield demand_without_supply_cells(shown_to(viewer, RecordKind.demand_without_supply, view))

    return csv_response("demand-without-supply.csv", list(DEMAND_WITHOUT_SUPPLY_HEADER), chunks())
