"""Provider officers' actions on an engagement: accept, decline, plan, deploy, record
deliverables, book experts, deliver, close. Each takes the version the officer saw."""

from __future__ import annotations

import uuid
from datetime import date

from fastapi import APIRouter, status
from pydantic import BaseModel, Field
from sqlalchemy import select

from contracts.events import DeclineReason, EngagementAccepted, EngagementDeclined
from services.products import domain
from services.products.api.engagements import EngagementPublic, public_engagements
from services.products.domain import EngagementStatus, Period
from services.products.models import Assignment, Deliverable, Expert, Product
from services.products.store import (
    active_engagements,
    availability_of,
    deliverables_of,
    delivered_event,
    engagement_for_change,
    live_bookings,
    locked_product,
    move,
    status_changed,
    touch,
)
from shared.auth import CurrentPrincipal, Principal
from shared.clock import Clock
from shared.db import AsyncSession
from shared.errors import DomainError
from shared.messaging import Outbox
from shared.service import ClockDep, OutboxDep, SessionDep

router = APIRouter()


class Versioned(BaseModel):
    expected_version: int = Field(description="The version the caller saw; a stale one is refused")


class Decline(Versioned):
    reason_code: DeclineReason
    reason: str = Field(min_length=1, max_length=2000)


class DeliverableCreate(Versioned):
    title: str = Field(min_length=1, max_length=200)
    kind: str = Field(
        min_length=1, max_length=40, description="report, assessment, training, advisory_note…"
    )
    reference: str = Field(min_length=1, max_length=500, description="URL or document symbol")
    delivered_on: date


class AssignmentCreate(Versioned):
    expert_id: str = Field(max_length=40)
    starts_on: date
    ends_on: date


@router.post(
    "/engagements/{engagement_id}/accept", response_model=EngagementPublic, tags=["engagements"]
)
async def accept_engagement(
    engagement_id: str,
    body: Versioned,
    principal: CurrentPrincipal,
    session: SessionDep,
    outbox: OutboxDep,
    clock: ClockDep,
) -> EngagementPublic:
    """Take a proposed engagement on; refused with CAPACITY_EXCEEDED when no slot is free."""
    async with session.begin():
        engagement = await engagement_for_change(
            session, principal, engagement_id, body.expected_version
        )
        domain.transition(EngagementStatus(engagement.status), EngagementStatus.accepted)
        product = await locked_product(session, engagement.product_code)
        # Only a proposed engagement gets here, and proposals exist only for known products.
        assert product is not None
        domain.check_offered(product.active)
        domain.check_capacity(
            capacity=product.capacity,
            active_engagements=await active_engagements(session, product.code),
        )
        now = clock.now()
        move(engagement, EngagementStatus.accepted, at=now)
        engagement.decided_by = principal.actor
        engagement.accepted_at = now
        outbox.add(
            session,
            EngagementAccepted(
                engagement_id=engagement.id,
                request_id=engagement.request_id,
                routing_id=engagement.routing_id,
                product_code=engagement.product_code,
                accepted_by=principal.actor,
                accepted_at=now,
            ),
        )
        return (await public_engagements(session, [engagement], clock))[0]


@router.post(
    "/engagements/{engagement_id}/decline", response_model=EngagementPublic, tags=["engagements"]
)
async def decline_engagement(
    engagement_id: str,
    body: Decline,
    principal: CurrentPrincipal,
    session: SessionDep,
    outbox: OutboxDep,
    clock: ClockDep,
) -> EngagementPublic:
    """Decline a proposed engagement with a reason code; the desk re-routes or records
    unmet demand."""
    if not body.reason.strip():
        raise DomainError("BAD_USER_INPUT", "a decline needs a reason", field="reason")
    async with session.begin():
        engagement = await engagement_for_change(
            session, principal, engagement_id, body.expected_version
        )
        now = clock.now()
        move(engagement, EngagementStatus.declined, at=now)
        engagement.decided_by = principal.actor
        engagement.decline_reason_code = body.reason_code.value
        engagement.decline_reason = body.reason.strip()
        outbox.add(
            session,
            EngagementDeclined(
                engagement_id=engagement.id,
                request_id=engagement.request_id,
                routing_id=engagement.routing_id,
                product_code=engagement.product_code,
                reason_code=body.reason_code,
                reason=engagement.decline_reason,
                declined_by=principal.actor,
                declined_at=now,
            ),
        )
        return (await public_engagements(session, [engagement], clock))[0]


async def _advance(
    engagement_id: str,
    body: Versioned,
    target: EngagementStatus,
    principal: Principal,
    session: AsyncSession,
    outbox: Outbox,
    clock: Clock,
) -> EngagementPublic:
    """A move after acceptance that only needs the table's permission (plan, deploy, close)."""
    async with session.begin():
        engagement = await engagement_for_change(
            session, principal, engagement_id, body.expected_version
        )
        now = clock.now()
        previous = move(engagement, target, at=now)
        outbox.add(session, status_changed(engagement, previous, actor=principal.actor, at=now))
        return (await public_engagements(session, [engagement], clock))[0]


@router.post(
    "/engagements/{engagement_id}/plan", response_model=EngagementPublic, tags=["engagements"]
)
async def start_planning(
    engagement_id: str,
    body: Versioned,
    principal: CurrentPrincipal,
    session: SessionDep,
    outbox: OutboxDep,
    clock: ClockDep,
) -> EngagementPublic:
    """accepted → planning."""
    return await _advance(
        engagement_id, body, EngagementStatus.planning, principal, session, outbox, clock
    )


@router.post(
    "/engagements/{engagement_id}/deploy", response_model=EngagementPublic, tags=["engagements"]
)
async def deploy(
    engagement_id: str,
    body: Versioned,
    principal: CurrentPrincipal,
    session: SessionDep,
    outbox: OutboxDep,
    clock: ClockDep,
) -> EngagementPublic:
    """planning → deployed."""
    return await _advance(
        engagement_id, body, EngagementStatus.deployed, principal, session, outbox, clock
    )


@router.post(
    "/engagements/{engagement_id}/close", response_model=EngagementPublic, tags=["engagements"]
)
async def close_engagement(
    engagement_id: str,
    body: Versioned,
    principal: CurrentPrincipal,
    session: SessionDep,
    outbox: OutboxDep,
    clock: ClockDep,
) -> EngagementPublic:
    """delivered → closed: the provider's books on the engagement are closed."""
    return await _advance(
        engagement_id, body, EngagementStatus.closed, principal, session, outbox, clock
    )


@router.post(
    "/engagements/{engagement_id}/deliver", response_model=EngagementPublic, tags=["engagements"]
)
async def deliver(
    engagement_id: str,
    body: Versioned,
    principal: CurrentPrincipal,
    session: SessionDep,
    outbox: OutboxDep,
    clock: ClockDep,
) -> EngagementPublic:
    """deployed → delivered, only with at least one deliverable recorded. Publishes the
    full record (deliverables, experts, client) for the desk and the after-action review."""
    async with session.begin():
        engagement = await engagement_for_change(
            session, principal, engagement_id, body.expected_version
        )
        domain.transition(EngagementStatus(engagement.status), EngagementStatus.delivered)
        recorded = (await deliverables_of(session, [engagement.id]))[engagement.id]
        domain.check_deliverable_recorded(len(recorded))
        product = await session.get(Product, engagement.product_code)
        assert product is not None
        now = clock.now()
        move(engagement, EngagementStatus.delivered, at=now)
        engagement.delivered_at = now
        outbox.add(
            session, await delivered_event(session, engagement, product, actor=principal.actor)
        )
        return (await public_engagements(session, [engagement], clock))[0]


@router.post(
    "/engagements/{engagement_id}/deliverables",
    status_code=status.HTTP_201_CREATED,
    response_model=EngagementPublic,
    tags=["engagements"],
)
async def record_deliverable(
    engagement_id: str,
    body: DeliverableCreate,
    principal: CurrentPrincipal,
    session: SessionDep,
    clock: ClockDep,
) -> EngagementPublic:
    """Record what was handed over (while the work is under way)."""
    async with session.begin():
        engagement = await engagement_for_change(
            session, principal, engagement_id, body.expected_version
        )
        domain.check_in_hand(EngagementStatus(engagement.status), "deliverables are recorded")
        now = clock.now()
        session.add(
            Deliverable(
                id=str(uuid.uuid4()),
                engagement_id=engagement.id,
                title=body.title.strip(),
                kind=body.kind.strip(),
                reference=body.reference.strip(),
                delivered_on=body.delivered_on,
                recorded_by=principal.actor,
                recorded_at=now,
            )
        )
        touch(engagement, now)
        await session.flush()
        return (await public_engagements(session, [engagement], clock))[0]


@router.post(
    "/engagements/{engagement_id}/assignments",
    status_code=status.HTTP_201_CREATED,
    response_model=EngagementPublic,
    tags=["engagements", "roster"],
)
async def assign_expert(
    engagement_id: str,
    body: AssignmentCreate,
    principal: CurrentPrincipal,
    session: SessionDep,
    clock: ClockDep,
) -> EngagementPublic:
    """Book an expert on the engagement for a range of days: the expert must be available
    then and not booked elsewhere meanwhile (EXPERT_UNAVAILABLE, EXPERT_DOUBLE_BOOKED).

    The expert's row is locked first, so two officers booking one expert at once queue:
    the second sees the first's booking and is refused.
    """
    wanted = Period(body.starts_on, body.ends_on)
    domain.check_period(wanted)
    async with session.begin():
        engagement = await engagement_for_change(
            session, principal, engagement_id, body.expected_version
        )
        domain.check_in_hand(EngagementStatus(engagement.status), "experts are assigned")
        expert = (
            await session.scalars(
                select(Expert).where(Expert.id == body.expert_id).with_for_update()
            )
        ).first()
        if expert is None:
            raise DomainError("EXPERT_NOT_FOUND", f"no expert {body.expert_id}")
        domain.check_booking(
            wanted=wanted,
            availability=await availability_of(session, expert.id),
            bookings=await live_bookings(session, expert.id),
        )
        now = clock.now()
        session.add(
            Assignment(
                id=str(uuid.uuid4()),
                engagement_id=engagement.id,
                expert_id=expert.id,
                starts_on=wanted.starts_on,
                ends_on=wanted.ends_on,
                assigned_by=principal.actor,
                assigned_at=now,
            )
        )
        # A booking changes the expert's calendar: bump it so readers can tell.
        expert.version += 1
        touch(engagement, now)
        await session.flush()
        return (await public_engagements(session, [engagement], clock))[0]


@router.delete(
    "/engagements/{engagement_id}/assignments/{assignment_id}",
    response_model=EngagementPublic,
    tags=["engagements", "roster"],
)
async def release_expert(
    engagement_id: str,
    assignment_id: str,
    expected_version: int,
    principal: CurrentPrincipal,
    session: SessionDep,
    clock: ClockDep,
) -> EngagementPublic:
    """Release an expert from the engagement, freeing those days."""
    async with session.begin():
        engagement = await engagement_for_change(
            session, principal, engagement_id, expected_version
        )
        domain.check_in_hand(EngagementStatus(engagement.status), "experts are released")
        assignment = await session.get(Assignment, assignment_id)
        if assignment is None or assignment.engagement_id != engagement.id:
            raise DomainError("NOT_FOUND", f"no assignment {assignment_id} on this engagement")
        await session.delete(assignment)
        touch(engagement, clock.now())
        await session.flush()
        return (await public_engagements(session, [engagement], clock))[0]
