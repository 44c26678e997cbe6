"""Public shapes of the products service, built per page in batches."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from contracts.http.products.responses import (
    AssignmentPublic,
    AvailabilityWindow,
    Booking,
    DeliverablePublic,
    EngagementPublic,
    ExpertPublic,
)
from services.products import domain
from services.products.domain import EngagementStatus
from services.products.models import Assignment, Engagement, Expert, ExpertAvailability, Product
from services.products.store import assignments_of, deliverables_of
from shared.auth import Principal
from shared.clock import Clock
from shared.db import AsyncSession
from shared.sharing import RecordKind, shown_to, viewer_of


async def public_engagements(
    session: AsyncSession, engagements: list[Engagement], clock: Clock, principal: Principal
) -> list[EngagementPublic]:
    """Engagements with their deliverables, experts and SLA due date, in three queries for
    the whole list, as the caller's audience may see them (shared/sharing.py)."""
    ids = [engagement.id for engagement in engagements]
    deliverables = await deliverables_of(session, ids)
    assignments = await assignments_of(session, ids)
    codes = {engagement.product_code for engagement in engagements}
    rows = await session.execute(
        select(col(Product.code), col(Product.sla_targets)).where(col(Product.code).in_(codes))
    )
    targets = {code: sla_targets for code, sla_targets in rows.all()}
    now = clock.now()
    viewer = viewer_of(principal)
    public = []
    for engagement in engagements:
        due = domain.due_at(
            EngagementStatus(engagement.status),
            engagement.created_at,
            targets.get(engagement.product_code, {}),
        )
        engagement_public = EngagementPublic(
            **engagement.model_dump(),
            due_at=due,
            overdue=due is not None and due < now,
            deliverables=[
                DeliverablePublic(**item.model_dump()) for item in deliverables[engagement.id]
            ],
            assignments=[
                AssignmentPublic(**assignment.model_dump(), expert_name=expert.name)
                for assignment, expert in assignments[engagement.id]
            ],
        )
        public.append(shown_to(viewer, RecordKind.engagement, engagement_public))
    return public


async def _experts_public(session: AsyncSession, experts: list[Expert]) -> list[ExpertPublic]:
    ids = [expert.id for expert in experts]
    windows = (
        await session.scalars(
            select(ExpertAvailability)
            .where(col(ExpertAvailability.expert_id).in_(ids))
            .order_by(col(ExpertAvailability.starts_on))
        )
    ).all()
    bookings = (
        await session.scalars(
            select(Assignment)
            .join(Engagement, col(Engagement.id) == col(Assignment.engagement_id))
            .where(
                col(Assignment.expert_id).in_(ids),
                col(Engagement.status).in_([s.value for s in domain.BOOKING_HOLDERS]),
            )
            .order_by(col(Assignment.starts_on))
        )
    ).all()
    return [
        ExpertPublic(
            id=expert.id,
            name=expert.name,
            skills=expert.skills,
            languages=expert.languages,
            availability=[
                AvailabilityWindow(starts_on=w.starts_on, ends_on=w.ends_on)
                for w in windows
                if w.expert_id == expert.id
            ],
            bookings=[
                Booking(engagement_id=b.engagement_id, starts_on=b.starts_on, ends_on=b.ends_on)
                for b in bookings
                if b.expert_id == expert.id
            ],
            version=expert.version,
        )
        for expert in experts
    ]


async def _expert_public(session: AsyncSession, expert: Expert) -> ExpertPublic:
    return (await _experts_public(session, [expert]))[0]
