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

from sqlalchemy import Index
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


class AssessmentFact(InsightsTable, table=True):
    """A joint assessment as partnerships published it: its partners and status."""

    __tablename__ = "assessment_fact"

    id: str = Field(primary_key=True, max_length=36)
    request_id: str = Field(max_length=36, index=True)
    partners: list[str] = Field(sa_type=JSONColumn)
    status: str = Field(max_length=20)
    opened_at: datetime = Field(sa_type=UTCDateTime)
    status_at: datetime = Field(sa_type=UTCDateTime)


class ProductFact(InsightsTable, table=True):
    """A catalog product: its name and the provider unit that owns it (the newest revision)."""

    __tablename__ = "product_fact"

    code: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    provider_unit: str = Field(max_length=200)
    revision: int


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
    __table_args__ = (Index("ix_who_does_what_months", "start_month", "end_month"),)

    start_month: str = Field(primary_key=True, max_length=7)
    end_month: str = Field(primary_key=True, max_length=7)
