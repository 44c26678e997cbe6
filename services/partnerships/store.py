"""Persistence steps shared by the routes and the handlers of the partnerships service.

Each function works inside the caller's transaction and never commits. Tenancy is
here, as SQL conditions: a partner sees only the assessments it is invited to, a
desk officer its desk's, a provider those of requests its product declined for want
of a partner, a client those of its own requests.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, exists, false, select, true
from sqlmodel import col

from contracts.enums import AssessmentStatus, TaskStatus
from contracts.events import AssessmentStatusChanged
from contracts.http.partnerships.responses import AssessmentPublic, TaskPublic
from services.partnerships.domain import TaskView, transition
from services.partnerships.models import (
    AssessmentEntry,
    AssessmentPartner,
    AssessmentTask,
    JointAssessment,
    Partner,
    PartnerReferral,
    WebhookDelivery,
)
from shared.auth import Principal, Role
from shared.db import AsyncSession
from shared.errors import DomainError
from shared.messaging import Publisher
from shared.queries import grouped
from shared.sharing import Audience, RecordKind, Viewer, shown_to


def referred_to(products: Sequence[str]) -> ColumnElement[bool]:
    """Requests one of these products declined because a partner is needed."""
    return exists().where(
        col(PartnerReferral.request_id) == col(JointAssessment.request_id),
        col(PartnerReferral.product_code).in_(products),
    )


def visibility(principal: Principal) -> ColumnElement[bool]:
    """Which assessments a caller may see, as a SQL condition."""
    if principal.role in (Role.admin, Role.hq_analyst):
        return true()
    if principal.role is Role.desk_officer:
        return col(JointAssessment.desk_code) == principal.desk
    if principal.role is Role.partner:
        return exists().where(
            col(AssessmentPartner.assessment_id) == col(JointAssessment.id),
            col(AssessmentPartner.partner_code) == principal.partner,
        )
    if principal.role is Role.provider:
        return referred_to(principal.products)
    if principal.role is Role.client:
        return col(JointAssessment.client_code) == principal.client
    return false()


def management(principal: Principal) -> ColumnElement[bool]:
    """Which assessments a caller may steer (invite, add tasks, activate, conclude, cancel):
    the UN side that opened it, never a partner or the client."""
    if principal.role is Role.admin:
        return true()
    if principal.role is Role.desk_officer:
        return col(JointAssessment.desk_code) == principal.desk
    if principal.role is Role.provider:
        return referred_to(principal.products)
    return false()


async def visible_assessment(
    session: AsyncSession, principal: Principal, assessment_id: str
) -> JointAssessment:
    """The assessment if the caller may see it; otherwise the same not-found as a missing
    one, so other tenants' ids cannot be probed. (Commands lock it through
    shared/commands.py.)"""
    query = select(JointAssessment).where(
        col(JointAssessment.id) == assessment_id, visibility(principal)
    )
    assessment = (await session.scalars(query)).first()
    if assessment is None:
        raise DomainError("ASSESSMENT_NOT_FOUND", f"no assessment {assessment_id}")
    return assessment


async def check_steering(session: AsyncSession, principal: Principal, assessment_id: str) -> None:
    """Refuse a caller who may see the assessment but not steer it."""
    steerable = await session.scalar(
        select(col(JointAssessment.id)).where(
            col(JointAssessment.id) == assessment_id, management(principal)
        )
    )
    if steerable is None:
        raise DomainError("FORBIDDEN", "only the UN side of the assessment may do this")


async def partners_of(session: AsyncSession, assessment_ids: Sequence[str]) -> dict[str, list[str]]:
    rows = await session.scalars(
        select(AssessmentPartner)
        .where(col(AssessmentPartner.assessment_id).in_(assessment_ids))
        .order_by(col(AssessmentPartner.invited_at), col(AssessmentPartner.partner_code))
    )
    partners = grouped(rows, lambda row: row.assessment_id, assessment_ids)
    return {key: [row.partner_code for row in group] for key, group in partners.items()}


async def tasks_of(
    session: AsyncSession, assessment_ids: Sequence[str]
) -> dict[str, list[AssessmentTask]]:
    rows = await session.scalars(
        select(AssessmentTask)
        .where(col(AssessmentTask.assessment_id).in_(assessment_ids))
        .order_by(col(AssessmentTask.position))
    )
    return grouped(rows, lambda row: row.assessment_id, assessment_ids)


def task_views(tasks: Sequence[AssessmentTask]) -> list[TaskView]:
    return [TaskView(lead=t.lead, status=TaskStatus(t.status), title=t.title) for t in tasks]


def record(
    session: AsyncSession,
    assessment: JointAssessment,
    *,
    at: datetime,
    kind: str,
    actor: str,
    summary: str,
) -> None:
    """One line of the assessment's history (the command bumped its version)."""
    session.add(
        AssessmentEntry(assessment_id=assessment.id, at=at, kind=kind, actor=actor, summary=summary)
    )
    assessment.updated_at = at
    session.add(assessment)


def change_status(
    session: AsyncSession,
    publisher: Publisher,
    assessment: JointAssessment,
    target: AssessmentStatus,
    *,
    at: datetime,
    actor: str,
    reason: str | None = None,
) -> None:
    current = AssessmentStatus(assessment.status)
    assessment.status = transition(current, target).value
    publisher.publish(
        AssessmentStatusChanged(
            assessment_id=assessment.id,
            request_id=assessment.request_id,
            from_status=current.value,
            to_status=target.value,
            actor=actor,
            reason=reason,
            changed_at=at,
        )
    )
    summary = f"{current.value} → {target.value}" + (f": {reason}" if reason else "")
    record(session, assessment, at=at, kind="status_changed", actor=actor, summary=summary)


def assessment_public(
    assessment: JointAssessment, partners: list[str], tasks: Sequence[AssessmentTask]
) -> AssessmentPublic:
    """An assessment with its partners and tasks, before any audience's projection."""
    return AssessmentPublic(
        **assessment.model_dump(),
        partners=partners,
        tasks=[TaskPublic(**task.model_dump()) for task in tasks],
    )


def partner_view(
    assessment: JointAssessment, partners: list[str], tasks: Sequence[AssessmentTask]
) -> dict[str, Any]:
    """What a partner's system is told about an assessment: exactly what a partner reads
    of it through the door (shared/sharing.py), never a field outside the partners'
    policy."""
    public = assessment_public(assessment, partners, tasks)
    shown = shown_to(Viewer(Audience.partner), RecordKind.assessment, public)
    return shown.model_dump(mode="json")


async def notify(
    session: AsyncSession,
    assessment: JointAssessment,
    event: str,
    *,
    to: Sequence[str],
    at: datetime,
) -> list[WebhookDelivery]:
    """Queue one signed notification per partner in `to` that has a webhook, in the
    caller's transaction (the webhook outbox). Partners without a URL are told nothing:
    they read the assessment through the gateway."""
    await session.flush()
    receivers = (
        await session.scalars(
            select(Partner).where(
                col(Partner.code).in_(to),
                col(Partner.active).is_(True),
                col(Partner.webhook_url).is_not(None),
            )
        )
    ).all()
    if not receivers:
        return []
    partners = (await partners_of(session, [assessment.id]))[assessment.id]
    tasks = (await tasks_of(session, [assessment.id]))[assessment.id]
    state = partner_view(assessment, partners, tasks)
    deliveries = []
    for partner in receivers:
        delivery_id = str(uuid.uuid4())
        body = {
            "delivery_id": delivery_id,
            "event": event,
            "occurred_at": at.isoformat(),
            "partner": partner.code,
            "assessment": state,
        }
        delivery = WebhookDelivery(
            id=delivery_id,
            partner_code=partner.code,
            assessment_id=assessment.id,
            event=event,
            body=json.dumps(body, separators=(",", ":"), sort_keys=True),
            status="pending",
            next_attempt_at=at,
            created_at=at,
        )
        session.add(delivery)
        deliveries.append(delivery)
    return deliveries
