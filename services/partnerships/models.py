"""Tables owned by the partnerships service."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Date, Index, Text
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from shared.db import JSONColumn, UTCDateTime


class PartnershipsTable(SQLModel, registry=registry()):
    """Base of this database's tables: its own metadata, so each service's schema stays
    its own even when several services share one test process."""


class Partner(PartnershipsTable, table=True):
    """An organisation the UN assesses jointly with, and how to notify its systems."""

    code: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=200)
    webhook_url: str | None = Field(default=None, max_length=500)
    # HMAC key for outbound webhooks; generated at seeding, never returned by the API
    # except once, to the admin who rotates it.
    webhook_secret: str = Field(max_length=200)
    active: bool = True


class Framework(PartnershipsTable, table=True):
    """A standing agreement (e.g. the UN-AU Joint Framework) that assessments may fall under."""

    id: str = Field(primary_key=True, max_length=36)
    name: str = Field(max_length=200)
    partners: list[str] = Field(sa_type=JSONColumn)
    scope: str = Field(sa_column=Column(Text, nullable=False))
    valid_from: date = Field(sa_type=Date)
    valid_to: date = Field(sa_type=Date)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    version: int = 1


class KnownRequest(PartnershipsTable, table=True):
    """The service's copy of a submitted request, kept from RequestSubmitted: enough to
    decide who may open an assessment for it and who may read it."""

    __tablename__ = "known_request"

    id: str = Field(primary_key=True, max_length=36)
    client_code: str = Field(index=True, max_length=40)
    desk_code: str = Field(index=True, max_length=40)
    country: str = Field(max_length=3)
    region: str = Field(max_length=120)
    title: str = Field(max_length=200)


class PartnerReferral(PartnershipsTable, table=True):
    """A provider declined an engagement because a partner is needed: that provider's
    product officers may then open an assessment for the request."""

    __tablename__ = "partner_referral"

    engagement_id: str = Field(primary_key=True, max_length=36)
    request_id: str = Field(index=True, max_length=36)
    product_code: str = Field(max_length=64)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    declined_by: str = Field(max_length=300)
    declined_at: datetime = Field(sa_type=UTCDateTime)


class JointAssessment(PartnershipsTable, table=True):
    __tablename__ = "joint_assessment"
    # An opener's retried proposal finds the assessment its first attempt opened.
    __table_args__ = (
        Index("uq_joint_assessment_idempotency", "opened_by", "idempotency_key", unique=True),
    )

    id: str = Field(primary_key=True, max_length=36)
    request_id: str = Field(index=True, max_length=36)
    desk_code: str = Field(index=True, max_length=40)
    client_code: str = Field(max_length=40)
    scope: str = Field(sa_column=Column(Text, nullable=False))
    framework_id: str | None = Field(default=None, foreign_key="framework.id", max_length=36)
    status: str = Field(index=True, max_length=20)  # proposed | active | concluded | cancelled
    due_on: date | None = Field(default=None, sa_type=Date)
    opened_by: str = Field(max_length=300)
    idempotency_key: str | None = Field(default=None, max_length=100)
    # Set on conclusion.
    summary: str | None = Field(default=None, sa_column=Column(Text))
    recommended_products: list[str] = Field(default_factory=list, sa_type=JSONColumn)
    concluded_on: date | None = Field(default=None, sa_type=Date)
    concluded_by: str | None = Field(default=None, max_length=300)
    # Set on cancellation.
    cancel_reason: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    version: int = 1


class AssessmentPartner(PartnershipsTable, table=True):
    """A partner invited to an assessment: what a partner's tenancy is checked against."""

    __tablename__ = "assessment_partner"

    assessment_id: str = Field(foreign_key="joint_assessment.id", primary_key=True, max_length=36)
    partner_code: str = Field(foreign_key="partner.code", primary_key=True, max_length=40)
    invited_at: datetime = Field(sa_type=UTCDateTime)


class AssessmentTask(PartnershipsTable, table=True):
    """One piece of the division of labour: what is to be done, and who leads it."""

    __tablename__ = "assessment_task"

    id: str = Field(primary_key=True, max_length=36)
    assessment_id: str = Field(foreign_key="joint_assessment.id", index=True, max_length=36)
    position: int  # order within the assessment, as the division of labour was written
    title: str = Field(max_length=200)
    lead: str = Field(index=True, max_length=40)  # a partner code, or UN
    due_on: date | None = Field(default=None, sa_type=Date)
    status: str = Field(max_length=20)  # proposed | accepted | declined | done
    decline_reason: str | None = Field(default=None, sa_column=Column(Text))
    findings: str | None = Field(default=None, sa_column=Column(Text))
    answered_by: str | None = Field(default=None, max_length=300)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class AssessmentEntry(PartnershipsTable, table=True):
    """The assessment's own history: every move, including task-level ones that have no
    event of their own on the broker."""

    __tablename__ = "assessment_entry"

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: str = Field(foreign_key="joint_assessment.id", index=True, max_length=36)
    at: datetime = Field(sa_type=UTCDateTime)
    kind: str = Field(max_length=60)
    actor: str = Field(max_length=300)
    summary: str = Field(sa_column=Column(Text, nullable=False))


class WebhookDelivery(PartnershipsTable, table=True):
    """One notification to one partner's system. Written in the same transaction as the
    change it reports, so this row is the outbox of the webhooks: nothing is lost if the
    process dies before sending."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (Index("ix_webhook_delivery_due", "status", "next_attempt_at"),)

    id: str = Field(primary_key=True, max_length=36)
    partner_code: str = Field(foreign_key="partner.code", index=True, max_length=40)
    assessment_id: str = Field(index=True, max_length=36)
    event: str = Field(max_length=60)
    # The exact body that is signed and sent, snapshotted when the change happened.
    body: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(max_length=20)  # pending | delivered | dead
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(sa_type=UTCDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class WebhookAttempt(PartnershipsTable, table=True):
    """The delivery log: every POST, with what came back and how long it took."""

    __tablename__ = "webhook_attempt"

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: str = Field(foreign_key="webhook_delivery.id", index=True, max_length=36)
    attempted_at: datetime = Field(sa_type=UTCDateTime)
    status_code: int | None = None
    error: str | None = Field(default=None, sa_column=Column(Text))
    duration_ms: float
