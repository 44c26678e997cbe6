"""Event payloads (the `data` of a CloudEvent), one pydantic model per type.

A published version never changes incompatibly: add optional fields only, or
publish a `.v2` type beside the `.v1` one. Consumers ignore fields they do not
know, so adding an optional field is safe for them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from contracts.enums import (
    ApprovalDecision,
    ClientKind,
    DeclineReason,
    NotificationKind,
    SlaClock,
    Urgency,
)

REQUESTS_TOPIC = "onedoor.requests"
ENGAGEMENTS_TOPIC = "onedoor.engagements"
PRODUCTS_TOPIC = "onedoor.products"
LESSONS_TOPIC = "onedoor.lessons"
ASSESSMENTS_TOPIC = "onedoor.assessments"
NOTIFICATIONS_TOPIC = "onedoor.notifications"

TOPICS: tuple[str, ...] = (
    REQUESTS_TOPIC,
    ENGAGEMENTS_TOPIC,
    PRODUCTS_TOPIC,
    LESSONS_TOPIC,
    ASSESSMENTS_TOPIC,
    NOTIFICATIONS_TOPIC,
)


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
    sla_targets: dict[str, int] = Field(
        default_factory=dict, description="Target days per engagement stage, e.g. deliver: 60"
    )

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
    language: str = Field(default="en", description="The language it is written in (BCP-47)")

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
    satisfaction_score: int | None = Field(
        default=None, ge=1, le=5, description="Given by the client when confirming closure"
    )

    def key(self) -> str:
        return self.request_id


class RequestAssigned(Event):
    """A desk officer took ownership of a request (or handed it to a colleague)."""

    type: ClassVar[str] = "onedoor.request.assigned.v1"
    topic: ClassVar[str] = REQUESTS_TOPIC

    request_id: str
    client_code: str
    desk_code: str
    owner: str
    previous_owner: str | None = None
    assigned_by: str
    assigned_at: datetime

    def key(self) -> str:
        return self.request_id


class RequestSlaBreached(Event):
    """One of a request's SLA clocks ran out; the request is escalated."""

    type: ClassVar[str] = "onedoor.request.sla-breached.v1"
    topic: ClassVar[str] = REQUESTS_TOPIC

    request_id: str
    client_code: str
    desk_code: str
    clock: SlaClock
    urgency: Urgency
    due_at: datetime
    breached_at: datetime
    escalated_to: str = Field(description="Who the breach was escalated to, e.g. the desk chief")

    def key(self) -> str:
        return self.request_id


class RequestOverlapFlagged(Event):
    """A new request resembles an open one, possibly another client's (the Mali case)."""

    type: ClassVar[str] = "onedoor.request.overlap-flagged.v1"
    topic: ClassVar[str] = REQUESTS_TOPIC

    request_id: str
    other_request_id: str
    desk_code: str
    other_desk_code: str
    country: str
    shared_products: list[str]
    similarity: float = Field(ge=0, le=1)
    flagged_at: datetime

    def key(self) -> str:
        return self.request_id


class UnmetDemandRecorded(Event):
    """A product a client needed could not be provided: kept so the gap is visible."""

    type: ClassVar[str] = "onedoor.request.unmet-demand-recorded.v1"
    topic: ClassVar[str] = REQUESTS_TOPIC

    request_id: str
    product_code: str
    client_code: str
    client_kind: ClientKind
    country: str
    region: str
    desk_code: str
    reason_code: DeclineReason
    note: str
    recorded_by: str
    recorded_at: datetime

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


class EngagementProposed(Event):
    """A routed product waits for its provider officer to accept or decline."""

    type: ClassVar[str] = "onedoor.engagement.proposed.v1"
    topic: ClassVar[str] = ENGAGEMENTS_TOPIC

    engagement_id: str
    request_id: str
    routing_id: str
    product_code: str
    proposed_at: datetime

    def key(self) -> str:
        return self.engagement_id


class EngagementStatusChanged(Event):
    """A move of an engagement after acceptance: planning, deployed, closed."""

    type: ClassVar[str] = "onedoor.engagement.status-changed.v1"
    topic: ClassVar[str] = ENGAGEMENTS_TOPIC

    engagement_id: str
    request_id: str
    routing_id: str
    product_code: str
    from_status: str
    to_status: str
    actor: str
    changed_at: datetime

    def key(self) -> str:
        return self.engagement_id


class DeliverableRef(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    title: str
    kind: str = Field(description="e.g. report, assessment, training, advisory_note")
    reference: str = Field(description="Where the deliverable lives (URL or document symbol)")
    delivered_on: date


class EngagementDelivered(Event):
    """A provider delivered; carries what an after-action review needs."""

    type: ClassVar[str] = "onedoor.engagement.delivered.v1"
    topic: ClassVar[str] = ENGAGEMENTS_TOPIC

    engagement_id: str
    request_id: str
    routing_id: str
    product_code: str
    provider_unit: str
    client_code: str
    client_kind: ClientKind
    country: str
    region: str
    desk_code: str
    title: str
    deliverables: list[DeliverableRef]
    experts: list[str] = Field(default_factory=list)
    accepted_at: datetime | None = None
    delivered_by: str
    delivered_at: datetime

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
    """A lesson reached the feed. Subscribers filter on themes, countries, regions."""

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
    client_kinds: list[str] = Field(default_factory=list)
    source_kind: str | None = Field(default=None, description="engagement, assessment or direct")
    author_entity: str | None = None
    language: str = Field(default="en", description="The language it is written in (BCP-47)")
    translation_of: str | None = Field(
        default=None, description="The original lesson this one translates"
    )

    def key(self) -> str:
        return self.lesson_id


class LessonStatusChanged(Event):
    """Any workflow move of a lesson (drafted, sent to review, sent back, archived, ...)."""

    type: ClassVar[str] = "onedoor.lesson.status-changed.v1"
    topic: ClassVar[str] = LESSONS_TOPIC

    lesson_id: str
    from_status: str | None = Field(description="None when the draft was created")
    to_status: str
    actor: str
    comment: str | None = None
    sensitivity: str
    changed_at: datetime

    def key(self) -> str:
        return self.lesson_id


class AssessmentOpened(Event):
    """A joint assessment was proposed for a request, with its partners and scope."""

    type: ClassVar[str] = "onedoor.assessment.opened.v1"
    topic: ClassVar[str] = ASSESSMENTS_TOPIC

    assessment_id: str
    request_id: str
    desk_code: str
    partners: list[str]
    scope: str
    opened_by: str
    opened_at: datetime

    def key(self) -> str:
        return self.assessment_id


class AssessmentStatusChanged(Event):
    type: ClassVar[str] = "onedoor.assessment.status-changed.v1"
    topic: ClassVar[str] = ASSESSMENTS_TOPIC

    assessment_id: str
    request_id: str
    from_status: str
    to_status: str
    actor: str
    reason: str | None = None
    changed_at: datetime

    def key(self) -> str:
        return self.assessment_id


class TaskLead(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    task: str
    lead: str = Field(description="The organisation leading it: a partner code or UN")


class AssessmentConcluded(Event):
    """The conclusion of a joint assessment; it flows back to the request."""

    type: ClassVar[str] = "onedoor.assessment.concluded.v1"
    topic: ClassVar[str] = ASSESSMENTS_TOPIC

    assessment_id: str
    request_id: str
    partners: list[str]
    summary: str
    recommended_products: list[str]
    concluded_on: date
    division_of_labour: list[TaskLead] = Field(default_factory=list)
    concluded_by: str | None = None

    def key(self) -> str:
        return self.assessment_id


class RequestCommentAdded(Event):
    """A comment the client may read was added to its request (internal notes are never
    published: they stay at the desk)."""

    type: ClassVar[str] = "onedoor.request.comment-added.v1"
    topic: ClassVar[str] = REQUESTS_TOPIC

    request_id: str
    comment_id: str
    client_code: str
    desk_code: str
    author: str
    author_role: str
    added_at: datetime

    def key(self) -> str:
        return self.request_id


class RequestApprovalRequested(Event):
    """A new request met approval rules: it waits in awaiting_approval for its desk
    chief (or an HQ admin) before the desk may route it."""

    type: ClassVar[str] = "onedoor.request.approval-requested.v1"
    topic: ClassVar[str] = REQUESTS_TOPIC

    request_id: str
    approval_id: str
    client_code: str
    desk_code: str
    urgency: Urgency
    rules: list[str] = Field(description="The names of the rules the request met")
    requested_at: datetime

    def key(self) -> str:
        return self.request_id


class RequestApprovalDecided(Event):
    """An approver approved a request (it goes on to routing) or rejected it (it is
    closed as rejected, the comment its reason)."""

    type: ClassVar[str] = "onedoor.request.approval-decided.v1"
    topic: ClassVar[str] = REQUESTS_TOPIC

    request_id: str
    approval_id: str
    client_code: str
    desk_code: str
    decision: ApprovalDecision
    comment: str | None = None
    decided_by: str
    decided_at: datetime

    def key(self) -> str:
        return self.request_id


class RequestSlaAtRisk(Event):
    """An SLA clock is about to run out (the warning before RequestSlaBreached)."""

    type: ClassVar[str] = "onedoor.request.sla-at-risk.v1"
    topic: ClassVar[str] = REQUESTS_TOPIC

    request_id: str
    client_code: str
    desk_code: str
    clock: SlaClock
    urgency: Urgency
    due_at: datetime
    warned_at: datetime
    escalated_to: str = Field(description="Who is warned besides the owner, e.g. the desk chief")

    def key(self) -> str:
        return self.request_id


class AssessmentTaskAssigned(Event):
    """A task of a joint assessment was given to a partner to lead."""

    type: ClassVar[str] = "onedoor.assessment.task-assigned.v1"
    topic: ClassVar[str] = ASSESSMENTS_TOPIC

    assessment_id: str
    task_id: str
    request_id: str
    title: str
    lead: str = Field(description="The partner code leading the task")
    due_on: date | None = None
    assigned_by: str
    assigned_at: datetime

    def key(self) -> str:
        return self.assessment_id


class NotificationRecorded(Event):
    """A notification was recorded for an audience (the gateway's live feed pushes it to
    the people of that audience, who read it through the notifications service)."""

    type: ClassVar[str] = "onedoor.notification.recorded.v1"
    topic: ClassVar[str] = NOTIFICATIONS_TOPIC

    notification_id: str
    audience: str = Field(description="Who it is for, e.g. client:MINUSMA or desk:AFRICA_II:amina")
    kind: NotificationKind
    request_id: str | None = None
    recorded_at: datetime

    def key(self) -> str:
        return self.notification_id


class RequestReopened(Event):
    """The client reopened its delivered or closed request (within the desks' window):
    the request is back at its desk. Its move is a RequestStatusChanged as well."""

    type: ClassVar[str] = "onedoor.request.reopened.v1"
    topic: ClassVar[str] = REQUESTS_TOPIC

    request_id: str
    client_code: str
    desk_code: str
    owner: str | None = Field(default=None, description="The desk officer who owns the request")
    from_status: str
    reason: str
    reopened_by: str
    reopened_at: datetime

    def key(self) -> str:
        return self.request_id


class RequestDisputed(Event):
    """The client disputed the delivery of its request, with a reason (within the
    desks' window): the request is back at its desk. Its move is a RequestStatusChanged
    as well."""

    type: ClassVar[str] = "onedoor.request.disputed.v1"
    topic: ClassVar[str] = REQUESTS_TOPIC

    request_id: str
    client_code: str
    desk_code: str
    owner: str | None = Field(default=None, description="The desk officer who owns the request")
    from_status: str
    reason: str
    disputed_by: str
    disputed_at: datetime

    def key(self) -> str:
        return self.request_id


class RequestChildLinked(Event):
    """A desk split a programme request: a child linked under its parent (a new request
    made from the parent, or an existing request of the same client)."""

    type: ClassVar[str] = "onedoor.request.child-linked.v1"
    topic: ClassVar[str] = REQUESTS_TOPIC

    request_id: str = Field(description="The parent")
    child_id: str
    client_code: str = Field(description="The client of both: links never cross clients")
    desk_code: str
    created: bool = Field(description="The child was made from the parent (not linked)")
    linked_by: str
    linked_at: datetime

    def key(self) -> str:
        return self.request_id


class RequestChildUnlinked(Event):
    """A desk took a child out of its parent: both go on as requests of their own."""

    type: ClassVar[str] = "onedoor.request.child-unlinked.v1"
    topic: ClassVar[str] = REQUESTS_TOPIC

    request_id: str = Field(description="The parent")
    child_id: str
    client_code: str
    desk_code: str
    unlinked_by: str
    unlinked_at: datetime

    def key(self) -> str:
        return self.request_id


class RequestStatusDerivationChanged(Event):
    """A desk turned on (or off) the parent's status derived from its children."""

    type: ClassVar[str] = "onedoor.request.status-derivation-changed.v1"
    topic: ClassVar[str] = REQUESTS_TOPIC

    request_id: str
    client_code: str
    desk_code: str
    derived: bool
    changed_by: str
    changed_at: datetime

    def key(self) -> str:
        return self.request_id


class RequestMerged(Event):
    """A desk merged a duplicate into the request it duplicates: the duplicate is closed
    as merged (its move is a RequestStatusChanged as well), its conversation shown from
    the survivor to those who may see it. No title or description: the two requests may
    be two clients'."""

    type: ClassVar[str] = "onedoor.request.merged.v1"
    topic: ClassVar[str] = REQUESTS_TOPIC

    request_id: str = Field(description="The duplicate, now merged")
    survivor_id: str = Field(description="The request it was merged into")
    client_code: str
    survivor_client_code: str
    desk_code: str
    merged_by: str
    merged_at: datetime

    def key(self) -> str:
        return self.request_id


class RequestAttachmentAdded(Event):
    """A document the client may see was attached to its request: uploaded (and found
    clean by the scanner) or by reference. Metadata only, never the file's bytes;
    internal desk documents are never published."""

    type: ClassVar[str] = "onedoor.request.attachment-added.v1"
    topic: ClassVar[str] = REQUESTS_TOPIC

    request_id: str
    attachment_id: str
    client_code: str
    desk_code: str
    name: str
    media_type: str
    size_bytes: int
    uploaded: bool = Field(description="Uploaded to the door, rather than a reference")
    sha256: str | None = Field(default=None, description="The uploaded file's SHA-256")
    added_by: str
    added_at: datetime

    def key(self) -> str:
        return self.request_id


def _all_event_models() -> list[type[Event]]:
    return [
        ProductCataloged,
        RequestSubmitted,
        RequestStatusChanged,
        RequestAssigned,
        RequestSlaBreached,
        RequestOverlapFlagged,
        UnmetDemandRecorded,
        RequestRouted,
        EngagementProposed,
        EngagementAccepted,
        EngagementDeclined,
        EngagementStatusChanged,
        EngagementDelivered,
        LessonPublished,
        LessonStatusChanged,
        AssessmentOpened,
        AssessmentStatusChanged,
        AssessmentConcluded,
        RequestCommentAdded,
        RequestSlaAtRisk,
        AssessmentTaskAssigned,
        NotificationRecorded,
        RequestApprovalRequested,
        RequestApprovalDecided,
        RequestReopened,
        RequestDisputed,
        RequestChildLinked,
        RequestChildUnlinked,
        RequestStatusDerivationChanged,
        RequestMerged,
        RequestAttachmentAdded,
    ]


EVENT_TYPES: dict[str, type[Event]] = {model.type: model for model in _all_event_models()}


def event_model(event_type: str) -> type[Event] | None:
    return EVENT_TYPES.get(event_type)
