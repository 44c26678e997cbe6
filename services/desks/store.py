"""Persistence steps shared by the desks' routes and event handlers.

Each function works inside the caller's transaction and never commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    exists,
    false,
    func,
    insert,
    select,
    true,
    update,
)
from sqlmodel import col

from contracts.enums import ClientKind, RequestStatus, SlaClock, Urgency
from contracts.events import (
    RequestApprovalRequested,
    RequestOverlapFlagged,
    RequestRouted,
    RequestStatusChanged,
)
from services.desks import domain, journal, links
from services.desks.domain import RoutingStatus, transition
from services.desks.models import (
    ApprovalRule,
    CatalogProduct,
    OverlapLink,
    RequestApproval,
    Routing,
    ServiceRequest,
    SlaClockState,
    StatusChange,
    TimelineEntry,
)
from shared.auth import Principal, Role
from shared.commands import bump_version
from shared.db import AsyncSession
from shared.errors import DomainError
from shared.messaging import Publisher
from shared.queries import grouped

TIMELINE: Table = TimelineEntry.__table__  # type: ignore[attr-defined]
STATUS_CHANGES: Table = StatusChange.__table__  # type: ignore[attr-defined]


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
    so ids of other tenants' requests cannot be probed. (Commands lock it through
    shared/commands.py.)"""
    query = select(ServiceRequest).where(
        col(ServiceRequest.id) == request_id, visibility(principal)
    )
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
    # Kept for one bulk INSERT (services/desks/journal.py): nothing reads it back as an object.
    journal.keep(
        session,
        TIMELINE,
        [
            {
                "request_id": request_id,
                "at": at,
                "event_type": event_type,
                "actor": actor,
                "summary": summary,
            }
        ],
    )


def change_status(
    session: AsyncSession,
    request: ServiceRequest,
    target: RequestStatus,
    *,
    at: datetime,
    actor: str,
    publisher: Publisher,
    reason: str | None = None,
    satisfaction_score: int | None = None,
) -> None:
    """Apply one lifecycle move: refuse it if illegal, else record it and publish it.

    The version is not bumped here: a command bumps it once (shared/commands.py),
    an event handler once for the event it handles."""
    current = RequestStatus(request.status)
    request.status = transition(current, target).value
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
        satisfaction_score=satisfaction_score,
    )
    publisher.publish(event)
    summary = f"{current.value} → {target.value}" + (f": {reason}" if reason else "")
    add_timeline(session, request.id, at=at, event_type=event.type, actor=actor, summary=summary)
    journal.keep(
        session,
        STATUS_CHANGES,
        [
            {
                "request_id": request.id,
                "at": at,
                "from_status": current.value,
                "to_status": target.value,
                "actor": actor,
            }
        ],
    )
    session.add(request)


async def status_entered_at(session: AsyncSession, request: ServiceRequest) -> datetime:
    """When the request entered its current status (its last move; intake if none)."""
    last: datetime | None = await session.scalar(
        select(func.max(col(StatusChange.at))).where(col(StatusChange.request_id) == request.id)
    )
    return last or request.created_at


async def routings_of(session: AsyncSession, request_ids: list[str]) -> dict[str, list[Routing]]:
    rows = await session.scalars(select(Routing).where(col(Routing.request_id).in_(request_ids)))
    return grouped(rows, lambda routing: routing.request_id, request_ids)


async def move(
    session: AsyncSession,
    request: ServiceRequest,
    target: RequestStatus,
    *,
    at: datetime,
    actor: str,
    publisher: Publisher,
    reason: str | None = None,
    satisfaction_score: int | None = None,
) -> None:
    """A lifecycle move (`change_status`) plus the SLA clocks it stops: the one
    `move` of the desks."""
    change_status(
        session,
        request,
        target,
        at=at,
        actor=actor,
        publisher=publisher,
        reason=reason,
        satisfaction_score=satisfaction_score,
    )
    await stop_clocks(session, request.id, domain.clocks_stopped_by_status(target), at)
    if request.parent_id is not None:
        await follow_children(session, request.parent_id, at=at, publisher=publisher)


DERIVED_STATUS_ACTOR = "desks:linked-requests"


async def follow_children(
    session: AsyncSession, parent_id: str, *, at: datetime, publisher: Publisher
) -> None:
    """A child moved: its parent follows, when its status is derived from its children
    (services/desks/links.py). The parent is a second aggregate of the change: locked,
    and its version bumped once when it moves."""
    parent = await locked_request(session, parent_id)
    if parent is not None and await derive_status(session, parent, at=at, publisher=publisher):
        bump_version(parent)


async def derive_status(
    session: AsyncSession, parent: ServiceRequest, *, at: datetime, publisher: Publisher
) -> bool:
    """Move a parent whose status is derived to where its children put it, one status
    at a time (each its own event and timeline entry); whether it moved."""
    if not parent.derives_status_from_children:
        return False
    statuses = (
        await session.scalars(
            select(col(ServiceRequest.status)).where(col(ServiceRequest.parent_id) == parent.id)
        )
    ).all()
    target = links.derived_parent_status([RequestStatus(status) for status in statuses])
    steps = domain.path_to(RequestStatus(parent.status), target)
    for step in steps:
        await move(
            session,
            parent,
            step,
            at=at,
            actor=DERIVED_STATUS_ACTOR,
            publisher=publisher,
            reason=f"derived from its children: {step.value.replace('_', ' ')}",
        )
    return bool(steps)


async def locked_request(session: AsyncSession, request_id: str) -> ServiceRequest | None:
    """The request, row-locked for the rest of the transaction (event handlers)."""
    query = (
        select(ServiceRequest)
        .where(col(ServiceRequest.id) == request_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.scalars(query)).first()


# --- SLA clocks -----------------------------------------------------------------------


async def stop_clocks(
    session: AsyncSession, request_id: str, clocks: Iterable[SlaClock], at: datetime
) -> None:
    names = [clock.value for clock in clocks]
    if not names:
        return
    await session.execute(
        update(SlaClockState)
        .where(
            col(SlaClockState.request_id) == request_id,
            col(SlaClockState.clock).in_(names),
            col(SlaClockState.stopped_at).is_(None),
        )
        .values(stopped_at=at)
        .execution_options(synchronize_session=False)
    )


async def acknowledge(session: AsyncSession, request: ServiceRequest, at: datetime) -> None:
    """The desk has looked at the request: its acknowledge clock stops."""
    await stop_clocks(session, request.id, [SlaClock.acknowledge], at)


# --- Approvals ------------------------------------------------------------------------


async def approval_rules_met(
    session: AsyncSession, request: ServiceRequest
) -> list[domain.ApprovalRuleSpec]:
    """The active approval rules a new request meets (rules are few: read them all)."""
    rules = (await session.scalars(select(ApprovalRule).where(col(ApprovalRule.active)))).all()
    return domain.rules_requiring_approval(
        [rule_spec(rule) for rule in rules],
        desk_code=request.desk_code,
        products=request.products,
        urgency=request.urgency,
        client_kind=request.client_kind,
    )


def rule_spec(rule: ApprovalRule) -> domain.ApprovalRuleSpec:
    return domain.ApprovalRuleSpec(
        id=rule.id,
        name=rule.name,
        desk_code=rule.desk_code,
        product_code=rule.product_code,
        urgency=rule.urgency,
        client_kind=rule.client_kind,
    )


def request_approval(
    session: AsyncSession,
    request: ServiceRequest,
    rules: list[domain.ApprovalRuleSpec],
    *,
    at: datetime,
    actor: str,
    publisher: Publisher,
) -> RequestApproval:
    """The request waits in awaiting_approval (its SLA clocks paused) until an approver
    decides: one approval row, one status move, one RequestApprovalRequested."""
    names = [rule.name for rule in rules]
    change_status(
        session,
        request,
        RequestStatus.awaiting_approval,
        at=at,
        actor=actor,
        publisher=publisher,
        reason=f"approval needed: {', '.join(names)}",
    )
    approval = RequestApproval(
        id=str(uuid.uuid4()),
        request_id=request.id,
        desk_code=request.desk_code,
        rules=names,
        rule_ids=[rule.id for rule in rules],
        requested_at=at,
    )
    session.add(approval)
    requested = RequestApprovalRequested(
        request_id=request.id,
        approval_id=approval.id,
        client_code=request.client_code,
        desk_code=request.desk_code,
        urgency=Urgency(request.urgency),
        rules=names,
        requested_at=at,
    )
    publisher.publish(requested)
    add_timeline(
        session,
        request.id,
        at=at,
        event_type=requested.type,
        actor=actor,
        summary=f"approval requested from the desk chief ({', '.join(names)})",
    )
    return approval


async def pending_approval(session: AsyncSession, request: ServiceRequest) -> RequestApproval:
    """The undecided approval of a request awaiting approval (refused otherwise)."""
    if request.status != RequestStatus.awaiting_approval:
        raise DomainError(
            "ILLEGAL_TRANSITION",
            f"the request is {request.status}, not awaiting approval",
            from_status=request.status,
        )
    approval = (
        await session.scalars(
            select(RequestApproval).where(
                col(RequestApproval.request_id) == request.id,
                col(RequestApproval.decided_at).is_(None),
            )
        )
    ).first()
    if approval is None:  # a request never waits without its approval row
        raise DomainError("CONFLICT", f"request {request.id} has no pending approval")
    return approval


# --- Routings -------------------------------------------------------------------------


def add_routing(
    session: AsyncSession,
    request: ServiceRequest,
    product_code: str,
    details: dict[str, Any],
    *,
    at: datetime,
    actor: str,
    publisher: Publisher,
) -> Routing:
    """Route one product of the request to its provider: a routing row and its event."""
    routing = Routing(
        id=str(uuid.uuid4()),
        request_id=request.id,
        product_code=product_code,
        status=RoutingStatus.routed.value,
        routed_at=at,
        updated_at=at,
    )
    session.add(routing)
    routed = RequestRouted(
        request_id=request.id,
        routing_id=routing.id,
        product_code=product_code,
        client_code=request.client_code,
        client_kind=ClientKind(request.client_kind),
        country=request.country,
        region=request.region,
        desk_code=request.desk_code,
        title=request.title,
        description=request.description,
        urgency=Urgency(request.urgency),
        details=details,
        routed_by=actor,
        routed_at=at,
    )
    publisher.publish(routed)
    add_timeline(
        session,
        request.id,
        at=at,
        event_type=routed.type,
        actor=actor,
        summary=f"routed to {product_code}",
    )
    return routing


async def follow_routings(
    session: AsyncSession,
    request: ServiceRequest,
    *,
    at: datetime,
    actor: str,
    publisher: Publisher,
) -> bool:
    """Move the request to where its routings put it, one status at a time; whether
    it moved."""
    await session.flush()
    routings = (await routings_of(session, [request.id]))[request.id]
    target = domain.status_from_routings([RoutingStatus(routing.status) for routing in routings])
    steps = domain.path_to(RequestStatus(request.status), target)
    for step in steps:
        await move(
            session, request, step, at=at, actor=actor, publisher=publisher, reason=_WHY.get(step)
        )
    return bool(steps)


_WHY = {
    RequestStatus.triaged: "a provider declined; back to the desk",
    RequestStatus.routed: "products routed to their providers",
    RequestStatus.in_progress: "all engagements accepted",
    RequestStatus.delivered: "all engagements delivered",
}


# --- Overlaps -------------------------------------------------------------------------


async def flag_overlaps(
    session: AsyncSession,
    request: ServiceRequest,
    *,
    at: datetime,
    publisher: Publisher,
    min_similarity: float,
    min_similarity_without_products: float,
    max_candidates: int,
    max_links: int,
) -> int:
    """Link the request to open requests of the same country that look like the same
    need, whoever asked; one link and one event per side, so both desks see it.

    Only the columns the comparison needs are read, and at most `max_links` new links
    are made (the most similar): a desk needs to know of a few look-alikes, and a burst
    of identical requests must not multiply links and events quadratically."""
    rows = (await session.execute(overlap_candidates(request, max_candidates))).all()
    desks_by_id = {row.id: row.desk_code for row in rows}
    overlaps = domain.find_overlaps(
        _open(request),
        [
            domain.OpenRequest(
                id=row.id,
                country=row.country,
                products=frozenset(row.products),
                words=frozenset(row.match_words.split()),
            )
            for row in rows
        ],
        min_similarity=min_similarity,
        min_similarity_without_products=min_similarity_without_products,
        max_links=max_links,
    )
    this = _Party(request.id, request.desk_code, request.country)
    links: list[dict[str, Any]] = []
    timeline: list[dict[str, Any]] = []
    for overlap in overlaps:
        other = _Party(overlap.other_id, desks_by_id[overlap.other_id], request.country)
        for one, two in ((this, other), (other, this)):
            link, entry = _link(one, two, overlap, at=at, publisher=publisher)
            links.append(link)
            timeline.append(entry)
    if links:
        # Bulk INSERTs, not an ORM object and a statement per row: nothing in the
        # transaction needs these rows as objects.
        await session.execute(insert(OverlapLink), links)
        journal.keep(session, TIMELINE, timeline)
    return len(overlaps)


def overlap_candidates(
    request: ServiceRequest, max_candidates: int
) -> Select[str, str, str, list[str], str]:
    """The newest open requests of the request's country not yet linked to it. Read
    through the (country, created_at) index newest first, so its cost is bounded by
    `max_candidates`, not by how many requests are stored."""
    return (
        select(
            col(ServiceRequest.id),
            col(ServiceRequest.desk_code),
            col(ServiceRequest.country),
            col(ServiceRequest.products),
            col(ServiceRequest.match_words),
        )
        .where(
            col(ServiceRequest.country) == request.country,
            col(ServiceRequest.id) != request.id,
            # A child made from its parent shares its words: that is the split, not a duplicate.
            col(ServiceRequest.id) != (request.parent_id or ""),
            col(ServiceRequest.status).in_([s.value for s in domain.OPEN_STATUSES]),
            ~exists().where(
                col(OverlapLink.request_id) == request.id,
                col(OverlapLink.other_request_id) == col(ServiceRequest.id),
            ),
        )
        .order_by(col(ServiceRequest.created_at).desc())
        .limit(max_candidates)
    )


@dataclass(frozen=True)
class _Party:
    id: str
    desk_code: str
    country: str


def _open(request: ServiceRequest) -> domain.OpenRequest:
    return domain.OpenRequest(
        id=request.id,
        country=request.country,
        products=frozenset(request.products),
        words=frozenset(request.match_words.split()),
    )


def _link(
    this: _Party,
    that: _Party,
    overlap: domain.Overlap,
    *,
    at: datetime,
    publisher: Publisher,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Publish one side's flag; return its link row and its timeline row."""
    flagged = RequestOverlapFlagged(
        request_id=this.id,
        other_request_id=that.id,
        desk_code=this.desk_code,
        other_desk_code=that.desk_code,
        country=this.country,
        shared_products=list(overlap.shared_products),
        similarity=overlap.similarity,
        flagged_at=at,
    )
    publisher.publish(flagged)
    link = {
        "request_id": this.id,
        "other_request_id": that.id,
        "shared_products": list(overlap.shared_products),
        "similarity": overlap.similarity,
        "flagged_at": at,
    }
    shared = ", ".join(overlap.shared_products) or "none named yet"
    # The timeline is the client's too: it says an overlap exists, never whose.
    entry = {
        "request_id": this.id,
        "at": at,
        "event_type": flagged.type,
        "actor": "desks:overlap-detection",
        "summary": f"possible overlap with another open request in {this.country} "
        f"(shared products: {shared}); the desk coordinates",
    }
    return link, entry


async def catalog_of(session: AsyncSession, codes: Iterable[str]) -> dict[str, domain.KnownProduct]:
    """The local catalog copy's entries for these codes (unknown codes are absent)."""
    rows = (
        await session.scalars(
            select(CatalogProduct).where(col(CatalogProduct.code).in_(list(codes)))
        )
    ).all()
    return {row.code: domain.KnownProduct(row.code, row.active, row.request_form) for row in rows}
