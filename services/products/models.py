"""Tables owned by the products service."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Text, UniqueConstraint
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from shared.db import JSONColumn, UTCDateTime

# Who last defined a product that no admin has edited: the seed may still update it.
SEED_EDITOR = "seed"


class ProductsTable(SQLModel, registry=registry()):
    """Base of this database's tables: its own metadata, so each service's schema stays
    its own even when several services share one test process."""


class Product(ProductsTable, table=True):
    """A system-wide service a provider unit offers to every desk and client."""

    code: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    provider_unit: str = Field(max_length=200)
    description: str = Field(sa_column=Column(Text, nullable=False))
    request_form: dict[str, Any] = Field(sa_type=JSONColumn)
    capacity: int = Field(ge=0, description="Concurrent engagements the provider can carry")
    auto_accept: bool = True
    sla_targets: dict[str, int] = Field(sa_type=JSONColumn, description="Target days per stage")
    active: bool = True
    revision: int = 1
    updated_by: str = Field(default=SEED_EDITOR, max_length=200)


class Engagement(ProductsTable, table=True):
    """A routed product of a request, as its provider carries it."""

    id: str = Field(primary_key=True, max_length=36)
    routing_id: str = Field(unique=True, max_length=36)
    request_id: str = Field(index=True, max_length=36)
    product_code: str = Field(index=True, max_length=64)
    client_code: str = Field(index=True, max_length=40)
    client_kind: str = Field(max_length=40)
    desk_code: str = Field(index=True, max_length=40)
    country: str = Field(max_length=3)
    region: str = Field(max_length=120)
    title: str = Field(max_length=200)
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    urgency: str = Field(max_length=20)
    details: dict[str, Any] = Field(sa_type=JSONColumn)
    status: str = Field(index=True, max_length=20)
    decline_reason_code: str | None = Field(default=None, max_length=40)
    decline_reason: str | None = Field(default=None, sa_column=Column(Text))
    decided_by: str | None = Field(default=None, max_length=200)
    accepted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    version: int = 1


class Deliverable(ProductsTable, table=True):
    """What a provider handed over on an engagement: a report, a training, an advisory note."""

    id: str = Field(primary_key=True, max_length=36)
    engagement_id: str = Field(foreign_key="engagement.id", index=True, max_length=36)
    title: str = Field(max_length=200)
    kind: str = Field(max_length=40)
    reference: str = Field(max_length=500)
    delivered_on: date
    recorded_by: str = Field(max_length=200)
    recorded_at: datetime = Field(sa_type=UTCDateTime)


class Expert(ProductsTable, table=True):
    """A member of the system-wide roster, deployable to any product's engagements."""

    id: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=200)
    skills: list[str] = Field(sa_type=JSONColumn)
    languages: list[str] = Field(sa_type=JSONColumn, description="UN official language codes")
    version: int = 1


class ExpertAvailability(ProductsTable, table=True):
    """A window of days in which the expert can be deployed."""

    __tablename__ = "expert_availability"

    id: int | None = Field(default=None, primary_key=True)
    expert_id: str = Field(foreign_key="expert.id", index=True, max_length=40)
    starts_on: date
    ends_on: date


class Assignment(ProductsTable, table=True):
    """An expert booked on an engagement for a range of days."""

    id: str = Field(primary_key=True, max_length=36)
    engagement_id: str = Field(foreign_key="engagement.id", index=True, max_length=36)
    expert_id: str = Field(foreign_key="expert.id", index=True, max_length=40)
    starts_on: date
    ends_on: date
    assigned_by: str = Field(max_length=200)
    assigned_at: datetime = Field(sa_type=UTCDateTime)


class UnmetDemand(ProductsTable, table=True):
    """A desk's record that a client's need for a product went unmet (UnmetDemandRecorded)."""

    __tablename__ = "unmet_demand"
    __table_args__ = (UniqueConstraint("request_id", "product_code"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: str = Field(max_length=36)
    product_code: str = Field(index=True, max_length=64)
    client_code: str = Field(max_length=40)
    client_kind: str = Field(max_length=40)
    country: str = Field(max_length=3)
    region: str = Field(max_length=120)
    desk_code: str = Field(max_length=40)
    reason_code: str = Field(max_length=40)
    note: str = Field(sa_column=Column(Text, nullable=False))
    recorded_by: str = Field(max_length=200)
    recorded_at: datetime = Field(sa_type=UTCDateTime)
