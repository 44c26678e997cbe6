"""Query routes of joint assessments: the list, one assessment, its history, overdue tasks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select
from sqlmodel import col

from contracts.enums import AssessmentStatus, TaskStatus
from contracts.http.partnerships.responses import AssessmentPublic, EntryPublic, TaskPublic
from services.partnerships.models import (
    AssessmentEntry,
    AssessmentPartner,
    AssessmentTask,
    JointAssessment,
)
from services.partnerships.store import visibility, visible_assessment
from services.partnerships.views import _one, _public
from shared.auth import CurrentPrincipal, Role
from shared.service import ClockDep, SessionDep

router = APIRouter(tags=["assessments"])


@router.get("/assessments", response_model=list[AssessmentPublic])
async def list_assessments(
    principal: CurrentPrincipal,
    session: SessionDep,
    request_id: Annotated[list[str] | None, Query(max_length=200)] = None,
    partner: Annotated[str | None, Query(max_length=40)] = None,
    status_in: Annotated[
        list[AssessmentStatus] | None, Query(alias="status", max_length=20)
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AssessmentPublic]:
    """Assessments the caller may see, newest first, by request, partner and status."""
    query = select(JointAssessment).where(visibility(principal))
    if request_id:
        query = query.where(col(JointAssessment.request_id).in_(request_id))
    if partner:
        query = query.where(
            col(JointAssessment.id).in_(
                select(col(AssessmentPartner.assessment_id)).where(
                    col(AssessmentPartner.partner_code) == partner
                )
            )
        )
    if status_in:
        query = query.where(col(JointAssessment.status).in_([s.value for s in status_in]))
    query = query.order_by(col(JointAssessment.created_at).desc(), col(JointAssessment.id)).limit(
        limit
    )
    async with session.begin():
        rows = (await session.scalars(query)).all()
        return await _public(session, rows, principal)


@router.get("/assessments/{assessment_id}", response_model=AssessmentPublic)
async def get_assessment(
    assessment_id: str, principal: CurrentPrincipal, session: SessionDep
) -> AssessmentPublic:
    async with session.begin():
        return await _one(
            session, await visible_assessment(session, principal, assessment_id), principal
        )


@router.get("/assessments/{assessment_id}/history", response_model=list[EntryPublic])
async def get_history(
    assessment_id: str, principal: CurrentPrincipal, session: SessionDep
) -> list[EntryPublic]:
    async with session.begin():
        await visible_assessment(session, principal, assessment_id)
        entries = (
            await session.scalars(
                select(AssessmentEntry)
                .where(col(AssessmentEntry.assessment_id) == assessment_id)
                .order_by(col(AssessmentEntry.at), col(AssessmentEntry.id))
            )
        ).all()
    return [EntryPublic(**entry.model_dump()) for entry in entries]


@router.get("/tasks/overdue", response_model=list[TaskPublic], tags=["tasks"])
async def overdue_tasks(
    principal: CurrentPrincipal,
    session: SessionDep,
    clock: ClockDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[TaskPublic]:
    """Tasks past their due date and not yet done, in open assessments the caller may see;
    a partner sees the ones it leads."""
    today = clock.now().date()
    query = (
        select(AssessmentTask)
        .join(JointAssessment, col(JointAssessment.id) == col(AssessmentTask.assessment_id))
        .where(
            visibility(principal),
            col(JointAssessment.status).in_([AssessmentStatus.proposed, AssessmentStatus.active]),
            col(AssessmentTask.status).in_([TaskStatus.proposed, TaskStatus.accepted]),
            col(AssessmentTask.due_on) < today,
        )
        .order_by(col(AssessmentTask.due_on), col(AssessmentTask.id))
        .limit(limit)
    )
    if principal.role is Role.partner:
        query = query.where(col(AssessmentTask.lead) == principal.partner)
    async with session.begin():
        tasks = (await session.scalars(query)).all()
    return [TaskPublic(**task.model_dump()) for task in tasks]
