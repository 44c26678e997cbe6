"""What the partnerships service answers: joint assessments with their tasks and history,
partners, frameworks and the webhook delivery log."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from contracts.enums import AssessmentStatus, DeliveryStatus, TaskStatus


class TaskPublic(BaseModel):
    """One piece of the division of labour and who leads it."""

    id: str
    assessment_id: str
    title: str
    lead: str = Field(description="A partner code, or UN")
    due_on: date | None
    status: TaskStatus
    decline_reason: str | None
    findings: str | None
    answered_by: str | None
    updated_at: datetime
    created_at: datetime


class AssessmentPublic(BaseModel):
    id: str
    request_id: str
    desk_code: str
    partners: list[str]
    scope: str
    framework_id: str | None
    status: AssessmentStatus
    due_on: date | None
    opened_by: str
    summary: str | None
    recommended_products: list[str]
    concluded_on: date | None
    concluded_by: str | None
    cancel_reason: str | None
    created_at: datetime
    updated_at: datetime
    version: int
    tasks: list[TaskPublic]
    client_code: str


class EntryPublic(BaseModel):
    at: datetime
    kind: str
    actor: str
    summary: str


class PartnerPublic(BaseModel):
    code: str
    name: str
    webhook_url: str | None
    active: bool


class PartnerSecret(BaseModel):
    """Shown once: the shared secret that signs the partner's webhooks."""

    code: str
    webhook_secret: str = Field(description="Shown once: give it to the partner's system")


class FrameworkPublic(BaseModel):
    id: str
    name: str
    partners: list[str]
    scope: str
    valid_from: date
    valid_to: date
    version: int
    updated_at: datetime


class AttemptPublic(BaseModel):
    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: float


class DeliveryPublic(BaseModel):
    id: str
    partner_code: str
    assessment_id: str
    event: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    log: list[AttemptPublic]
