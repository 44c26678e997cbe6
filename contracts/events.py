"""Event payloads (the `data` of a CloudEvent), one pydantic model per type.

A published version never changes incompatibly: add optional fields only, or
publish a `.v2` type beside the `.v1` one. Consumers ignore fields they do not
know, so adding an optional field is safe for them.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

REQUESTS_TOPIC = "onedoor.requests"
ENGAGEMENTS_TOPIC = "onedoor.engagements"
PRODUCTS_TOPIC = "onedoor.products"
LESSONS_TOPIC = "onedoor.lessons"
ASSESSMENTS_TOPIC = "onedoor.assessments"

TOPICS: tuple[str, ...] = (
    REQUESTS_TOPIC,
    ENGAGEMENTS_TOPIC,
    PRODUCTS_TOPIC,
    LESSONS_TOPIC,
    ASSESSMENTS_TOPIC,
)


class Urgency(StrEnum):
    routine = "routine"
    priority = "priority"
    immediate = "immediate"


class ClientKind(StrEnum):
    peacekeeping_operation = "peacekeeping_operation"
    special_political_mission = "special_political_mission"
    country_team = "country_team"
    host_country = "host_country"
    hq_team = "hq_team"


class DeclineReason(StrEnum):
    capacity = "capacity"
    out_of_mandate = "out_of_mandate"
    needs_partner = "needs_partner"
    insufficient_information = "insufficient_information"
    other = "other"


class Event(BaseModel):
    """Base of every event payload.

    `type` is the CloudEvents type, `topic` the aggregate stream it travels on,
    and `key()` the aggregate id that keys the Kafka record (ordering per aggregate).
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    type: ClassVar[str]
    topic: ClassVar[str]

    def key(self) -> str:
        raise NotImplementedError

    def subject(self) -> str:
        return self.key()


class ProductCataloged(Event):
    """A product was added to the catalog or changed (full state, so replicas can upsert)."""

    type: ClassVar[str] = "onedoor.product.cataloged.v1"
    topic: ClassVar[str] = PRODUCTS_TOPIC

    code: str = Field(pattern=r"^[A-Z][A-Z0-9_]{1,63}$")
    name: str
    provider_unit: str
    description: str
    request_form: dict[str, Any] = Field(description="JSON Schema of the request details")
    capacity: int = Field(ge=0)
    active: bool
    revision: int = Field(ge=1, description="Increases with every change; replicas keep the newest")

    def key(self) -> str:
        return self.code


class RequestSubmitted(Event):
    type: ClassVar[str] = "onedoor.request.submitted.v1"
    topic: ClassVar[str] = REQUESTS_TOPIC

    request_id: str
    client_code: str
    client_kind: ClientKind
    country: str = Field(pattern=r"^[A-Z]{3}$")
    region: str
    desk_code: str
    title: str
    description: str
    products: list[str]
    urgency: Urgency
    submitted_by: str
    submitted_at: datetime

    def key(self) -> str:
        return self.request_id


class RequestStatusChanged(Event):
    """Any lifecycle transition of a service request."""

    type: ClassVar[str] = "onedoor.request.status-changed.v1"
    topic: ClassVar[str] = REQUESTS_TOPIC

    request_id: str
    client_code: str
    desk_code: str
    from_status: str
    to_status: str
    actor: str
    reason: str | None = None
    changed_at: datetime

    def key(self) -> str:
        return self.request_id


class RequestRouted(Event):
    """The desk routed one product of a request to its service provider."""

    type: ClassVar[str] = "onedoor.request.routed.v1"
    topic: ClassVar[str] = REQUESTS_TOPIC

    request_id: str
    routing_id: str
    product_code: str
    client_code: str
    client_kind: ClientKind
    country: str
    region: str
    desk_code: str
    title: str
    description: str
    urgency: Urgency
    details: dict[str, Any]
    routed_by: str
    routed_at: datetime

    def key(self) -> str:
        return self.request_id


class EngagementAccepted(Event):
    type: ClassVar[str] = "onedoor.engagement.accepted.v1"
    topic: ClassVar[str] = ENGAGEMENTS_TOPIC

    engagement_id: str
    request_id: str
    routing_id: str
    product_code: str
    accepted_by: str
    accepted_at: datetime

    def key(self) -> str:
        return self.engagement_id


class EngagementDeclined(Event):
    type: ClassVar[str] = "onedoor.engagement.declined.v1"
    topic: ClassVar[str] = ENGAGEMENTS_TOPIC

    engagement_id: str
    request_id: str
    routing_id: str
    product_code: str
    reason_code: DeclineReason
    reason: str
    declined_by: str
    declined_at: datetime

    def key(self) -> str:
        return self.engagement_id


class LessonPublished(Event):
    """Reserved for the lessons service; declared so the feed's contract is fixed early."""

    type: ClassVar[str] = "onedoor.lesson.published.v1"
    topic: ClassVar[str] = LESSONS_TOPIC

    lesson_id: str
    title: str
    summary: str
    themes: list[str]
    countries: list[str]
    regions: list[str]
    sensitivity: str
    published_at: datetime

    def key(self) -> str:
        return self.lesson_id


class AssessmentConcluded(Event):
    """Reserved for the partnerships service; the conclusion flows back to the request."""

    type: ClassVar[str] = "onedoor.assessment.concluded.v1"
    topic: ClassVar[str] = ASSESSMENTS_TOPIC

    assessment_id: str
    request_id: str
    partners: list[str]
    summary: str
    recommended_products: list[str]
    concluded_on: date

    def key(self) -> str:
        return self.assessment_id


def _all_event_models() -> list[type[Event]]:
    return [
        ProductCataloged,
        RequestSubmitted,
        RequestStatusChanged,
        RequestRouted,
        EngagementAccepted,
        EngagementDeclined,
        LessonPublished,
        AssessmentConcluded,
    ]


EVENT_TYPES: dict[str, type[Event]] = {model.type: model for model in _all_event_models()}


def event_model(event_type: str) -> type[Event] | None:
    return EVENT_TYPES.get(event_type)
