"""What the desks service answers: a request with its routings, SLA clocks and
assessments, its conversation and timeline, overlaps, metrics, unmet demand, desks."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from contracts.enums import ClientKind, RequestStatus, Urgency


class RoutingPublic(BaseModel):
    id: str
    product_code: str
    status: str
    engagement_id: str | None
    engagement_status: str | None
    decline_reason: str | None
    routed_at: datetime


class SlaClockPublic(BaseModel):
    clock: str
    due_at: datetime
    stopped_at: datetime | None
    breached_at: datetime | None
    escalated_to: str | None


class AssessmentPublic(BaseModel):
    """A joint assessment with partners opened for the request, as the desk sees it."""

    id: str
    partners: list[str]
    scope: str
    status: str
    summary: str | None
    recommended_products: list[str] = Field(
        description="Route them with routeRequest(products: ...)"
    )
    opened_at: datetime
    concluded_on: date | None


class ApprovalPublic(BaseModel):
    """One approval step of a request: the rules that asked for it, and the decision."""

    id: str
    rules: list[str] = Field(description="The names of the rules the request met")
    requested_at: datetime
    decision: str | None = Field(description="approved | rejected; null while pending")
    decided_by: str | None
    decided_at: datetime | None
    comment: str | None


class ApprovalRulePublic(BaseModel):
    """A configurable approval step: a new request meeting every given condition waits
    for its desk chief's approval before routing."""

    id: str
    name: str
    desk_code: str | None
    product_code: str | None
    urgency: Urgency | None
    client_kind: ClientKind | None
    active: bool
    version: int = Field(description="Pass it as expectedVersion to change the rule")
    updated_at: datetime
    updated_by: str


class RequestPublic(BaseModel):
    id: str
    title: str
    description: str
    status: RequestStatus
    urgency: Urgency
    client_code: str
    country: str
    region: str
    desk_code: str
    products: list[str]
    details: dict[str, Any]
    submitted_by: str
    created_at: datetime
    updated_at: datetime
    version: int = Field(description="Pass it as expectedVersion to act on the request")
    routings: list[RoutingPublic]
    owner: str | None
    status_reason: str | None
    satisfaction_score: int | None
    satisfaction_comment: str | None
    breached: bool = Field(description="Whether any SLA clock ran out")
    sla: list[SlaClockPublic]
    overlap_count: int
    assessments: list[AssessmentPublic]
    client_kind: str
    approvals: list[ApprovalPublic] = Field(
        default_factory=list, description="Its approval steps, oldest first"
    )
    reopen_count: int = Field(default=0, description="How often its client reopened it")
    dispute_count: int = Field(default=0, description="How often its client disputed a delivery")
    language: str = Field(default="en", description="The language it is written in (BCP-47)")
    parent_id: str | None = Field(default=None, description="The request it is a child of")
    derives_status_from_children: bool = Field(
        default=False, description="Its status follows its children's (docs/desks.md)"
    )


class LinkRelation(StrEnum):
    parent = "parent"
    child = "child"
    merged_into = "merged_into"
    merged_from = "merged_from"


class LinkedRequestPublic(BaseModel):
    """A request linked to `request_id` (its parent, a child, the request it was merged
    into, one merged into it), listed only when the caller may see it."""

    request_id: str
    relation: LinkRelation
    request: RequestPublic


class RequestEdge(BaseModel):
    cursor: str
    node: RequestPublic


class RequestPage(BaseModel):
    edges: list[RequestEdge]
    end_cursor: str | None
    has_next_page: bool


class TimelineEntryPublic(BaseModel):
    at: datetime
    event_type: str
    actor: str
    summary: str
    request_id: str


class CommentPublic(BaseModel):
    id: str
    author: str
    author_role: str
    body: str
    internal: bool
    created_at: datetime
    request_id: str
    from_request_id: str | None = Field(
        default=None, description="The duplicate merged into this request it was written on"
    )


class AttachmentPublic(BaseModel):
    """A document of a request: attached by reference, or uploaded (then `url` is its
    download path on the door, served once the scanner found it clean)."""

    id: str
    name: str
    media_type: str
    size_bytes: int
    url: str
    added_by: str
    added_at: datetime
    request_id: str
    from_request_id: str | None = Field(
        default=None, description="The duplicate merged into this request it was attached to"
    )
    uploaded: bool = Field(default=False, description="Uploaded to the door (not a reference)")
    sha256: str | None = Field(default=None, description="The uploaded file's SHA-256")
    scan_status: str | None = Field(
        default=None, description="An uploaded file's scan: clean, pending or infected"
    )
    internal: bool = Field(default=False, description="A desk document the client never sees")


class OverlapPublic(BaseModel):
    """A flagged link; the other request's content only for those who may see it."""

    other_request_id: str | None
    other_title: str | None
    other_client_code: str | None
    other_desk_code: str | None
    other_status: str | None
    shared_products: list[str]
    similarity: float
    flagged_at: datetime
    request_id: str


class RequestMetrics(BaseModel):
    """How much coordination a request took."""

    request_id: str
    seconds_in_status: dict[str, float]
    hand_offs: int = Field(
        description="Desk → provider (each routing), provider → desk (each decline), "
        "officer → officer (each re-assignment)"
    )
    entities_involved: list[str]
    routings: int
    declines: int
    breaches: int


class DeskMetrics(BaseModel):
    """How a desk is doing."""

    desk_code: str
    requests: int
    by_status: dict[str, int]
    open: int
    open_breached: int
    awaiting_triage: int
    overlapping_open: int
    unmet_demand: int
    average_hours_to_route: float | None
    average_satisfaction: float | None
    awaiting_approval: int = 0
    average_hours_awaiting_approval: float | None = Field(
        default=None, description="Over the approvals decided: from the request to the decision"
    )
    reopenings: int = Field(default=0, description="Times its clients reopened a request")
    disputes: int = Field(default=0, description="Times its clients disputed a delivery")


class UnmetDemandPublic(BaseModel):
    """A product a client needed and nobody could provide."""

    id: str
    request_id: str
    product_code: str
    client_code: str
    country: str
    region: str
    desk_code: str
    reason_code: str
    note: str
    recorded_by: str
    recorded_at: datetime
    routing_id: str


class DeskOut(BaseModel):
    code: str
    name: str
    region: str


class DeskPublic(DeskOut):
    """A regional desk and the countries it serves."""

    countries: list[str]


class CountryDeskOut(BaseModel):
    country: str
    desk_code: str


class WorkingPeriodPublic(BaseModel):
    weekday: str = Field(description="monday ... sunday")
    start: str = Field(description="HH:MM, the desk's local time")
    end: str = Field(description="HH:MM; 24:00 is the end of the day")


class HolidayPublic(BaseModel):
    date: date
    name: str | None


class DeskCalendarPublic(BaseModel):
    """A desk's business calendar: its SLA clocks count working time on it."""

    desk_code: str
    time_zone: str = Field(description="IANA time zone")
    working_hours: list[WorkingPeriodPublic]
    holidays: list[HolidayPublic]
    around_the_clock: list[Urgency] = Field(
        description="Urgencies whose clocks count every hour, not only working hours"
    )
    version: int = Field(description="Pass it as expectedVersion to change the calendar")
    updated_at: datetime
    updated_by: str


class SlaClockTime(BaseModel):
    """An SLA clock's time on its desk's calendar, at the moment of reading."""

    request_id: str
    clock: str
    due_at: datetime
    remaining_working_seconds: float | None = Field(
        description="Working time left (negative: overdue); null once the clock stopped"
    )
    paused: bool = Field(description="On hold or awaiting approval: the clock does not run")
