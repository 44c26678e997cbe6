"""What the insights service answers: views computed from the event log."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class PartyKind(StrEnum):
    """Who is engaged: the desk coordinating, the provider of a product, a partner."""

    desk = "desk"
    provider = "provider"
    partner = "partner"


class WhoDoesWhatRow(BaseModel):
    """One line of the 3W/4W: an organisation engaged on a product for a client in a
    country, in one status, since the first of those requests started."""

    country: str = Field(description="ISO 3166-1 alpha-3")
    region: str
    party_kind: PartyKind
    party: str = Field(description="The desk code, product code (provider) or partner code")
    org_name: str = Field(description="The organisation's name (a provider's unit)")
    product_code: str
    client_code: str
    activity: str = Field(description="coordination, engagement or joint_assessment")
    status: str
    since: datetime = Field(description="When the earliest of these requests started")
    requests: int = Field(description="How many requests this line counts")


class WhoDoesWhatPage(BaseModel):
    items: list[WhoDoesWhatRow]
    total: int = Field(description="Lines matching, over every page")
    has_next_page: bool


class CountrySummary(BaseModel):
    """A country on the map: its engagements (an organisation on a product of a request),
    how many organisations and products they involve, and how many are still open."""

    country: str
    region: str
    engagements: int
    open_engagements: int = Field(description="Engagements that have not ended")
    organisations: int
    products: int


class HoldingParty(StrEnum):
    """Who a request waits on at a moment (the holding rule, docs/insights.md)."""

    client = "client"
    desk = "desk"
    provider = "provider"
    partner = "partner"


class CoordinationRoute(StrEnum):
    """How a request reached its providers: routed at intake on the products the client
    named, or through the desk's triage (every other request)."""

    intake = "intake"
    triage = "triage"


class PartyTime(BaseModel):
    """How long one party held a request, and the breaches that fell while it held it."""

    party_kind: HoldingParty
    party: str = Field(description="The client, desk, product (provider) or partner code")
    org_name: str = Field(description="The organisation's name (a provider's unit)")
    seconds: int
    share_pct: int = Field(description="Of the request's measured time, in whole percent")
    breaches: int


class AttributedBreach(BaseModel):
    """An SLA clock's breach and whoever held the request when it fell."""

    clock: str
    breached_at: datetime
    held_by: list[str] = Field(description="kind:code of each holder, e.g. provider:RULE_OF_LAW")


class RequestFigures(BaseModel):
    """One request's SLA time per party and its cost of coordination."""

    request_id: str
    desk_code: str
    country: str
    region: str
    client_code: str
    products: list[str]
    status: str
    route: CoordinationRoute
    submitted_at: datetime
    measured_until: datetime = Field(description="The end of the measured time")
    measured_seconds: int = Field(description="Seconds measured, from submission")
    held_by: list[str] = Field(description="Who holds it at the end of the measured time")
    parties: list[PartyTime]
    breaches: list[AttributedBreach]
    hand_offs: int = Field(description="Times the request passed from one holder to another")
    parties_involved: int
    reroutings: int | None = Field(
        description="Engagements opened after a decline (null: not yours to read, docs/sharing.md)"
    )
    declines: int | None = Field(
        description="Engagements declined, on every product (null: not yours to read)"
    )
    first_engagement_seconds: int | None = Field(
        description="From submission to the first accepted engagement (none yet, or not "
        "yours to read: null)"
    )
    joint_assessment_seconds: int = Field(description="Seconds its joint assessments were open")


class RequestFiguresPage(BaseModel):
    items: list[RequestFigures]
    total: int
    has_next_page: bool


class ShareDistribution(BaseModel):
    """Per desk or product: the distribution of one party's share of the requests' time."""

    key: str = Field(description="The desk code or product code")
    party_kind: HoldingParty
    requests: int = Field(description="Requests with measured time")
    median_share_pct: int
    p90_share_pct: int
    seconds: int = Field(description="Time this kind of party held them, in all")
    breaches: int = Field(description="Breaches that fell while this kind of party held them")


class CoordinationCost(BaseModel):
    """The cost of coordination of a group of requests (a desk, product, country or
    month), for one route (through triage or routed at intake)."""

    key: str = Field(description="The desk, product, country code or month (YYYY-MM)")
    route: CoordinationRoute
    requests: int
    hand_offs: float = Field(description="Per request, on average")
    parties_involved: float = Field(description="Per request, on average")
    reroutings: int | None = Field(description="In all (null: not yours to read, docs/sharing.md)")
    declines: int | None = Field(description="In all, on every product (null: not yours to read)")
    first_engagement_hours: float | None = Field(
        description="Average over the requests engaged (none engaged, or not yours to read: null)"
    )
    joint_assessment_hours: float | None = Field(
        description="Average over the requests with a joint assessment (none: null)"
    )


class UnmetDemandMonth(BaseModel):
    """Demand the desks recorded as unmet in a month, per product, region and reason."""

    month: str
    product_code: str
    region: str
    reason_code: str
    requests: int


class ProductLoadMonth(BaseModel):
    """A product's supply in a month beside its unmet demand: what was routed to it,
    taken on and declined, the engagements in hand at the month's end against its
    capacity, and the demand recorded as unmet."""

    month: str
    product_code: str
    capacity: int = Field(description="Concurrent engagements (the catalog's newest revision)")
    requested: int = Field(description="Engagements routed to it that month")
    accepted: int
    declined: int
    in_hand: int = Field(description="Engagements holding a slot at the month's end")
    utilisation: float | None = Field(description="in_hand / capacity (no capacity: null)")
    unmet: int = Field(description="Requests recorded as unmet demand that month")


class DemandWithoutSupply(BaseModel):
    unmet: list[UnmetDemandMonth] = Field(description="A page of it when `first` is given")
    load: list[ProductLoadMonth] = Field(
        description="Empty for callers who may not read provider figures (clients, partners)"
    )
    unmet_total: int = Field(description="Rows of unmet demand in all (every page)")
    has_next_page: bool = Field(description="Whether rows of unmet demand follow this page")
