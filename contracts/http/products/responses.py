"""What the products service answers: the catalog, engagements with their deliverables
and experts, the provider's queue, the expert roster and the provider's figures."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from contracts.enums import Urgency


class ProductPublic(BaseModel):
    code: str
    name: str
    provider_unit: str
    description: str
    request_form: dict[str, Any]
    capacity: int
    auto_accept: bool
    sla_targets: dict[str, int] = Field(description="Target days per stage, e.g. deploy: 45")
    active: bool
    revision: int
    updated_by: str


class DeliverablePublic(BaseModel):
    id: str
    title: str
    kind: str
    reference: str
    delivered_on: date
    recorded_by: str
    recorded_at: datetime


class AssignmentPublic(BaseModel):
    id: str
    expert_id: str
    expert_name: str
    starts_on: date
    ends_on: date
    assigned_by: str
    assigned_at: datetime


class EngagementPublic(BaseModel):
    id: str
    request_id: str
    product_code: str
    status: str = Field(
        description="proposed, accepted, declined, planning, deployed, delivered, closed "
        "or withdrawn"
    )
    client_code: str
    client_kind: str
    desk_code: str
    country: str
    region: str
    title: str
    description: str
    urgency: Urgency
    details: dict[str, Any] = Field(description="The request's details for this product")
    decline_reason_code: str | None
    decline_reason: str | None
    decided_by: str | None
    accepted_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int = Field(description="Pass as expectedVersion when acting on it")
    due_at: datetime | None = Field(
        description="When the next step is due under the product's SLA targets"
    )
    overdue: bool
    deliverables: list[DeliverablePublic]
    assignments: list[AssignmentPublic]
    routing_id: str


class EngagementEdge(BaseModel):
    cursor: str
    node: EngagementPublic


class EngagementPage(BaseModel):
    edges: list[EngagementEdge]
    end_cursor: str | None
    has_next_page: bool


class AvailabilityWindow(BaseModel):
    starts_on: date
    ends_on: date


class Booking(BaseModel):
    engagement_id: str
    starts_on: date
    ends_on: date


class ExpertPublic(BaseModel):
    id: str
    name: str
    skills: list[str]
    languages: list[str] = Field(description="UN official languages: ar zh en fr ru es")
    availability: list[AvailabilityWindow]
    bookings: list[Booking]
    version: int = Field(description="Pass as expectedVersion to change availability")


class ProductUtilisation(BaseModel):
    product_code: str
    capacity: int
    active: int = Field(description="Engagements holding a slot")
    utilisation: float = Field(description="active / capacity")
    by_status: dict[str, int] = Field(description="Engagement counts by status")


class UnmetDemandByProduct(BaseModel):
    product_code: str
    declined: int
    declined_by_reason: dict[str, int]
    recorded_by_desks: int
    recorded_by_reason: dict[str, int]
    requests: int = Field(description="Distinct requests left unserved")
