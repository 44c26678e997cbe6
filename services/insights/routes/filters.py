"""The filters every 3W route takes (the view, its map summary and its export), parsed
once: a time window, a place, an organisation, a product, a client."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query
from sqlalchemy import ColumnElement

from contracts.http.insights.responses import PartyKind
from services.insights import domain
from services.insights.store import matching, scoped, within
from shared.auth import CurrentPrincipal

CODE = r"^[A-Za-z0-9_\-]{1,64}$"


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

    def conditions(self, scope: domain.Scope) -> list[ColumnElement[bool]]:
        """The caller's scope, the window's months, then the filters given."""
        first_month, last_month = domain.month_window(self.start, self.end)
        return [
            scoped(scope),
            within(first_month, last_month),
            *matching(
                {
                    "country": self.country,
                    "region": self.region,
                    "desk_code": self.desk_code,
                    "product_code": self.product_code,
                    "client_code": self.client_code,
                    "party_kind": self.party_kind.value if self.party_kind else None,
                }
            ),
        ]


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
