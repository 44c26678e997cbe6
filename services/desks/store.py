"""Persistence steps shared by the desks' routes and event handlers.

Each function works inside the caller's transaction and never commits.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    Table,
    bindparam,
    exists,
    false,
    func,
    select,
    true,
    type_coerce,
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
from shared.db import AsyncSession, UTCDateTime
from shared.errors import DomainError
from shared.messaging import Publisher
from shared.queries import grouped

TIMELINE: Table = TimelineEntry.__table__  # type: ignore[attr-defined]
STATUS_CHANGES: Table = StatusChange.__table__  # type: ignore[attr-defined]
OVERLAP_LINKS: Table = OverlapLink.__table__  # type: ignore[attr-defined]
ROUTINGS: Table = Routing.__table__  # type: ignore[attr-defined]


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
    await session.execute(_STOP_CLOCKS, {"of_request": request_id, "clocks": names, "stop_at": at})


# Built once: each move only binds its request, clocks and moment.
_STOP_CLOCKS = (
    update(SlaClockState)
    .where(
        col(SlaClockState.request_id) == bindparam("of_request"),
        col(SlaClockState.clock).in_(bindparam("clocks", expanding=True)),
        col(SlaClockState.stopped_at).is_(None),
    )
    .values(stopped_at=bindparam("stop_at", type_=UTCDateTime()))
    .execution_options(synchronize_session=False)
)


async def acknowledge(session: AsyncSession, request: ServiceRequest, at: datetime) -> None:
    """The desk has looked at the request: its acknowledge clock stops."""
    await stop_clocks(session, request.id, [SlaClock.acknowledge], at)


# --- Approvals ------------------------------------------------------------------------


def rules_met(
    active: list[domain.ApprovalRuleSpec], request: ServiceRequest
) -> list[domain.ApprovalRuleSpec]:
    """Which of the active approval rules a new request meets."""
    return domain.rules_requiring_approval(
        active,
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


def await_approval(
    session: AsyncSession,
    request: ServiceRequest,
    rules: list[domain.ApprovalRuleSpec],
    *,
    at: datetime,
    actor: str,
    publisher: Publisher,
) -> None:
    """A request that meets approval rules waits for its approver: one status move.
    Then `request_approval` records what it waits for (apart, so intake can insert the
    request at its final intake status before the rows that refer to it)."""
    change_status(
        session,
        request,
        RequestStatus.awaiting_approval,
        at=at,
        actor=actor,
        publisher=publisher,
        reason=f"approval needed: {', '.join(rule.name for rule in rules)}",
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
    """The approval row and RequestApprovalRequested of a request `await_approval` moved
    to awaiting_approval (its SLA clocks paused) until an approver decides."""
    names = [rule.name for rule in rules]
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
) -> dict[str, Any]:
    """Route one product of the request to its provider: a routing row and its event.

    The row is kept for the journal's bulk INSERT (services/desks/journal.py), written
    before any query of the transaction (so `routings_of` and the answer's handlers read
    it as they would a flushed object); returned for intake's answer. As an ORM object
    it cost more to build, add and flush than the rest of its routing."""
    routing_id = str(uuid.uuid4())
    routing: dict[str, Any] = {
        "id": routing_id,
        "request_id": request.id,
        "product_code": product_code,
        "status": RoutingStatus.routed.value,
        "engagement_id": None,
        "engagement_status": None,
        "decline_reason_code": None,
        "decline_reason": None,
        "routed_at": at,
        "updated_at": at,
    }
    journal.keep(session, ROUTINGS, [routing])
    routed = RequestRouted(
        request_id=request.id,
        routing_id=routing_id,
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
    routings: Sequence[Routing] | None = None,
    bump: bool = False,
) -> bool:
    """Move the request to where its routings put it, one status at a time; whether
    it moved. `routings`: all of the request's routings as they now stand, when the
    caller holds them (read otherwise); `bump`: the request's version grows once if it
    moves (an event handler's change), before the moves, so one UPDATE carries both."""
    if routings is None:
        await session.flush()
        routings = (await routings_of(session, [request.id]))[request.id]
    target = domain.status_from_routings([RoutingStatus(routing.status) for routing in routings])
    steps = domain.path_to(RequestStatus(request.status), target)
    if steps and bump:
        bump_version(request)
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
    need, whoever asked; one link and one event per side, so both desks see it."""
    found = await find_overlaps(
        session,
        request,
        min_similarity=min_similarity,
        min_similarity_without_products=min_similarity_without_products,
        max_candidates=max_candidates,
        max_links=max_links,
    )
    return link_overlaps(session, request, found, at=at, publisher=publisher)


@dataclass(frozen=True)
class FoundOverlaps:
    """What `find_overlaps` read and decided: the overlaps, and each other side's desk."""

    overlaps: list[domain.Overlap]
    desks_by_id: dict[str, str]


async def find_overlaps(
    session: AsyncSession,
    request: ServiceRequest,
    *,
    min_similarity: float,
    min_similarity_without_products: float,
    max_candidates: int,
    max_links: int,
) -> FoundOverlaps:
    """The open requests of the request's country that look like the same need, at most
    `max_links` of them (the most similar): a desk needs to know of a few look-alikes,
    and a burst of identical requests must not multiply links and events quadratically.

    One statement with bound parameters, built once; only the columns the comparison
    needs, read as their stored text and parsed through a cache (the same candidates
    come back request after request), never as ORM objects."""
    rows = (
        await session.execute(
            OVERLAP_CANDIDATES, overlap_candidate_parameters(request, max_candidates)
        )
    ).all()
    overlaps = domain.find_overlaps(
        _open(request),
        [
            _candidate(row.id, row.country, _products_of(row.products), row.match_words)
            for row in rows
        ],
        min_similarity=min_similarity,
        min_similarity_without_products=min_similarity_without_products,
        max_links=max_links,
    )
    chosen = {overlap.other_id for overlap in overlaps}
    return FoundOverlaps(overlaps, {row.id: row.desk_code for row in rows if row.id in chosen})


def link_overlaps(
    session: AsyncSession,
    request: ServiceRequest,
    found: FoundOverlaps,
    *,
    at: datetime,
    publisher: Publisher,
) -> int:
    """Write what `find_overlaps` found: a link, an event and a timeline entry per side;
    how many requests the request overlaps."""
    this = _Party(request.id, request.desk_code, request.country)
    links: list[dict[str, Any]] = []
    timeline: list[dict[str, Any]] = []
    for overlap in found.overlaps:
        other = _Party(overlap.other_id, found.desks_by_id[overlap.other_id], request.country)
        for one, two in ((this, other), (other, this)):
            link, entry = _link(one, two, overlap, at=at, publisher=publisher)
            links.append(link)
            timeline.append(entry)
    if links:
        # Bulk rows, not an ORM object and a statement per row: nothing in the
        # transaction needs these rows as objects.
        journal.keep(session, OVERLAP_LINKS, links)
        journal.keep(session, TIMELINE, timeline)
    return len(found.overlaps)


def overlap_candidate_parameters(request: ServiceRequest, max_candidates: int) -> dict[str, Any]:
    """What `OVERLAP_CANDIDATES` binds for one request."""
    return {
        "country": request.country,
        "id": request.id,
        # A child made from its parent shares its words: that is the split, not a duplicate.
        "parent_id": request.parent_id or "",
        "open": _OPEN_STATUS_VALUES,
        "limit": max_candidates,
    }


_OPEN_STATUS_VALUES = [status.value for status in domain.OPEN_STATUSES]

# The newest open requests of a country not yet linked to the request. Read through the
# (country, created_at) index newest first, so its cost is bounded by the limit, not by
# how many requests are stored. `products` is read as its stored JSON text: parsed (and
# cached) by `_products_of`, not by the column type for each of a hundred rows.
OVERLAP_CANDIDATES = (
    select(
        col(ServiceRequest.id),
        col(ServiceRequest.desk_code),
        col(ServiceRequest.country),
        type_coerce(col(ServiceRequest.products), String).label("products"),
        col(ServiceRequest.match_words),
    )
    .where(
        col(ServiceRequest.country) == bindparam("country"),
        col(ServiceRequest.id) != bindparam("id"),
        col(ServiceRequest.id) != bindparam("parent_id"),
        col(ServiceRequest.status).in_(bindparam("open", expanding=True)),
        ~exists().where(
            col(OverlapLink.request_id) == bindparam("id"),
            col(OverlapLink.other_request_id) == col(ServiceRequest.id),
        ),
    )
    .order_by(col(ServiceRequest.created_at).desc())
    .limit(bindparam("limit", type_=Integer))
)


def _products_of(stored: str | list[str]) -> frozenset[str]:
    """A candidate's products: SQLite hands back the stored JSON text (parsed once per
    distinct list: few recur), asyncpg a list it decoded already."""
    return _parsed_products(stored) if isinstance(stored, str) else frozenset(stored)


@lru_cache(maxsize=256)
def _parsed_products(stored: str) -> frozenset[str]:
    return frozenset(json.loads(stored))


@lru_cache(maxsize=4096)
def _candidate(
    request_id: str, country: str, products: frozenset[str], match_words: str
) -> domain.OpenRequest:
    """A candidate as the comparison takes it; the newest open requests of a country are
    the candidates of request after request, so each is built (its text split) once, not
    once per new request."""
    return domain.OpenRequest(
        id=request_id, country=country, products=products, words=frozenset(match_words.split())
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
