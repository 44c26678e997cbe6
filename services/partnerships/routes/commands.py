"""Command routes of joint assessments: open, invite, divide the labour, answer, conclude.

Every change runs through the command pipeline (shared/commands.py): one transaction
in which the assessment is locked, the version its caller saw checked and bumped, and
its new state, a line of its history, the broker event (outbox) and the partners'
webhook notifications commit together.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, status
from sqlalchemy import select
from sqlmodel import col

from contracts.enums import AssessmentStatus, TaskStatus
from contracts.events import (
    AssessmentConcluded,
    AssessmentOpened,
    AssessmentTaskAssigned,
    TaskLead,
)
from contracts.http.common import ExpectedVersion
from contracts.http.partnerships.requests import (
    AssessmentCreate,
    CancelBody,
    ConcludeBody,
    DeclineBody,
    FindingsBody,
    InviteBody,
    TaskBody,
    TaskCreate,
)
from contracts.http.partnerships.responses import AssessmentPublic
from services.partnerships import domain
from services.partnerships.domain import Action, FrameworkWindow
from services.partnerships.models import (
    AssessmentPartner,
    AssessmentTask,
    Framework,
    JointAssessment,
    KnownRequest,
    Partner,
    PartnerReferral,
)
from services.partnerships.store import (
    change_status,
    check_steering,
    notify,
    partners_of,
    record,
    task_views,
    tasks_of,
    visibility,
)
from services.partnerships.views import _one, presenter
from services.partnerships.workers import Doorbell
from shared.auth import CurrentPrincipal, Principal, Role
from shared.commands import Aggregate, Change, Commands, CommandsDep, UnitOfWork
from shared.db import AsyncSession
from shared.errors import DomainError
from shared.idempotency import IdempotencyKeyDep, create_once

router = APIRouter(tags=["assessments"])
DoorbellDep = Annotated[Doorbell, Depends(Doorbell)]

ASSESSMENT = Aggregate(JointAssessment, name="the assessment", not_found="ASSESSMENT_NOT_FOUND")


# --- opening -------------------------------------------------------------------------


@router.post("/assessments", status_code=status.HTTP_201_CREATED, response_model=AssessmentPublic)
async def open_assessment(
    body: AssessmentCreate,
    principal: CurrentPrincipal,
    commands: CommandsDep,
    doorbell: DoorbellDep,
    idempotency_key: IdempotencyKeyDep = None,
) -> AssessmentPublic:
    """Propose a joint assessment for a request: by its desk, or by a provider whose
    product declined the request because a partner is needed. A retry with the same
    `Idempotency-Key` answers with the assessment the first attempt opened."""
    principal.require(Role.desk_officer, Role.provider, Role.admin)

    async def find(key: str) -> AssessmentPublic | None:
        async with commands.begin() as work:
            session = work.session
            opened = await session.scalar(
                select(JointAssessment).where(
                    col(JointAssessment.opened_by) == principal.actor,
                    col(JointAssessment.idempotency_key) == key,
                )
            )
            return await _one(session, opened, principal) if opened else None

    async def create() -> AssessmentPublic:
        async with commands.begin() as work:
            return await _open(body, principal, work, doorbell, idempotency_key)

    return await create_once(idempotency_key, find, create)


async def _open(
    body: AssessmentCreate,
    principal: Principal,
    work: UnitOfWork,
    doorbell: Doorbell,
    idempotency_key: str | None,
) -> AssessmentPublic:
    session, now = work.session, work.now
    request = await _openable_request(session, principal, body.request_id)
    framework = await _framework(session, body.framework_id)
    known = (
        await session.scalars(select(col(Partner.code)).where(col(Partner.active).is_(True)))
    ).all()
    partners = domain.check_partners(body.partners, known, framework)
    today = now.date()
    domain.check_due(body.due_on, today)
    if framework is not None:
        domain.check_framework(framework, today, body.due_on)
    assessment = JointAssessment(
        id=str(uuid.uuid4()),
        request_id=request.id,
        desk_code=request.desk_code,
        client_code=request.client_code,
        scope=domain.check_text(body.scope, "scope", domain.MAX_SCOPE),
        framework_id=body.framework_id,
        status=AssessmentStatus.proposed.value,
        due_on=body.due_on,
        opened_by=principal.actor,
        idempotency_key=idempotency_key,
        created_at=now,
        updated_at=now,
        version=1,
    )
    session.add(assessment)
    await session.flush()
    for code in partners:
        session.add(
            AssessmentPartner(assessment_id=assessment.id, partner_code=code, invited_at=now)
        )
    tasks = [
        _add_task(session, assessment, partners, task, position, today, now)
        for position, task in enumerate(body.tasks)
    ]
    work.publish(
        AssessmentOpened(
            assessment_id=assessment.id,
            request_id=request.id,
            desk_code=request.desk_code,
            partners=partners,
            scope=assessment.scope,
            opened_by=principal.actor,
            opened_at=now,
        )
    )
    for task in tasks:  # after the opening, so consumers meet the assessment first
        if task.lead != domain.UN:
            work.publish(_task_assigned(assessment, task, principal.actor))
    record(
        session,
        assessment,
        at=now,
        kind="opened",
        actor=principal.actor,
        summary=f"proposed with {', '.join(partners)} ({len(body.tasks)} tasks)",
    )
    doorbell.ring(await notify(session, assessment, "assessment.invited", to=partners, at=now))
    return await _one(session, assessment, principal)


async def _openable_request(
    session: AsyncSession, principal: Principal, request_id: str
) -> KnownRequest:
    request = await session.get(KnownRequest, request_id)
    if request is None:
        raise DomainError("REQUEST_NOT_FOUND", f"no request {request_id}")
    if principal.role is Role.desk_officer and request.desk_code != principal.desk:
        raise DomainError("REQUEST_NOT_FOUND", f"no request {request_id}")
    if principal.role is Role.provider:
        referral = await session.scalar(
            select(col(PartnerReferral.engagement_id)).where(
                col(PartnerReferral.request_id) == request_id,
                col(PartnerReferral.product_code).in_(principal.products),
            )
        )
        if referral is None:
            raise DomainError(
                "FORBIDDEN",
                "a provider opens an assessment only for a request it declined as needing a partner",
            )
    return request


async def _framework(session: AsyncSession, framework_id: str | None) -> FrameworkWindow | None:
    if framework_id is None:
        return None
    framework = await session.get(Framework, framework_id)
    if framework is None:
        raise DomainError("NOT_FOUND", f"no framework {framework_id}", field="framework_id")
    return FrameworkWindow(
        framework.name, frozenset(framework.partners), framework.valid_from, framework.valid_to
    )


def _add_task(
    session: AsyncSession,
    assessment: JointAssessment,
    partners: Sequence[str],
    body: TaskCreate,
    position: int,
    today: date,
    now: datetime,
) -> AssessmentTask:
    domain.check_task_lead(body.lead, partners)
    domain.check_due(body.due_on, today)
    if assessment.due_on and body.due_on and body.due_on > assessment.due_on:
        raise DomainError(
            "BAD_USER_INPUT",
            f"the task is due after the assessment ({assessment.due_on})",
            field="due_on",
        )
    task = AssessmentTask(
        id=str(uuid.uuid4()),
        assessment_id=assessment.id,
        position=position,
        title=domain.check_text(body.title, "title", domain.MAX_TITLE),
        lead=body.lead,
        due_on=body.due_on,
        status=domain.initial_task_status(body.lead).value,
        created_at=now,
        updated_at=now,
    )
    session.add(task)
    return task


def _task_assigned(
    assessment: JointAssessment, task: AssessmentTask, actor: str
) -> AssessmentTaskAssigned:
    return AssessmentTaskAssigned(
        assessment_id=assessment.id,
        task_id=task.id,
        request_id=assessment.request_id,
        title=task.title,
        lead=task.lead,
        due_on=task.due_on,
        assigned_by=actor,
        assigned_at=task.created_at,
    )


# --- steering (the UN side) ------------------------------------------------------------


def _steer(
    commands: Commands, principal: Principal, assessment_id: str, body: ExpectedVersion
) -> AbstractAsyncContextManager[Change[JointAssessment]]:
    """A change only the UN side of the assessment makes; others who may see it are
    refused (FORBIDDEN), others still get the same not-found as for a missing one."""

    async def may_steer(assessment: JointAssessment) -> None:
        await check_steering(commands.session, principal, assessment.id)

    return commands.change(
        ASSESSMENT,
        assessment_id,
        visibility(principal),
        expected_version=body.expected_version,
        authorise=may_steer,
    )


@router.post("/assessments/{assessment_id}/partners", response_model=AssessmentPublic)
async def invite_partner(
    assessment_id: str,
    body: InviteBody,
    principal: CurrentPrincipal,
    commands: CommandsDep,
    doorbell: DoorbellDep,
) -> AssessmentPublic:
    async with _steer(commands, principal, assessment_id, body) as change:
        assessment, session, now = change.aggregate, change.session, change.now
        domain.check_action(Action.invite, AssessmentStatus(assessment.status))
        invited = (await partners_of(session, [assessment.id]))[assessment.id]
        if body.partner in invited:
            raise DomainError("CONFLICT", f"{body.partner} is already invited")
        framework = await _framework(session, assessment.framework_id)
        known = (
            await session.scalars(select(col(Partner.code)).where(col(Partner.active).is_(True)))
        ).all()
        domain.check_partners([body.partner], known, framework)
        session.add(
            AssessmentPartner(
                assessment_id=assessment.id, partner_code=body.partner, invited_at=now
            )
        )
        record(
            session,
            assessment,
            at=now,
            kind="partner_invited",
            actor=principal.actor,
            summary=f"{body.partner} invited",
        )
        doorbell.ring(
            await notify(session, assessment, "assessment.invited", to=[body.partner], at=now)
        )
        return await change.present(presenter(principal))


@router.post("/assessments/{assessment_id}/tasks", response_model=AssessmentPublic)
async def add_task(
    assessment_id: str,
    body: TaskBody,
    principal: CurrentPrincipal,
    commands: CommandsDep,
    doorbell: DoorbellDep,
) -> AssessmentPublic:
    async with _steer(commands, principal, assessment_id, body) as change:
        assessment, session, now = change.aggregate, change.session, change.now
        domain.check_action(Action.add_task, AssessmentStatus(assessment.status))
        partners = (await partners_of(session, [assessment.id]))[assessment.id]
        existing = (await tasks_of(session, [assessment.id]))[assessment.id]
        task = _add_task(session, assessment, partners, body, len(existing), now.date(), now)
        record(
            session,
            assessment,
            at=now,
            kind="task_added",
            actor=principal.actor,
            summary=f"task '{task.title}' led by {task.lead}",
        )
        if task.lead != domain.UN:
            change.publish(_task_assigned(assessment, task, principal.actor))
            doorbell.ring(
                await notify(session, assessment, "task.proposed", to=[task.lead], at=now)
            )
        return await change.present(presenter(principal))


@router.post("/assessments/{assessment_id}/activate", response_model=AssessmentPublic)
async def activate(
    assessment_id: str,
    body: ExpectedVersion,
    principal: CurrentPrincipal,
    commands: CommandsDep,
    doorbell: DoorbellDep,
) -> AssessmentPublic:
    """Start the work once the division of labour is agreed."""
    async with _steer(commands, principal, assessment_id, body) as change:
        assessment, session, now = change.aggregate, change.session, change.now
        domain.transition(AssessmentStatus(assessment.status), AssessmentStatus.active)
        partners = (await partners_of(session, [assessment.id]))[assessment.id]
        tasks = (await tasks_of(session, [assessment.id]))[assessment.id]
        domain.refuse_if(domain.activation_blockers(partners, task_views(tasks)), "activate")
        change_status(
            session,
            change,
            assessment,
            AssessmentStatus.active,
            at=now,
            actor=principal.actor,
            reason="division of labour agreed",
        )
        doorbell.ring(
            await notify(session, assessment, "assessment.activated", to=partners, at=now)
        )
        return await change.present(presenter(principal))


@router.post("/assessments/{assessment_id}/conclude", response_model=AssessmentPublic)
async def conclude(
    assessment_id: str,
    body: ConcludeBody,
    principal: CurrentPrincipal,
    commands: CommandsDep,
    doorbell: DoorbellDep,
) -> AssessmentPublic:
    """Close the work with a summary and recommended products; the conclusion goes back
    to the request's desk (AssessmentConcluded), which may route the products."""
    async with _steer(commands, principal, assessment_id, body) as change:
        assessment, session, now = change.aggregate, change.session, change.now
        summary = domain.check_text(body.summary, "summary", domain.MAX_TEXT)
        if len(set(body.recommended_products)) != len(body.recommended_products):
            raise DomainError(
                "BAD_USER_INPUT",
                "recommended products must be distinct",
                field="recommended_products",
            )
        domain.transition(AssessmentStatus(assessment.status), AssessmentStatus.concluded)
        partners = (await partners_of(session, [assessment.id]))[assessment.id]
        tasks = (await tasks_of(session, [assessment.id]))[assessment.id]
        domain.refuse_if(domain.conclusion_blockers(task_views(tasks)), "conclude")
        assessment.summary = summary
        assessment.recommended_products = list(body.recommended_products)
        assessment.concluded_on = now.date()
        assessment.concluded_by = principal.actor
        change_status(
            session,
            change,
            assessment,
            AssessmentStatus.concluded,
            at=now,
            actor=principal.actor,
        )
        change.publish(
            AssessmentConcluded(
                assessment_id=assessment.id,
                request_id=assessment.request_id,
                partners=partners,
                summary=summary,
                recommended_products=assessment.recommended_products,
                concluded_on=now.date(),
                division_of_labour=[
                    TaskLead(task=title, lead=lead)
                    for title, lead in domain.division_of_labour(task_views(tasks))
                ],
                concluded_by=principal.actor,
            )
        )
        doorbell.ring(
            await notify(session, assessment, "assessment.concluded", to=partners, at=now)
        )
        return await change.present(presenter(principal))


@router.post("/assessments/{assessment_id}/cancel", response_model=AssessmentPublic)
async def cancel(
    assessment_id: str,
    body: CancelBody,
    principal: CurrentPrincipal,
    commands: CommandsDep,
    doorbell: DoorbellDep,
) -> AssessmentPublic:
    async with _steer(commands, principal, assessment_id, body) as change:
        assessment, session, now = change.aggregate, change.session, change.now
        reason = domain.check_text(body.reason, "reason", domain.MAX_TEXT)
        assessment.cancel_reason = reason
        change_status(
            session,
            change,
            assessment,
            AssessmentStatus.cancelled,
            at=now,
            actor=principal.actor,
            reason=reason,
        )
        partners = (await partners_of(session, [assessment.id]))[assessment.id]
        doorbell.ring(
            await notify(session, assessment, "assessment.cancelled", to=partners, at=now)
        )
        return await change.present(presenter(principal))


# --- answering (the task's lead) ---------------------------------------------------------


@asynccontextmanager
async def _answer(
    commands: Commands,
    principal: Principal,
    assessment_id: str,
    task_id: str,
    body: ExpectedVersion,
    target: TaskStatus,
) -> AsyncIterator[tuple[Change[JointAssessment], AssessmentTask]]:
    """A task's answer (accepted, declined, or done with findings), if the caller leads
    it: a partner its own tasks (in assessments it is invited to), the UN side the UN's."""
    action = Action.post_findings if target is TaskStatus.done else Action.answer_task
    answered: list[AssessmentTask] = []

    async def may_answer(assessment: JointAssessment) -> None:
        if principal.role is not Role.partner:
            await check_steering(commands.session, principal, assessment.id)
        task = await commands.session.get(AssessmentTask, task_id)
        if task is None or task.assessment_id != assessment.id:
            raise DomainError("NOT_FOUND", f"no task {task_id} in assessment {assessment_id}")
        domain.check_answers_own_task(
            task.lead, principal.partner if principal.role is Role.partner else domain.UN
        )
        answered.append(task)

    async with commands.change(
        ASSESSMENT,
        assessment_id,
        visibility(principal),
        expected_version=body.expected_version,
        authorise=may_answer,
    ) as change:
        (task,) = answered
        domain.check_action(action, AssessmentStatus(change.aggregate.status))
        task.status = domain.task_transition(TaskStatus(task.status), target).value
        task.answered_by = principal.actor
        task.updated_at = change.now
        change.session.add(task)
        yield change, task


@router.post("/assessments/{assessment_id}/tasks/{task_id}/accept", response_model=AssessmentPublic)
async def accept_task(
    assessment_id: str,
    task_id: str,
    body: ExpectedVersion,
    principal: CurrentPrincipal,
    commands: CommandsDep,
) -> AssessmentPublic:
    answer = _answer(commands, principal, assessment_id, task_id, body, TaskStatus.accepted)
    async with answer as (change, task):
        record(
            change.session,
            change.aggregate,
            at=change.now,
            kind="task_accepted",
            actor=principal.actor,
            summary=f"{task.lead} accepted '{task.title}'",
        )
        return await change.present(presenter(principal))


@router.post(
    "/assessments/{assessment_id}/tasks/{task_id}/decline", response_model=AssessmentPublic
)
async def decline_task(
    assessment_id: str,
    task_id: str,
    body: DeclineBody,
    principal: CurrentPrincipal,
    commands: CommandsDep,
) -> AssessmentPublic:
    reason = domain.check_text(body.reason, "reason", domain.MAX_TEXT)
    answer = _answer(commands, principal, assessment_id, task_id, body, TaskStatus.declined)
    async with answer as (change, task):
        task.decline_reason = reason
        record(
            change.session,
            change.aggregate,
            at=change.now,
            kind="task_declined",
            actor=principal.actor,
            summary=f"{task.lead} declined '{task.title}': {reason}",
        )
        return await change.present(presenter(principal))


@router.post(
    "/assessments/{assessment_id}/tasks/{task_id}/findings", response_model=AssessmentPublic
)
async def post_findings(
    assessment_id: str,
    task_id: str,
    body: FindingsBody,
    principal: CurrentPrincipal,
    commands: CommandsDep,
) -> AssessmentPublic:
    findings = domain.check_text(body.findings, "findings", domain.MAX_TEXT)
    answer = _answer(commands, principal, assessment_id, task_id, body, TaskStatus.done)
    async with answer as (change, task):
        task.findings = findings
        record(
            change.session,
            change.aggregate,
            at=change.now,
            kind="findings_posted",
            actor=principal.actor,
            summary=f"{task.lead} posted findings on '{task.title}'",
        )
        return await change.present(presenter(principal))
