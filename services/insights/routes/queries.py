"""Query routes: the 3W/4W (who does what where) and its summary per country; SLA time
per party (per request, and its shares per desk or product), the cost of coordination,
and demand without supply.

Every figure is the caller's part only (domain.scope_of): the service applies the
scope itself, whatever the gateway did before it; and of each row, the fields the
sharing policy gives the caller's audience (views.shown, docs/sharing.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from contracts.http.insights.requests import Grouping
from contracts.http.insights.responses import (
    CoordinationCost,
    CountrySummary,
    DemandWithoutSupply,
    RequestFiguresPage,
    ShareDistribution,
    WhoDoesWhatPage,
)
from services.insights.routes.filters import (
    FigureFilterDep,
    ScopeDep,
    ViewerDep,
    WhoDoesWhatFilterDep,
)
from services.insights.store import (
    coordination_costs,
    country_summaries,
    demand_without_supply,
    request_figures,
    share_distributions,
    who_does_what,
)
from services.insights.views import shown
from shared.errors import DomainError
from shared.service import SessionDep
from shared.sharing import RecordKind, shown_to

router = APIRouter(tags=["insights"])


@router.get("/who-does-what", response_model=WhoDoesWhatPage)
async def get_who_does_what(
    scope: ScopeDep,
    viewer: ViewerDep,
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
    items = shown(viewer, RecordKind.who_does_what, rows)
    return WhoDoesWhatPage(items=items, total=total, has_next_page=offset + len(rows) < total)


@router.get("/who-does-what/countries", response_model=list[CountrySummary])
async def get_country_summaries(
    scope: ScopeDep, viewer: ViewerDep, filters: WhoDoesWhatFilterDep, session: SessionDep
) -> list[CountrySummary]:
    """The map-ready summary: one entry per country with engagements in the window."""
    selected = filters.selection(scope)
    summaries = await country_summaries(session, selected.table, selected.where)
    return shown(viewer, RecordKind.country_summary, summaries)


@router.get("/request-figures", response_model=RequestFiguresPage)
async def get_request_figures(
    scope: ScopeDep,
    viewer: ViewerDep,
    filters: FigureFilterDep,
    session: SessionDep,
    first: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> RequestFiguresPage:
    """Per request, newest first: the time each party held it, its breaches and who held
    it then, and its cost of coordination."""
    rows, total = await request_figures(session, scope, filters, limit=first, offset=offset)
    items = shown(viewer, RecordKind.request_figures, rows)
    return RequestFiguresPage(items=items, total=total, has_next_page=offset + len(rows) < total)


@router.get("/sla-shares", response_model=list[ShareDistribution])
async def get_sla_shares(
    scope: ScopeDep,
    viewer: ViewerDep,
    filters: FigureFilterDep,
    session: SessionDep,
    by: Annotated[Grouping, Query(description="desk or product")] = Grouping.desk,
) -> list[ShareDistribution]:
    """Per desk or product, each kind of party's share of the requests' time."""
    if by not in (Grouping.desk, Grouping.product):
        raise DomainError("BAD_USER_INPUT", "shares are grouped by desk or product", field="by")
    rows = await share_distributions(session, scope, filters, by)
    return shown(viewer, RecordKind.share_distribution, rows)


@router.get("/coordination-costs", response_model=list[CoordinationCost])
async def get_coordination_costs(
    scope: ScopeDep,
    viewer: ViewerDep,
    filters: FigureFilterDep,
    session: SessionDep,
    by: Grouping = Grouping.month,
) -> list[CoordinationCost]:
    """The cost of coordination per desk, product, country or month (the trend), each
    through triage and routed at intake."""
    rows = await coordination_costs(session, scope, filters, by)
    return shown(viewer, RecordKind.coordination_cost, rows)


@router.get("/demand-without-supply", response_model=DemandWithoutSupply)
async def get_demand_without_supply(
    scope: ScopeDep,
    viewer: ViewerDep,
    filters: FigureFilterDep,
    session: SessionDep,
    first: Annotated[int | None, Query(ge=1, le=500, description="A page (all: none)")] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> DemandWithoutSupply:
    """Unmet demand per month, product, region and reason (a page of it with `first`),
    beside each product's supply."""
    view = await demand_without_supply(session, scope, filters, limit=first, offset=offset)
    return shown_to(viewer, RecordKind.demand_without_supply, view)
