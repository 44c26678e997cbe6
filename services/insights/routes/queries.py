"""Query routes: the 3W/4W (who does what where) and its summary per country.

Every figure is the caller's part only (domain.scope_of): the service applies the
scope itself, whatever the gateway did before it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from contracts.http.insights.responses import CountrySummary, WhoDoesWhatPage
from services.insights.routes.filters import ScopeDep, WhoDoesWhatFilterDep
from services.insights.store import country_summaries, who_does_what
from shared.service import SessionDep

router = APIRouter(tags=["insights"])


@router.get("/who-does-what", response_model=WhoDoesWhatPage)
async def get_who_does_what(
    scope: ScopeDep,
    filters: WhoDoesWhatFilterDep,
    session: SessionDep,
    first: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> WhoDoesWhatPage:
    """Organisations engaged per country, product, client and status, in a stable order."""
    selected = filters.selection(scope)
    rows, total = await who_does_what(
        session, selected.table, selected.where, limit=first, offset=offset
    )
    return WhoDoesWhatPage(items=rows, total=total, has_next_page=offset + len(rows) < total)


@router.get("/who-does-what/countries", response_model=list[CountrySummary])
async def get_country_summaries(
    scope: ScopeDep, filters: WhoDoesWhatFilterDep, session: SessionDep
) -> list[CountrySummary]:
    """The map-ready summary: one entry per country with engagements in the window."""
    selected = filters.selection(scope)
    return await country_summaries(session, selected.table, selected.where)
