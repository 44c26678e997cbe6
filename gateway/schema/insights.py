"""The insights part of the schema: views computed from the event log by the insights
service. `whoDoesWhat` is the 3W/4W (which organisations are engaged on which products,
for which clients, where, since when, in what status) and `whoDoesWhatByCountry` its
map-ready summary.

The caller's token is forwarded: the service gives each caller its own part (a client
its requests, a provider its products, a partner its assessments, HQ everything).
"""

from __future__ import annotations

from datetime import datetime

import strawberry

from contracts.http.insights.responses import (
    CountrySummary,
    PartyKind,
    WhoDoesWhatPage,
    WhoDoesWhatRow,
)
from gateway.clients import ServiceClient, service_path
from gateway.context import GatewayContext
from gateway.schema.common import (
    CODE,
    COUNTRY,
    GatewayInfo,
    ProductCode,
    all_from_contract,
    bad_input,
    code_arg,
    context_of,
    derived,
    from_contract,
)

strawberry.enum(PartyKind, description="Who is engaged: a desk, a provider or a partner")

MAX_PAGE = 500
MAX_OFFSET = 1_000_000


def insights_service(context: GatewayContext) -> ServiceClient:
    return context.clients.by_name["insights"]


@derived(WhoDoesWhatRow, description="An organisation engaged on a product for a client")
class WhoDoesWhatLine:
    product_code: ProductCode


@strawberry.type(description="A page of the 3W/4W")
class WhoDoesWhatConnection:
    items: list[WhoDoesWhatLine]
    total: int = strawberry.field(description="Lines matching, over every page")
    has_next_page: bool


@derived(CountrySummary, description="A country on the map")
class CountryEngagement:
    pass


@strawberry.input(description="Which lines of the 3W/4W: each field given narrows it")
class WhoDoesWhatFilter:
    start: datetime | None = strawberry.field(
        default=None, description="Active on or after (counted by month)"
    )
    end: datetime | None = strawberry.field(
        default=None, description="Active on or before (counted by month)"
    )
    country: str | None = None
    region: str | None = None
    desk_code: str | None = None
    product_code: ProductCode | None = None
    client_code: str | None = None
    party_kind: PartyKind | None = None


def filter_params(given: WhoDoesWhatFilter | None) -> dict[str, str]:
    """The service's query parameters, each code checked before it goes into a URL."""
    if given is None:
        return {}
    params: dict[str, str] = {}
    if given.start is not None:
        params["start"] = given.start.isoformat()
    if given.end is not None:
        params["end"] = given.end.isoformat()
    if given.country is not None:
        params["country"] = code_arg(given.country, COUNTRY, "country")
    if given.region is not None:
        if not 0 < len(given.region) <= 64:
            raise bad_input("region must be 1 to 64 characters")
        params["region"] = given.region
    for name, value in (
        ("desk_code", given.desk_code),
        ("product_code", given.product_code),
        ("client_code", given.client_code),
    ):
        if value is not None:
            params[name] = code_arg(value, CODE, name)
    if given.party_kind is not None:
        params["party_kind"] = given.party_kind.value
    return params


@strawberry.type
class InsightsQuery:
    @strawberry.field(
        description="Who does what where (3W/4W): organisations engaged per country, "
        "product, client and status, those you may see"
    )
    async def who_does_what(
        self,
        info: GatewayInfo,
        filter: WhoDoesWhatFilter | None = None,
        first: int = 100,
        offset: int = 0,
    ) -> WhoDoesWhatConnection:
        if not 1 <= first <= MAX_PAGE:
            raise bad_input(f"first must be between 1 and {MAX_PAGE}")
        if not 0 <= offset <= MAX_OFFSET:
            raise bad_input(f"offset must be between 0 and {MAX_OFFSET}")
        context = context_of(info)
        page = await insights_service(context).get(
            service_path("who-does-what"),
            context.authorization,
            WhoDoesWhatPage,
            params={**filter_params(filter), "first": first, "offset": offset},
        )
        return WhoDoesWhatConnection(
            items=[from_contract(WhoDoesWhatLine, row) for row in page.items],
            total=page.total,
            has_next_page=page.has_next_page,
        )

    @strawberry.field(description="The 3W/4W per country, for a map")
    async def who_does_what_by_country(
        self, info: GatewayInfo, filter: WhoDoesWhatFilter | None = None
    ) -> list[CountryEngagement]:
        context = context_of(info)
        summaries = await insights_service(context).get(
            service_path("who-does-what", "countries"),
            context.authorization,
            list[CountrySummary],
            params=filter_params(filter),
        )
        return all_from_contract(CountryEngagement, summaries)
