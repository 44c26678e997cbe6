"""Tables owned by the products service."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Text
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from shared.db import JSONColumn, UTCDateTime


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


class Engagement(ProductsTable, table=True):
    """A routed product of a request, as its provider carries it."""

    id: str = Field(primary_key=True, max_length=36)
    routing_id: str = Field(unique=True, max_length=36)
    request_id: str = Field(index=True, max_length=36)
    product_code: str = Field(index=True, max_length=64)
    client_code: str = Field(index=True, max_length=40)
    desk_code: str = Field(index=True, max_length=40)
    country: str = Field(max_length=3)
    title: str = Field(max_length=200)
    urgency: str = Field(max_length=20)
    details: dict[str, Any] = Field(sa_type=JSONColumn)
    status: str = Field(index=True, max_length=20)
    decline_reason_code: str | None = Field(default=None, max_length=40)
    decline_reason: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    version: int = 1
