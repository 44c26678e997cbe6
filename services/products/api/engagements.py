"""Reading engagements: one, a request's (batched by the gateway), and a provider's queue
across every desk and client."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select
from sqlmodel import col

from contracts.events import Urgency
from contracts.http.products.responses import (
    AssignmentPublic,
    DeliverablePublic,
    EngagementEdge,
    EngagementPage,
    EngagementPublic,
)
from services.products import domain
from services.products.domain import EngagementStatus
from services.products.models import Engagement, Product
from services.products.store import assignments_of, deliverables_of, engagement_visibility
from shared.auth import CurrentPrincipal
from shared.clock import Clock
from shared.db import AsyncSession
from shared.errors import DomainError
from shared.queries import Keyset
from shared.service import ClockDep, SessionDep

router = APIRouter()
# A provider's queue: first come, first served.
_FIRST_COME = Keyset(col(Engagement.created_at), col(Engagement.id))


async def public_engagements(
    session: AsyncSession, engagements: list[Engagement], clock: Clock
) -> list[EngagementPublic]:
    """Engagements with their deliverables, experts and SLA due date, in three queries for
    the whole list."""
    ids = [engagement.id for engagement in engagements]
    deliverables = await deliverables_of(session, ids)
    assignments = await assignments_of(session, ids)
    codes = {engagement.product_code for engagement in engagements}
    rows = await session.execute(
        select(Product.code, Product.sla_targets).where(col(Product.code).in_(codes))
    )
    targets = {code: sla_targets for code, sla_targets in rows.all()}
    now = clock.now()
    public = []
    for engagement in engagements:
        due = domain.due_at(
            EngagementStatus(engagement.status),
            engagement.created_at,
            targets.get(engagement.product_code, {}),
        )
        public.append(
            EngagementPublic(
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
        )
    return public


@router.get("/engagements", response_model=list[EngagementPublic], tags=["engagements"])
async def list_engagements(
    principal: CurrentPrincipal,
    session: SessionDep,
    clock: ClockDep,
    request_id: Annotated[list[str] | None, Query(max_length=200)] = None,
    status: Annotated[list[str] | None, Query(max_length=20)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[EngagementPublic]:
    """Engagements the caller may see; `request_id` may repeat (the gateway batches by it)."""
    query = select(Engagement).where(engagement_visibility(principal))
    if request_id:
        query = query.where(col(Engagement.request_id).in_(request_id))
    if status:
        query = query.where(col(Engagement.status).in_(status))
    query = query.order_by(col(Engagement.created_at), col(Engagement.id)).limit(limit)
    async with session.begin():
        engagements = list((await session.scalars(query)).all())
        return await public_engagements(session, engagements, clock)


@router.get("/engagements/{engagement_id}", response_model=EngagementPublic, tags=["engagements"])
async def get_engagement(
    engagement_id: str, principal: CurrentPrincipal, session: SessionDep, clock: ClockDep
) -> EngagementPublic:
    query = select(Engagement).where(
        Engagement.id == engagement_id, engagement_visibility(principal)
    )
    async with session.begin():
        engagement = (await session.scalars(query)).first()
        if engagement is None:
            raise DomainError("ENGAGEMENT_NOT_FOUND", f"no engagement {engagement_id}")
        return (await public_engagements(session, [engagement], clock))[0]


@router.get("/queue", response_model=EngagementPage, tags=["engagements"])
async def provider_queue(
    principal: CurrentPrincipal,
    session: SessionDep,
    clock: ClockDep,
    status: Annotated[list[EngagementStatus] | None, Query(max_length=20)] = None,
    product: Annotated[list[str] | None, Query(max_length=50)] = None,
    urgency: Annotated[list[Urgency] | None, Query(max_length=20)] = None,
    desk: Annotated[list[str] | None, Query(max_length=50)] = None,
    client: Annotated[list[str] | None, Query(max_length=50)] = None,
    first: Annotated[int, Query(ge=1, le=100)] = 20,
    after: Annotated[str | None, Query(max_length=200)] = None,
) -> EngagementPage:
    """A provider's work across every desk and client, oldest first (first come, first
    served), filterable; a cursor page. Each caller sees only what it may see."""
    query = select(Engagement).where(engagement_visibility(principal))
    filters = [
        (Engagement.status, [value.value for value in status or []]),
        (Engagement.product_code, product or []),
        (Engagement.urgency, [value.value for value in urgency or []]),
        (Engagement.desk_code, desk or []),
        (Engagement.client_code, client or []),
    ]
    for column, values in filters:
        if values:
            query = query.where(col(column).in_(values))
    query = _FIRST_COME.page(query, first, after)
    async with session.begin():
        rows = list((await session.scalars(query)).all())
        page = rows[:first]
        nodes = await public_engagements(session, page, clock)
    return EngagementPage(
        edges=[
            EngagementEdge(cursor=_FIRST_COME.cursor(row), node=node)
            for row, node in zip(page, nodes, strict=True)
        ],
        end_cursor=_FIRST_COME.cursor(page[-1]) if page else None,
        has_next_page=len(rows) > first,
    )
