"""Tables owned by the desks service."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Text, UniqueConstraint
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from shared.db import JSONColumn, UTCDateTime


class DesksTable(SQLModel, registry=registry()):
    """Base of this database's tables: its own metadata, so each service's schema stays
    its own even when several services share one test process."""


class Desk(DesksTable, table=True):
    """A unified regional desk: the client's single counterpart at headquarters."""

    code: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=120)
    region: str = Field(max_length=120)


class CountryDesk(DesksTable, table=True):
    """The configurable country → desk map (ISO 3166 alpha-3)."""

    __tablename__ = "country_desk"

    country: str = Field(primary_key=True, max_length=3)
    desk_code: str = Field(foreign_key="desk.code", max_length=40)


class Client(DesksTable, table=True):
    """A tenant: a field mission, country team, host-country government or HQ team."""

    code: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=40)
    country: str = Field(max_length=3)


class CatalogProduct(DesksTable, table=True):
    """The desk's local copy of the products catalog, kept from catalog events so
    intake validates without a synchronous call to the products service."""

    __tablename__ = "catalog_product"

    code: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    provider_unit: str = Field(max_length=200)
    request_form: dict[str, Any] = Field(sa_type=JSONColumn)
    active: bool
    revision: int


class ServiceRequest(DesksTable, table=True):
    """A client's case: what they asked for, where it is and who has it."""

    __tablename__ = "service_request"

    id: str = Field(primary_key=True, max_length=36)
    client_code: str = Field(foreign_key="client.code", index=True, max_length=40)
    client_kind: str = Field(max_length=40)
    country: str = Field(max_length=3)
    region: str = Field(max_length=120)
    desk_code: str = Field(foreign_key="desk.code", index=True, max_length=40)
    title: str = Field(max_length=200)
    description: str = Field(sa_column=Column(Text, nullable=False))
    urgency: str = Field(max_length=20)
    status: str = Field(index=True, max_length=20)
    products: list[str] = Field(sa_type=JSONColumn)
    details: dict[str, Any] = Field(sa_type=JSONColumn)
    submitted_by: str = Field(max_length=300)
    created_at: datetime = Field(sa_type=UTCDateTime, index=True)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    version: int = Field(default=1)


class Routing(DesksTable, table=True):
    """One product of a request on its way to (and back from) its service provider."""

    __table_args__ = (UniqueConstraint("request_id", "product_code"),)

    id: str = Field(primary_key=True, max_length=36)
    request_id: str = Field(foreign_key="service_request.id", index=True, max_length=36)
    product_code: str = Field(max_length=64)
    status: str = Field(max_length=20)  # routed | accepted | declined
    engagement_id: str | None = Field(default=None, max_length=36)
    decline_reason: str | None = Field(default=None, sa_column=Column(Text))
    routed_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class TimelineEntry(DesksTable, table=True):
    """What happened to a request: time, event type, actor."""

    __tablename__ = "timeline_entry"

    id: int | None = Field(default=None, primary_key=True)
    request_id: str = Field(foreign_key="service_request.id", index=True, max_length=36)
    at: datetime = Field(sa_type=UTCDateTime)
    event_type: str = Field(max_length=200)
    actor: str = Field(max_length=300)
    summary: str = Field(sa_column=Column(Text, nullable=False))
