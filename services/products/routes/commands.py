"""Provider officers' actions on an engagement: accept, decline, plan, deploy, record
deliverables, book experts, deliver, close. Each runs through the command pipeline
(shared/commands.py): the engagement locked, the version the officer saw checked and
bumped, its events through the outbox."""

from __future__ import annotations

import uuid
from contextlib import AbstractAsyncContextManager
from typing import Annotated

from fastapi import APIRouter, Query, status
from sqlalchemy import select
from sqlmodel import col

from contracts.events import EngagementAccepted, EngagementDeclined
from contracts.http.common import ExpectedVersion
from contracts.http.products.requests import AssignmentCreate, Decline, DeliverableCreate
from contracts.http.products.responses import EngagementPublic
from services.products import domain
from services.products.domain import EngagementStatus, Period
from services.products.models import Assignment, Deliverable, Engagement, Expert, Product
from services.products.store import (
    active_engagements,
    availability_of,
    change_status,
    deliverables_of,
    delivered_event,
    engagement_visibility,
    live_bookings,
    locked_product,
    status_changed,
    touch,
)
from services.products.views import public_engagements
from shared.auth import CurrentPrincipal, Principal, Role
from shared.commands import Aggregate, Change, Commands, CommandsDep, bump_version
from shared.db import AsyncSession
from shared.errors import DomainError

router = APIRouter()

ENGAGEMENT = Aggregate(Engagement, name="the engagement", not_found="ENGAGEMENT_NOT_FOUND")


def _change(
    commands: Commands, principal: Principal, engagement_id: str, expected_version: int
) -> AbstractAsyncContextManager[Change[Engagement]]:
    """A provider officer's change: only the provider of the engagement's product (or an
    admin) changes it; others who may see it are refused, others still get the same
    not-found as for a missing one."""
    principal.require(Role.provider, Role.admin)
    return commands.change(
        ENGAGEMENT,
        engagement_id,
        engagement_visibility(principal),
        expected_version=expected_version,
    )


async def _present(change: Change[Engagement], principal: Principal) -> EngagementPublic:
    async def one(session: AsyncSession, engagement: Engagement) -> EngagementPublic:
        return (await public_engagements(session, [engagement], change.clock, principal))[0]

    return await change.present(one)


@router.post(
    "/engagements/{engagement_id}/accept", response_model=EngagementPublic, tags=["engagements"]
)
async def accept_engagement(
    engagement_id: str, body: ExpectedVersion, principal: CurrentPrincipal, commands: CommandsDep
) -> EngagementPublic:
    """Take a proposed engagement on; refused with CAPACITY_EXCEEDED when no slot is free."""
    async with _change(commands, principal, engagement_id, body.expected_version) as change:
        engagement, session, now = change.aggregate, change.session, change.now
        domain.transition(EngagementStatus(engagement.status), EngagementStatus.accepted)
        product = await locked_product(session, engagement.product_code)
        # Only a proposed engagement gets here, and proposals exist only for known products.
        assert product is not None
        domain.check_offered(product.active)
        domain.check_capacity(
            capacity=product.capacity,
            active_engagements=await active_engagements(session, product.code),
        )
        change_status(engagement, EngagementStatus.accepted, at=now)
        engagement.decided_by = principal.actor
        engagement.accepted_at = now
        change.publish(
            EngagementAccepted(
                engagement_id=engagement.id,
                request_id=engagement.request_id,
                routing_id=engagement.routing_id,
                product_code=engagement.product_code,
                accepted_by=principal.actor,
                accepted_at=now,
            )
        )
        return await _present(change, principal)


@router.post(
    "/engagements/{engagement_id}/decline", response_model=EngagementPublic, tags=["engagements"]
)
async def decline_engagement(
    engagement_id: str, body: Decline, principal: CurrentPrincipal, commands: CommandsDep
) -> EngagementPublic:
    """Decline a proposed engagement with a reason code; the desk re-routes or records
    unmet demand."""
    if not body.reason.strip():
        raise DomainError("BAD_USER_INPUT", "a decline needs a reason", field="reason")
    async with _change(commands, principal, engagement_id, body.expected_version) as change:
        engagement, now = change.aggregate, change.now
        change_status(engagement, EngagementStatus.declined, at=now)
        engagement.decided_by = principal.actor
        engagement.decline_reason_code = body.reason_code.value
        engagement.decline_reason = body.reason.strip()
        change.publish(
            EngagementDeclined(
                engagement_id=engagement.id,
                request_id=engagement.request_id,
                routing_id=engagement.routing_id,
                product_code=engagement.product_code,
                reason_code=body.reason_code,
                reason=engagement.decline_reason,
                declined_by=principal.actor,
                declined_at=now,
            )
        )
        return await _present(change, principal)


async def _advance(
    engagement_id: str,
    body: ExpectedVersion,
    target: EngagementStatus,
    principal: Principal,
    commands: Commands,
) -> EngagementPublic:
    """A move after acceptance that only needs the table's permission (plan, deploy, close)."""
    async with _change(commands, principal, engagement_id, body.expected_version) as change:
        engagement, now = change.aggregate, change.now
        previous = change_status(engagement, target, at=now)
        change.publish(status_changed(engagement, previous, actor=principal.actor, at=now))
        return await _present(change, principal)


@router.post(
    "/engagements/{engagement_id}/plan", response_model=EngagementPublic, tags=["engagements"]
)
async def start_planning(
    engagement_id: str, body: ExpectedVersion, principal: CurrentPrincipal, commands: CommandsDep
) -> EngagementPublic:
    """accepted → planning."""
    return await _advance(engagement_id, body, EngagementStatus.planning, principal, commands)


@router.post(
    "/engagements/{engagement_id}/deploy", response_model=EngagementPublic, tags=["engagements"]
)
async def deploy(
    engagement_id: str, body: ExpectedVersion, principal: CurrentPrincipal, commands: CommandsDep
) -> EngagementPublic:
    """planning → deployed."""
    return await _advance(engagement_id, body, EngagementStatus.deployed, principal, commands)


@router.post(
    "/engagements/{engagement_id}/close", response_model=EngagementPublic, tags=["engagements"]
)
async def close_engagement(
    engagement_id: str, body: ExpectedVersion, principal: CurrentPrincipal, commands: CommandsDep
) -> EngagementPublic:
    """delivered → closed: the provider's books on the engagement are closed."""
    return await _advance(engagement_id, body, EngagementStatus.closed, principal, commands)


@router.post(
    "/engagements/{engagement_id}/deliver", response_model=EngagementPublic, tags=["engagements"]
)
async def deliver(
    engagement_id: str, body: ExpectedVersion, principal: CurrentPrincipal, commands: CommandsDep
) -> EngagementPublic:
    """deployed → delivered, only with at least one deliverable recorded. Publishes the
    full record (deliverables, experts, client) for the desk and the after-action review."""
    async with _change(commands, principal, engagement_id, body.expected_version) as change:
        engagement, session = change.aggregate, change.session
        domain.transition(EngagementStatus(engagement.status), EngagementStatus.delivered)
        recorded = (await deliverables_of(session, [engagement.id]))[engagement.id]
        domain.check_deliverable_recorded(len(recorded))
        product = await session.get(Product, engagement.product_code)
        assert product is not None
        change_status(engagement, EngagementStatus.delivered, at=change.now)
        engagement.delivered_at = change.now
        change.publish(await delivered_event(session, engagement, product, actor=principal.actor))
        return await _present(change, principal)


@router.post(
    "/engagements/{engagement_id}/deliverables",
    status_code=status.HTTP_201_CREATED,
    response_model=EngagementPublic,
    tags=["engagements"],
)
async def record_deliverable(
    engagement_id: str, body: DeliverableCreate, principal: CurrentPrincipal, commands: CommandsDep
) -> EngagementPublic:
    """Record what was handed over (while the work is under way)."""
    async with _change(commands, principal, engagement_id, body.expected_version) as change:
        engagement = change.aggregate
        domain.check_in_hand(EngagementStatus(engagement.status), "deliverables are recorded")
        change.session.add(
            Deliverable(
                id=str(uuid.uuid4()),
                engagement_id=engagement.id,
                title=body.title.strip(),
                kind=body.kind.strip(),
                reference=body.reference.strip(),
                delivered_on=body.delivered_on,
                recorded_by=principal.actor,
                recorded_at=change.now,
            )
        )
        touch(engagement, change.now)
        return await _present(change, principal)


@router.post(
    "/engagements/{engagement_id}/assignments",
    status_code=status.HTTP_201_CREATED,
    response_model=EngagementPublic,
    tags=["engagements", "roster"],
)
async def assign_expert(
    engagement_id: str, body: AssignmentCreate, principal: CurrentPrincipal, commands: CommandsDep
) -> EngagementPublic:
    """Book an expert on the engagement for a range of days: the expert must be available
    then and not booked elsewhere meanwhile (EXPERT_UNAVAILABLE, EXPERT_DOUBLE_BOOKED).

    The expert's row is locked too (after the engagement's), so two officers booking one
    expert at once queue: the second sees the first's booking and is refused.
    """
    wanted = Period(body.starts_on, body.ends_on)
    domain.check_period(wanted)
    async with _change(commands, principal, engagement_id, body.expected_version) as change:
        engagement, session = change.aggregate, change.session
        domain.check_in_hand(EngagementStatus(engagement.status), "experts are assigned")
        expert = (
            await session.scalars(
                select(Expert).where(col(Expert.id) == body.expert_id).with_for_update()
            )
        ).first()
        if expert is None:
            raise DomainError("EXPERT_NOT_FOUND", f"no expert {body.expert_id}")
        domain.check_booking(
            wanted=wanted,
            availability=await availability_of(session, expert.id),
            bookings=await live_bookings(session, expert.id),
        )
        session.add(
            Assignment(
                id=str(uuid.uuid4()),
                engagement_id=engagement.id,
                expert_id=expert.id,
                starts_on=wanted.starts_on,
                ends_on=wanted.ends_on,
                assigned_by=principal.actor,
                assigned_at=change.now,
            )
        )
        # A booking changes the expert's calendar too: readers of it can tell.
        bump_version(expert)
        touch(engagement, change.now)
        return await _present(change, principal)


@router.delete(
    "/engagements/{engagement_id}/assignments/{assignment_id}",
    response_model=EngagementPublic,
    tags=["engagements", "roster"],
)
async def release_expert(
    engagement_id: str,
    assignment_id: str,
    expected_version: Annotated[int, Query(ge=1, description="The version the caller saw")],
    principal: CurrentPrincipal,
    commands: CommandsDep,
) -> EngagementPublic:
    """Release an expert from the engagement, freeing those days. (A DELETE has no body:
    the version comes as a query parameter of the same name.)"""
    async with _change(commands, principal, engagement_id, expected_version) as change:
        engagement, session = change.aggregate, change.session
        domain.check_in_hand(EngagementStatus(engagement.status), "experts are released")
        assignment = await session.get(Assignment, assignment_id)
        if assignment is None or assignment.engagement_id != engagement.id:
            raise DomainError("NOT_FOUND", f"no assignment {assignment_id} on this engagement")
        await session.delete(assignment)
        touch(engagement, change.now)
        return await _present(change, principal)
