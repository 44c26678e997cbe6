"""Persistence steps shared by the products service's routes and event handlers.

Each function works inside the caller's transaction and never commits. Rows that
a decision depends on are locked in one order everywhere (engagement, then
product, then expert) so concurrent writers queue instead of deadlocking. On
PostgreSQL that is `SELECT … FOR UPDATE`; SQLite ignores it, and there the
platform's `BEGIN IMMEDIATE` already serialises writers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, bindparam, false, func, select, true
from sqlmodel import col

from contracts.enums import ClientKind
from contracts.events import DeliverableRef, EngagementDelivered, EngagementStatusChanged
from services.products.domain import ACTIVE, BOOKING_HOLDERS, EngagementStatus, Period, transition
from services.products.models import (
    Assignment,
    Deliverable,
    Engagement,
    Expert,
    ExpertAvailability,
    Product,
)
from shared.auth import Principal, Role
from shared.db import AsyncSession
from shared.errors import DomainError
from shared.queries import grouped


def engagement_visibility(principal: Principal) -> ColumnElement[bool]:
    """Which engagements a caller may see, as a SQL condition: tenancy lives here.
    A provider sees its products' engagements; clients and desks their own requests'."""
    if principal.role in (Role.admin, Role.hq_analyst):
        return true()
    if principal.role is Role.provider:
        return col(Engagement.product_code).in_(principal.products)
    if principal.role is Role.client:
        return col(Engagement.client_code) == principal.client
    if principal.role is Role.desk_officer:
        return col(Engagement.desk_code) == principal.desk
    return false()


def product_scope(principal: Principal) -> ColumnElement[bool]:
    """Whose products' figures (capacity, unmet demand) a caller may read."""
    if principal.role is Role.provider:
        return col(Product.code).in_(principal.products)
    if principal.role in (Role.admin, Role.hq_analyst, Role.desk_officer):
        return true()
    raise DomainError("FORBIDDEN", f"role '{principal.role}' may not read provider figures")


def may_change_product(principal: Principal, code: str) -> bool:
    return principal.role is Role.admin or (
        principal.role is Role.provider and code in principal.products
    )


async def locked_product(session: AsyncSession, code: str) -> Product | None:
    query = select(Product).where(col(Product.code) == code).with_for_update()
    return (await session.scalars(query)).first()


@dataclass(frozen=True)
class IntakeTerms:
    """What an incoming routing is decided on: its product's terms (None for a product
    this service does not know) and whether the routing has its engagement already."""

    active: bool
    auto_accept: bool
    capacity: int
    opened: bool


# Built once, run with each routing's values: building the clauses again per event
# cost more CPU than SQLAlchemy's cached compilation of them.
_OPENED = select(col(Engagement.id)).where(col(Engagement.routing_id) == bindparam("routing_id"))
_TERMS = (
    select(col(Product.active), col(Product.auto_accept), col(Product.capacity), _OPENED.exists())
    .where(col(Product.code) == bindparam("code"))
    .with_for_update(of=Product)
)
_ACTIVE_COUNT = (
    select(func.count())
    .select_from(Engagement)
    .where(
        col(Engagement.product_code) == bindparam("code"),
        col(Engagement.status).in_([status.value for status in ACTIVE]),
    )
)


async def intake_terms(session: AsyncSession, code: str, routing_id: str) -> IntakeTerms:
    """The product's terms, its row locked (one statement: the columns, no object), and
    whether an engagement of the routing exists. The active engagements are counted
    after, in a statement of their own: one that waited for the lock then sees the
    engagement the holder of the lock committed."""
    found = (await session.execute(_TERMS, {"code": code, "routing_id": routing_id})).first()
    if found is not None:
        active, auto_accept, capacity, is_opened = found
        return IntakeTerms(active, auto_accept, capacity, bool(is_opened))
    is_opened = bool(await session.scalar(select(_OPENED.exists()), {"routing_id": routing_id}))
    return IntakeTerms(active=False, auto_accept=False, capacity=0, opened=is_opened)


async def active_engagements(session: AsyncSession, product_code: str) -> int:
    count = await session.scalar(_ACTIVE_COUNT, {"code": product_code})
    return int(count or 0)


def change_status(
    engagement: Engagement, target: EngagementStatus, *, at: datetime
) -> EngagementStatus:
    """Apply one lifecycle transition (or refuse it, as the table says); return where the
    engagement came from. Which event it publishes is the caller's (accepted, declined,
    delivered or a plain status change). The version is bumped by the command pipeline,
    or by the event handler that changes the engagement."""
    current = EngagementStatus(engagement.status)
    engagement.status = transition(current, target).value
    touch(engagement, at)
    return current


def touch(engagement: Engagement, at: datetime) -> None:
    engagement.updated_at = at


def status_changed(
    engagement: Engagement, previous: EngagementStatus, *, actor: str, at: datetime
) -> EngagementStatusChanged:
    return EngagementStatusChanged(
        engagement_id=engagement.id,
        request_id=engagement.request_id,
        routing_id=engagement.routing_id,
        product_code=engagement.product_code,
        from_status=previous.value,
        to_status=engagement.status,
        actor=actor,
        changed_at=at,
    )


async def deliverables_of(
    session: AsyncSession, engagement_ids: list[str]
) -> dict[str, list[Deliverable]]:
    rows = await session.scalars(
        select(Deliverable)
        .where(col(Deliverable.engagement_id).in_(engagement_ids))
        .order_by(col(Deliverable.delivered_on), col(Deliverable.recorded_at))
    )
    return grouped(rows, lambda row: row.engagement_id, engagement_ids)


async def assignments_of(
    session: AsyncSession, engagement_ids: list[str]
) -> dict[str, list[tuple[Assignment, Expert]]]:
    rows = await session.execute(
        select(Assignment, Expert)
        .join(Expert, col(Expert.id) == col(Assignment.expert_id))
        .where(col(Assignment.engagement_id).in_(engagement_ids))
        .order_by(col(Assignment.starts_on), col(Assignment.assigned_at))
    )
    pairs = [(assignment, expert) for assignment, expert in rows]
    return grouped(pairs, lambda pair: pair[0].engagement_id, engagement_ids)


async def live_bookings(session: AsyncSession, expert_id: str) -> list[Period]:
    """The expert's bookings that still block the calendar (not on withdrawn, declined
    or closed engagements)."""
    rows = (
        await session.scalars(
            select(Assignment)
            .join(Engagement, col(Engagement.id) == col(Assignment.engagement_id))
            .where(
                col(Assignment.expert_id) == expert_id,
                col(Engagement.status).in_([status.value for status in BOOKING_HOLDERS]),
            )
        )
    ).all()
    return [Period(row.starts_on, row.ends_on) for row in rows]


async def availability_of(session: AsyncSession, expert_id: str) -> list[Period]:
    rows = (
        await session.scalars(
            select(ExpertAvailability).where(col(ExpertAvailability.expert_id) == expert_id)
        )
    ).all()
    return [Period(row.starts_on, row.ends_on) for row in rows]


async def delivered_event(
    session: AsyncSession, engagement: Engagement, product: Product, *, actor: str
) -> EngagementDelivered:
    """The full record an after-action review needs, taken when the provider delivers."""
    assert engagement.delivered_at is not None
    deliverables = (await deliverables_of(session, [engagement.id]))[engagement.id]
    assignments = (await assignments_of(session, [engagement.id]))[engagement.id]
    experts = list(dict.fromkeys(expert.name for _assignment, expert in assignments))
    return EngagementDelivered(
        engagement_id=engagement.id,
        request_id=engagement.request_id,
        routing_id=engagement.routing_id,
        product_code=engagement.product_code,
        provider_unit=product.provider_unit,
        client_code=engagement.client_code,
        client_kind=ClientKind(engagement.client_kind),
        country=engagement.country,
        region=engagement.region,
        desk_code=engagement.desk_code,
        title=engagement.title,
        deliverables=[
            DeliverableRef(
                title=item.title,
                kind=item.kind,
                reference=item.reference,
                delivered_on=item.delivered_on,
            )
            for item in deliverables
        ],
        experts=experts,
        accepted_at=engagement.accepted_at,
        delivered_by=actor,
        delivered_at=engagement.delivered_at,
    )
