"""The insights part of the schema: views computed from the event log by the insights
service. `whoDoesWhat` is the 3W/4W (which organisations are engaged on which products,
for which clients, where, since when, in what status) and `whoDoesWhatByCountry` its
map-ready summary. `requestFigures` is each request's SLA time per party and cost of
coordination, `slaShares` each party's share per desk or product, `coordinationCosts`
the cost per desk, product, country or month (through triage and routed at intake),
and `demandWithoutSupply` unmet demand beside each product's supply.

The caller's token is forwarded: the service gives each caller its own part (a client
its requests, a provider its products, a partner its assessments, HQ everything), and of
each row the fields the sharing policy gives the caller's audience (docs/sharing.md):
what the service did not send, the gateway cannot pass on. A hidden figure is null
(`reroutings`, `declines`, the time to the first engagement of a provider's or a
partner's figures), a party the caller may not know of is not in `parties` or `heldBy`.
"""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.tools import merge_types

from contracts.http.insights.requests import Grouping
from contracts.http.insights.responses import (
    AttributedBreach,
    CoordinationRoute,
    CountrySummary,
    DemandWithoutSupply,
    HoldingParty,
    PartyKind,
    PartyTime,
    ProductLoadMonth,
    RequestFigures,
    RequestFiguresPage,
    ShareDistribution,
    UnmetDemandMonth,
    WhoDoesWhatPage,
    WhoDoesWhatRow,
)
from contracts.http.insights.responses import CoordinationCost as CoordinationCostRow
from gateway.clients import ServiceClient, service_path
from gateway.context import GatewayContext
from gateway.schema.common import (
    CODE,
    COUNTRY,
    GatewayInfo,
    ProductCode,
    all_from_contract,
    bad_input,
    check_page_size,
    code_arg,
    context_of,
    derived,
    from_contract,
)

strawberry.enum(PartyKind, description="Who is engaged: a desk, a provider or a partner")
strawberry.enum(HoldingParty, description="Who a request waits on: client, desk, provider, partner")
strawberry.enum(CoordinationRoute, description="Routed at intake, or through the desk's triage")
strawberry.enum(Grouping, name="FigureGrouping", description="What figures are grouped by")

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


def _check_page(first: int, offset: int) -> None:
    """One page of an insights list: its size and where it starts, both bounded."""
    check_page_size(first, MAX_PAGE)
    if not 0 <= offset <= MAX_OFFSET:
        raise bad_input(f"offset must be between 0 and {MAX_OFFSET}")


@strawberry.type
class WhoDoesWhatQuery:
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
        _check_page(first, offset)
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


@derived(PartyTime, description="How long one party held a request")
class RequestPartyTime:
    pass


@derived(AttributedBreach, description="An SLA breach and whoever held the request then")
class RequestBreachHolder:
    pass


@derived(RequestFigures, description="A request's SLA time per party and cost of coordination")
class RequestCoordinationFigures:
    products: list[ProductCode]


@strawberry.type(description="A page of requests' figures")
class RequestFiguresConnection:
    items: list[RequestCoordinationFigures]
    total: int
    has_next_page: bool


@derived(ShareDistribution, description="A kind of party's share of the requests' time")
class PartyShareDistribution:
    pass


@derived(CoordinationCostRow, description="The cost of coordination of a group of requests")
class CoordinationCost:
    pass


@derived(UnmetDemandMonth, description="Demand recorded as unmet in a month")
class UnmetDemandOfMonth:
    product_code: ProductCode


@derived(ProductLoadMonth, description="A product's supply in a month, beside its unmet demand")
class ProductSupplyOfMonth:
    product_code: ProductCode


@derived(DemandWithoutSupply, description="Unmet demand beside supply")
class DemandWithoutSupplyView:
    unmet: list[UnmetDemandOfMonth]
    load: list[ProductSupplyOfMonth]


@strawberry.input(description="Which requests' figures: each field given narrows them")
class CoordinationFilter:
    start: datetime | None = strawberry.field(
        default=None, description="Submitted (unmet demand: recorded) on or after, by month"
    )
    end: datetime | None = strawberry.field(
        default=None, description="Submitted (unmet demand: recorded) on or before, by month"
    )
    desk_code: str | None = None
    country: str | None = None
    region: str | None = None
    client_code: str | None = None
    product_code: ProductCode | None = None
    route: CoordinationRoute | None = None


def coordination_params(given: CoordinationFilter | None) -> dict[str, str]:
    """The service's query parameters, each code checked before it goes into a URL."""
    if given is None:
        return {}
    place = WhoDoesWhatFilter(
        start=given.start,
        end=given.end,
        country=given.country,
        region=given.region,
        desk_code=given.desk_code,
        product_code=given.product_code,
        client_code=given.client_code,
    )
    params = filter_params(place)
    if given.route is not None:
        params["route"] = given.route.value
    return params


@strawberry.type
class CoordinationQuery:
    @strawberry.field(
        description="Per request, newest first: how long each party held it, its breaches "
        "and who held it then, and its cost of coordination; the requests you may see"
    )
    async def request_figures(
        self,
        info: GatewayInfo,
        filter: CoordinationFilter | None = None,
        first: int = 100,
        offset: int = 0,
    ) -> RequestFiguresConnection:
        _check_page(first, offset)
        context = context_of(info)
        page = await insights_service(context).get(
            service_path("request-figures"),
            context.authorization,
            RequestFiguresPage,
            params={**coordination_params(filter), "first": first, "offset": offset},
        )
        return RequestFiguresConnection(
            items=all_from_contract(RequestCoordinationFigures, page.items),
            total=page.total,
            has_next_page=page.has_next_page,
        )

    @strawberry.field(
        description="Per desk or product, each kind of party's share of the requests' time "
        "(median and 90th percentile), with the time it held them and its breaches"
    )
    async def sla_shares(
        self,
        info: GatewayInfo,
        filter: CoordinationFilter | None = None,
        by: Grouping = Grouping.desk,
    ) -> list[PartyShareDistribution]:
        if by not in (Grouping.desk, Grouping.product):
            raise bad_input("shares are grouped by DESK or PRODUCT")
        context = context_of(info)
        rows = await insights_service(context).get(
            service_path("sla-shares"),
            context.authorization,
            list[ShareDistribution],
            params={**coordination_params(filter), "by": by.value},
        )
        return all_from_contract(PartyShareDistribution, rows)

    @strawberry.field(
        description="The cost of coordination per desk, product, country or month (the "
        "trend), through triage and routed at intake"
    )
    async def coordination_costs(
        self,
        info: GatewayInfo,
        filter: CoordinationFilter | None = None,
        by: Grouping = Grouping.month,
    ) -> list[CoordinationCost]:
        context = context_of(info)
        rows = await insights_service(context).get(
            service_path("coordination-costs"),
            context.authorization,
            list[CoordinationCostRow],
            params={**coordination_params(filter), "by": by.value},
        )
        return all_from_contract(CoordinationCost, rows)

    @strawberry.field(
        description="Unmet demand per month, product, region and reason (a page of it "
        "with `first`, all of it without), beside each product's supply (routed, accepted, "
        "declined, in hand, capacity)"
    )
    async def demand_without_supply(
        self,
        info: GatewayInfo,
        filter: CoordinationFilter | None = None,
        first: int | None = None,
        offset: int = 0,
    ) -> DemandWithoutSupplyView:
        _check_page(MAX_PAGE if first is None else first, offset)
        params: dict[str, str | int] = {**coordination_params(filter), "offset": offset}
        if first is not None:
            params["first"] = first
        context = context_of(info)
        view = await insights_service(context).get(
            service_path("demand-without-supply"),
            context.authorization,
            DemandWithoutSupply,
            params=params,
        )
        return from_contract(DemandWithoutSupplyView, view)


InsightsQuery = merge_types("InsightsQuery", (WhoDoesWhatQuery, CoordinationQuery))
