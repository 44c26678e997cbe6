"""What the products service accepts: the commands on an engagement, and the admin's
catalog and expert roster."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, Field

from contracts.enums import DeclineReason
from contracts.http.common import PRODUCT_CODE, ExpectedVersion
from contracts.http.products.responses import AvailabilityWindow


class Decline(ExpectedVersion):
    reason_code: DeclineReason
    reason: str = Field(min_length=1, max_length=2000)


class DeliverableCreate(ExpectedVersion):
    title: str = Field(min_length=1, max_length=200)
    kind: str = Field(
        min_length=1, max_length=40, description="report, assessment, training, advisory_note…"
    )
    reference: str = Field(min_length=1, max_length=500, description="URL or document symbol")
    delivered_on: date


class AssignmentCreate(ExpectedVersion):
    expert_id: str = Field(max_length=40)
    starts_on: date
    ends_on: date


class ProductCreate(BaseModel):
    code: str = Field(pattern=PRODUCT_CODE)
    name: str = Field(min_length=1, max_length=200)
    provider_unit: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=10_000)
    request_form: dict[str, Any]
    capacity: int = Field(ge=0, le=10_000)
    auto_accept: bool = True
    sla_targets: dict[str, int] = Field(default_factory=dict)
    active: bool = True


class ProductChange(ExpectedVersion):
    """The fields to change; the rest stay as they are."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    provider_unit: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=10_000)
    request_form: dict[str, Any] | None = None
    capacity: int | None = Field(default=None, ge=0, le=10_000)
    auto_accept: bool | None = None
    sla_targets: dict[str, int] | None = None
    active: bool | None = None


class ExpertCreate(BaseModel):
    id: str = Field(pattern=r"^[A-Z0-9][A-Z0-9-]{1,39}$")
    name: str = Field(min_length=1, max_length=200)
    skills: list[str] = Field(default_factory=list, max_length=50)
    languages: list[str] = Field(min_length=1, max_length=6)
    availability: list[AvailabilityWindow] = Field(default_factory=list, max_length=100)


class AvailabilityChange(ExpectedVersion):
    availability: list[AvailabilityWindow] = Field(max_length=100)
