"""The filters the routes take, parsed once: every 3W route's (the view, its map
summary and its export: a time window, a place, an organisation, a product, a client),
and the SLA, cost and demand views' (months, a place, a desk, a client, a product, a
route), and the caller's scope and audience."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query
from sqlalchemy import ColumnElement

from contracts.http.insights.responses import CoordinationRoute, PartyKind
from services.insights import domain
from services.insights.models import WhoDoesWhat, WhoDoesWhatTotal
from services.insights.store import Aggregate, FigureFilter, matching, scoped, within
from shared.auth import CurrentPrincipal
from shared.sharing import Viewer, viewer_of

CODE = r"^[A-Za-z0-9_\-]{1,64}$"


@dataclass(frozen=True)
class Selection:
    table: Aggregate
    where: list[ColumnElement[bool]]


@dataclass(frozen=True)
class WhoDoesWhatFilter:
    start: datetime | None
    end: datetime | None
    country: str | None
    region: str | None
    desk_code: str | None
    product_code: str | None
    client_code: str | None
    party_kind: PartyKind | None

    def selection(self, scope: domain.Scope) -> Selection:
        """The aggregate to read (by month only for a window) and the caller's scope,
        the window's months and the filters given on it."""
        first_month, last_month = domain.month_window(self.start, self.end)
        windowed = first_month is not None or last_month is not None
        table: Aggregate = WhoDoesWhat if windowed else WhoDoesWhatTotal
        where = [scoped(table, scope)]
        if windowed:
            where.append(within(first_month, last_month))
        where += matching(
            table,
            {
                "country": self.country,
                "region": self.region,
                "desk_code": self.desk_code,
                "product_code": self.product_code,
                "client_code": self.client_code,
                "party_kind": self.party_kind.value if self.party_kind else None,
            },
        )
        return Selection(table, where)


def _filter(
    start: Annotated[datetime | None, Query(description="Active on or after (by month)")] = None,
    end: Annotated[datetime | None, Query(description="Active on or before (by month)")] = None,
    country: Annotated[str | None, Query(pattern=r"^[A-Z]{3}$")] = None,
    region: Annotated[str | None, Query(max_length=64)] = None,
    desk_code: Annotated[str | None, Query(pattern=CODE)] = None,
    product_code: Annotated[str | None, Query(pattern=CODE)] = None,
    client_code: Annotated[str | None, Query(pattern=CODE)] = None,
    party_kind: PartyKind | None = None,
) -> WhoDoesWhatFilter:
    return WhoDoesWhatFilter(
        start, end, country, region, desk_code, product_code, client_code, party_kind
    )


WhoDoesWhatFilterDep = Annotated[WhoDoesWhatFilter, Depends(_filter)]


def caller_scope(principal: CurrentPrincipal) -> domain.Scope:
    return domain.scope_of(principal)


ScopeDep = Annotated[domain.Scope, Depends(caller_scope)]


def caller_viewer(principal: CurrentPrincipal) -> Viewer:
    """The caller's audience of the rows its scope gives it (docs/sharing.md): which of
    their fields it sees."""
    return viewer_of(principal)


ViewerDep = Annotated[Viewer, Depends(caller_viewer)]


def _figure_filter(
    start: Annotated[datetime | None, Query(description="Submitted on or after (by month)")] = None,
    end: Annotated[datetime | None, Query(description="Submitted on or before (by month)")] = None,
    desk_code: Annotated[str | None, Query(pattern=CODE)] = None,
    country: Annotated[str | None, Query(pattern=r"^[A-Z]{3}$")] = None,
    region: Annotated[str | None, Query(max_length=64)] = None,
    client_code: Annotated[str | None, Query(pattern=CODE)] = None,
    product_code: Annotated[str | None, Query(pattern=CODE)] = None,
    route: CoordinationRoute | None = None,
) -> FigureFilter:
    """The filters of the SLA, cost and demand views (the months of submission, or of
    the unmet demand's record)."""
    first_month, last_month = domain.month_window(start, end)
    return FigureFilter(
        first_month, last_month, desk_code, country, region, client_code, product_code, route
    )


FigureFilterDep = Annotated[FigureFilter, Depends(_figure_filter)]
