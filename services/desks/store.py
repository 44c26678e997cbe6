"""Persistence steps shared by the desks' routes and event handlers.

Each function works inside the caller's transaction and never commits.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import ColumnElement, exists, false, select, true
from sqlmodel import col

from contracts.events import RequestStatusChanged
from services.desks.domain import RequestStatus, transition
from services.desks.models import Routing, ServiceRequest, TimelineEntry
from shared.auth import Principal, Role
from shared.db import AsyncSession
from shared.errors import DomainError

Publish = Callable[[RequestStatusChanged], object]


def visibility(principal: Principal) -> ColumnElement[bool]:
    """Which requests a caller may see, as a SQL condition: tenancy lives here."""
    if principal.role in (Role.admin, Role.hq_analyst):
        return true()
    if principal.role is Role.client:
        return col(ServiceRequest.client_code) == principal.client
    if principal.role is Role.desk_officer:
        return col(ServiceRequest.desk_code) == principal.desk
    if principal.role is Role.provider:
        return exists().where(
            col(Routing.request_id) == col(ServiceRequest.id),
            col(Routing.product_code).in_(principal.products),
        )
    return false()


async def visible_request(
    session: AsyncSession, principal: Principal, request_id: str
) -> ServiceRequest:
    """The request if the caller may see it; otherwise the same not-found as a missing one,
    so ids of other tenants' requests cannot be probed."""
    query = select(ServiceRequest).where(ServiceRequest.id == request_id, visibility(principal))
    request = (await session.scalars(query)).first()
    if request is None:
        raise DomainError("REQUEST_NOT_FOUND", f"no request {request_id}")
    return request


def add_timeline(
    session: AsyncSession,
    request_id: str,
    *,
    at: datetime,
    event_type: str,
    actor: str,
    summary: str,
) -> None:
    session.add(
        TimelineEntry(
            request_id=request_id, at=at, event_type=event_type, actor=actor, summary=summary
        )
    )


def change_status(
    session: AsyncSession,
    request: ServiceRequest,
    target: RequestStatus,
    *,
    at: datetime,
    actor: str,
    publish: Publish,
    reason: str | None = None,
) -> None:
    """Apply one lifecycle move: refuse it if illegal, else record it and publish it."""
    current = RequestStatus(request.status)
    request.status = transition(current, target).value
    request.version += 1
    request.updated_at = at
    event = RequestStatusChanged(
        request_id=request.id,
        client_code=request.client_code,
        desk_code=request.desk_code,
        from_status=current.value,
        to_status=target.value,
        actor=actor,
        reason=reason,
        changed_at=at,
    )
    publish(event)
    summary = f"{current.value} → {target.value}" + (f": {reason}" if reason else "")
    add_timeline(session, request.id, at=at, event_type=event.type, actor=actor, summary=summary)
    session.add(request)


async def routings_of(session: AsyncSession, request_ids: list[str]) -> dict[str, list[Routing]]:
    rows = (
        await session.scalars(select(Routing).where(col(Routing.request_id).in_(request_ids)))
    ).all()
    grouped: dict[str, list[Routing]] = {request_id: [] for request_id in request_ids}
    for routing in rows:
        grouped[routing.request_id].append(routing)
    return grouped
