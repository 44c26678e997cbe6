"""Tables owned by the insights service: projections of the other services' events.

Two levels. The **facts** are what the events said, one row per aggregate (a request,
an engagement, a joint assessment, a product), each status kept with the time it was
reached so that events applied in any order leave the same row. The **lines** and the
**aggregates** are derived from the facts by pure functions (domain.py) whenever a
fact changes, so they are the same whatever order the events came in, and the views
read the small aggregates rather than scanning every request.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from shared.db import JSONColumn, UTCDateTime


class InsightsTable(SQLModel, registry=registry()):
    """Base of this database's tables: its own metadata (see the other services)."""


class RequestFact(InsightsTable, table=True):
    """A request as desks published it: where, for whom, which products, its status."""

    __tablename__ = "request_fact"

    id: str = Field(primary_key=True, max_length=36)
    client_code: str = Field(max_length=64, index=True)
    client_kind: str = Field(max_length=40)
    country: str = Field(max_length=3)
    region: str = Field(max_length=64)
    desk_code: str = Field(max_length=64)
    products: list[str] = Field(sa_type=JSONColumn)
    status: str = Field(max_length=20)
    submitted_at: datetime = Field(sa_type=UTCDateTime)
    status_at: datetime = Field(sa_type=UTCDateTime)


class EngagementFact(InsightsTable, table=True):
    """An engagement as products published it: the product, its status and since when."""

    __tablename__ = "engagement_fact"

    id: str = Field(primary_key=True, max_length=36)
    request_id: str = Field(max_length=36, index=True)
    product_code: str = Field(max_length=64)
    status: str = Field(max_length=20)
    started_at: datetime = Field(sa_type=UTCDateTime)
    status_at: datetime = Field(sa_type=UTCDateTime)
    accepted_at: datetime | None = Field(
        default=None, sa_type=UTCDateTime, description="When it first held a slot"
    )
    ended_at: datetime | None = Field(
        default=None, sa_type=UTCDateTime, description="When it was first declined or ended"
    )


class AssessmentFact(InsightsTable, table=True):
    """A joint assessment as partnerships published it: its partners and status."""

    __tablename__ = "assessment_fact"

    id: str = Field(primary_key=True, max_length=36)
    request_id: str = Field(max_length=36, index=True)
    partners: list[str] = Field(sa_type=JSONColumn)
    status: str = Field(max_length=20)
    opened_at: datetime = Field(sa_type=UTCDateTime)
    status_at: datetime = Field(sa_type=UTCDateTime)
    ended_at: datetime | None = Field(
        default=None, sa_type=UTCDateTime, description="When it was first concluded or cancelled"
    )


class ProductFact(InsightsTable, table=True):
    """A catalog product: its name and the provider unit that owns it (the newest revision)."""

    __tablename__ = "product_fact"

    code: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    provider_unit: str = Field(max_length=200)
    revision: int
    capacity: int = Field(default=0, description="Concurrent engagements")


class ActivityLine(InsightsTable, table=True):
    """One organisation engaged on one product of one request (derived from the facts)."""

    __tablename__ = "activity_line"
    __table_args__ = (
        Index(
            "ix_activity_line_key",
            "country",
            "desk_code",
            "party_kind",
            "party",
            "product_code",
            "client_code",
            "status",
            "start_month",
            "end_month",
        ),
    )

    request_id: str = Field(primary_key=True, max_length=36)
    party_kind: str = Field(primary_key=True, max_length=10)
    party: str = Field(primary_key=True, max_length=64)
    product_code: str = Field(primary_key=True, max_length=64)
    country: str = Field(max_length=3)
    region: str = Field(max_length=64)
    desk_code: str = Field(max_length=64)
    client_code: str = Field(max_length=64)
    activity: str = Field(max_length=20)
    status: str = Field(max_length=20)
    started_at: datetime = Field(sa_type=UTCDateTime)
    start_month: str = Field(max_length=7, description="YYYY-MM")
    end_month: str = Field(max_length=7, description="YYYY-MM, empty while it has not ended")


class WhoDoesWhatCounts(SQLModel):
    """What both 3W aggregates hold per organisation, product, client and status."""

    country: str = Field(primary_key=True, max_length=3)
    desk_code: str = Field(primary_key=True, max_length=64)
    party_kind: str = Field(primary_key=True, max_length=10)
    party: str = Field(primary_key=True, max_length=64)
    product_code: str = Field(primary_key=True, max_length=64)
    client_code: str = Field(primary_key=True, max_length=64)
    status: str = Field(primary_key=True, max_length=20)
    region: str = Field(max_length=64)
    activity: str = Field(max_length=20)
    requests: int
    open_requests: int = Field(description="Of them, those that have not ended")
    since: datetime = Field(sa_type=UTCDateTime)


class WhoDoesWhatTotal(WhoDoesWhatCounts, InsightsTable, table=True):
    """The 3W/4W over all time: what a view without a time window reads (a few rows per
    organisation and client, however many requests there are)."""

    __tablename__ = "who_does_what_total"


class WhoDoesWhat(WhoDoesWhatCounts, InsightsTable, table=True):
    """The 3W/4W by the months lines started and ended, for a time window (its
    granularity): what a view with a window reads."""

    __tablename__ = "who_does_what"
    __table_args__ = (
        Index("ix_who_does_what_months", "start_month", "end_month"),
        # A client's window reads its own rows, not every client's.
        Index("ix_who_does_what_client", "client_code", "start_month", "end_month"),
    )

    start_month: str = Field(primary_key=True, max_length=7)
    end_month: str = Field(primary_key=True, max_length=7)


class WhoDoesWhatSpan(InsightsTable, table=True):
    """The months each 3W line (an all-time key) was active in, as maximal runs of
    consecutive months: the union of its monthly rows' months (domain.active_spans).
    What a window's count of lines reads: a line is in a window when one of its spans
    meets it, so the count groups a few rows per line rather than every monthly row."""

    __tablename__ = "who_does_what_span"

    country: str = Field(primary_key=True, max_length=3)
    desk_code: str = Field(primary_key=True, max_length=64)
    party_kind: str = Field(primary_key=True, max_length=10)
    party: str = Field(primary_key=True, max_length=64)
    product_code: str = Field(primary_key=True, max_length=64)
    client_code: str = Field(primary_key=True, max_length=64)
    status: str = Field(primary_key=True, max_length=20)
    start_month: str = Field(primary_key=True, max_length=7)
    end_month: str = Field(max_length=7, description="YYYY-MM, empty while still active")
    region: str = Field(max_length=64)


class RequestStep(InsightsTable, table=True):
    """A status a request reached (its status history), when and by whose act."""

    __tablename__ = "request_step"

    request_id: str = Field(primary_key=True, max_length=36)
    at: datetime = Field(primary_key=True, sa_type=UTCDateTime)
    status: str = Field(primary_key=True, max_length=20)
    actor: str = Field(max_length=300)


class SlaBreachFact(InsightsTable, table=True):
    """An SLA clock of a request that breached (at most once per request and clock)."""

    __tablename__ = "sla_breach_fact"

    request_id: str = Field(primary_key=True, max_length=36)
    clock: str = Field(primary_key=True, max_length=20)
    breached_at: datetime = Field(sa_type=UTCDateTime)


class UnmetDemandFact(InsightsTable, table=True):
    """Demand a desk recorded as unmet (once per request and product)."""

    __tablename__ = "unmet_demand_fact"

    request_id: str = Field(primary_key=True, max_length=36)
    product_code: str = Field(primary_key=True, max_length=64)
    client_code: str = Field(max_length=64)
    country: str = Field(max_length=3)
    region: str = Field(max_length=64)
    desk_code: str = Field(max_length=64)
    reason_code: str = Field(max_length=40)
    recorded_at: datetime = Field(sa_type=UTCDateTime)


class RequestCoordination(InsightsTable, table=True):
    """One request's SLA time per party and cost of coordination (derived from its
    facts by domain.figures_of whenever one of them changes)."""

    __tablename__ = "request_coordination"
    __table_args__ = (
        Index("ix_request_coordination_submitted", "submitted_at", "request_id"),
        Index("ix_request_coordination_client", "client_code", "submitted_at"),
        Index("ix_request_coordination_desk", "desk_code", "submitted_at"),
    )

    request_id: str = Field(primary_key=True, max_length=36)
    desk_code: str = Field(max_length=64)
    client_code: str = Field(max_length=64)
    country: str = Field(max_length=3)
    region: str = Field(max_length=64)
    products: list[str] = Field(sa_type=JSONColumn, description="Asked for or engaged")
    partners: list[str] = Field(sa_type=JSONColumn, description="Of its joint assessments")
    status: str = Field(max_length=20)
    route: str = Field(max_length=10, description="intake or triage")
    submitted_at: datetime = Field(sa_type=UTCDateTime)
    month: str = Field(max_length=7, description="The month it was submitted, YYYY-MM")
    measured_until: datetime = Field(sa_type=UTCDateTime)
    measured_s: int
    held_by: list[str] = Field(sa_type=JSONColumn, description="kind:code")
    client_s: int
    desk_s: int
    provider_s: int
    partner_s: int
    breaches: list[dict[str, Any]] = Field(
        sa_type=JSONColumn, description="clock, breached_at, held_by (kind:code)"
    )
    hand_offs: int
    parties_involved: int
    reroutings: int
    declines: int
    first_engagement_s: int | None = None
    assessments: int
    joint_assessment_s: int


class RequestParty(InsightsTable, table=True):
    """One party's time on one request (every party involved, also with none)."""

    __tablename__ = "request_party"
    __table_args__ = (Index("ix_request_party_party", "party_kind", "party", "request_id"),)

    request_id: str = Field(primary_key=True, max_length=36)
    party_kind: str = Field(primary_key=True, max_length=10)
    party: str = Field(primary_key=True, max_length=64)
    seconds: int
    breaches: int


class RequestProduct(InsightsTable, table=True):
    """A product of a request (asked for or engaged): who sees it, the product filter."""

    __tablename__ = "request_product"
    __table_args__ = (Index("ix_request_product_product", "product_code", "request_id"),)

    request_id: str = Field(primary_key=True, max_length=36)
    product_code: str = Field(primary_key=True, max_length=64)


# The aggregates below are sums kept in step with the derived rows: a changed row takes
# its old contribution off and adds its new one (store.apply_counts), so each is the sum
# over the rows as they are, whatever order the events came in. A product code of ""
# is the request as a whole (counted once); a product's own rows count the request once
# per product. A partner of "" is everyone's count; a partner's own rows count the
# requests of its joint assessments again, so a partner's part is an indexed read too.
WHOLE_REQUEST = ""
EVERYONE = ""


def _seconds() -> Any:
    """A sum of seconds: 64-bit, as a month of a desk's requests passes 2**31 s."""
    return Field(default=0, sa_type=BigInteger)


class CoordinationSums(SQLModel):
    """What a cost-and-time aggregate sums per key: requests, their cost of coordination
    and each kind of party's time and breaches."""

    requests: int = 0
    hand_offs: int = 0
    parties_involved: int = 0
    reroutings: int = 0
    declines: int = 0
    engaged_requests: int = 0
    first_engagement_s: int = _seconds()
    assessed_requests: int = 0
    joint_assessment_s: int = _seconds()
    client_s: int = _seconds()
    desk_s: int = _seconds()
    provider_s: int = _seconds()
    partner_s: int = _seconds()
    client_breaches: int = 0
    desk_breaches: int = 0
    provider_breaches: int = 0
    partner_breaches: int = 0


class CoordinationMonth(CoordinationSums, InsightsTable, table=True):
    """The cost of coordination and the time per party, per month of submission, desk,
    country, client, product and route: what the cost and share views sum."""

    __tablename__ = "coordination_month"

    partner: str = Field(primary_key=True, max_length=64)
    month: str = Field(primary_key=True, max_length=7)
    desk_code: str = Field(primary_key=True, max_length=64)
    country: str = Field(primary_key=True, max_length=3)
    client_code: str = Field(primary_key=True, max_length=64)
    product_code: str = Field(primary_key=True, max_length=64)
    route: str = Field(primary_key=True, max_length=10)
    region: str = Field(max_length=64)


class CoordinationMonthTotal(CoordinationSums, InsightsTable, table=True):
    """The same sums over every client and country (everyone's: no partner), per product,
    month, desk and route: what the whole picture reads (HQ, a desk, a provider), a few
    thousand rows however many requests, where the full table has a row per client too."""

    __tablename__ = "coordination_month_total"

    product_code: str = Field(primary_key=True, max_length=64)
    month: str = Field(primary_key=True, max_length=7)
    desk_code: str = Field(primary_key=True, max_length=64)
    route: str = Field(primary_key=True, max_length=10)


class PartyShareTotal(InsightsTable, table=True):
    """How many requests gave a kind of party each whole-percent share of their time,
    per desk and product: the distributions' counts (a few thousand rows however many
    requests), what every caller but a client reads."""

    __tablename__ = "party_share_total"
    __table_args__ = (
        # The distributions by product, from the index alone, in the order they are grouped.
        Index(
            "ix_party_share_total_product",
            "product_code",
            "party_kind",
            "share_pct",
            "desk_code",
            "requests",
        ),
    )

    desk_code: str = Field(primary_key=True, max_length=64)
    product_code: str = Field(primary_key=True, max_length=64)
    party_kind: str = Field(primary_key=True, max_length=10)
    share_pct: int = Field(primary_key=True)
    requests: int = 0


class PartyShare(InsightsTable, table=True):
    """The same counts per client (and partner) too: what a client's distributions (its
    own requests), a client filter and a partner read."""

    __tablename__ = "party_share"
    __table_args__ = (
        # A client's distributions and a partner's, each from its index alone (a partner's
        # rows of every client), already in the order they are grouped by product.
        Index(
            "ix_party_share_client",
            "partner",
            "client_code",
            "product_code",
            "party_kind",
            "share_pct",
            "desk_code",
            "requests",
        ),
        Index(
            "ix_party_share_partner",
            "partner",
            "product_code",
            "party_kind",
            "share_pct",
            "desk_code",
            "requests",
        ),
    )

    partner: str = Field(primary_key=True, max_length=64)
    desk_code: str = Field(primary_key=True, max_length=64)
    client_code: str = Field(primary_key=True, max_length=64)
    product_code: str = Field(primary_key=True, max_length=64)
    party_kind: str = Field(primary_key=True, max_length=10)
    share_pct: int = Field(primary_key=True)
    requests: int = 0


class UnmetDemandCount(InsightsTable, table=True):
    """Unmet demand per month, product, place, client and reason."""

    __tablename__ = "unmet_demand_count"

    month: str = Field(primary_key=True, max_length=7)
    product_code: str = Field(primary_key=True, max_length=64)
    region: str = Field(primary_key=True, max_length=64)
    country: str = Field(primary_key=True, max_length=3)
    desk_code: str = Field(primary_key=True, max_length=64)
    client_code: str = Field(primary_key=True, max_length=64)
    reason_code: str = Field(primary_key=True, max_length=40)
    requests: int = 0


class UnmetDemandTotal(InsightsTable, table=True):
    """Unmet demand per month, product, region and reason over every country, desk and
    client: what the whole picture reads (HQ, a provider), already in the view's order."""

    __tablename__ = "unmet_demand_total"

    month: str = Field(primary_key=True, max_length=7)
    product_code: str = Field(primary_key=True, max_length=64)
    region: str = Field(primary_key=True, max_length=64)
    reason_code: str = Field(primary_key=True, max_length=40)
    requests: int = 0


class ProductLoad(InsightsTable, table=True):
    """A product's supply per month: engagements routed to it, accepted, whose slot was
    freed, declined (the engagements in hand are the running sum of accepted - freed)."""

    __tablename__ = "product_load"

    product_code: str = Field(primary_key=True, max_length=64)
    month: str = Field(primary_key=True, max_length=7)
    requested: int = 0
    accepted: int = 0
    freed: int = 0
    declined: int = 0
