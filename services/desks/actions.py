"""Commands on a request: what desk officers and clients do to it.

Every command names the version its caller saw (`expected_version`); the row is
locked, the version compared, and a mismatch refused with VERSION_CONFLICT, so two
officers acting at once cannot overwrite each other. Then the domain decides, and
the change, its timeline entries and its events commit together.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, status
from pydantic import BaseModel, Field, HttpUrl

from contracts.events import ClientKind, DeclineReason, RequestAssigned, UnmetDemandRecorded
from services.desks import domain
from services.desks.domain import RequestStatus, RoutingStatus
from services.desks.models import Attachment, Comment, Routing, ServiceRequest, UnmetDemand
from services.desks.settings import SettingsDep
from services.desks.store import (
    Publish,
    acknowledge,
    add_routing,
    add_timeline,
    catalog_of,
    flag_overlaps,
    follow_routings,
    move,
    routings_of,
    shift_running_clocks,
    visible_request,
)
from services.desks.views import (
    AttachmentPublic,
    CommentPublic,
    RequestPublic,
    attachment_public,
    comment_public,
    present,
)
from shared.auth import CurrentPrincipal, Principal, Role
from shared.db import AsyncSession
from shared.errors import DomainError, check_version
from shared.messaging import Outbox
from shared.service import ClockDep, OutboxDep, SessionDep

router = APIRouter(tags=["actions"])

DESK = (Role.desk_officer, Role.admin)
OWNER_MAX = 300


class Versioned(BaseModel):
    expected_version: int = Field(ge=1, description="The version the caller saw")


class TriageBody(Versioned):
    owner: str | None = Field(default=None, max_length=OWNER_MAX)
    note: str | None = Field(default=None, max_length=domain.MAX_REASON)


class RouteBody(Versioned):
    products: list[str] = Field(max_length=50)
    details: dict[str, dict[str, Any]] = Field(default_factory=dict)
    owner: str | None = Field(default=None, max_length=OWNER_MAX)


class AssignBody(Versioned):
    owner: str = Field(min_length=1, max_length=OWNER_MAX)


class ReasonBody(Versioned):
    reason: str | None = Field(default=None, max_length=domain.MAX_REASON * 2)


class ConfirmBody(Versioned):
    satisfaction_score: int | None = None
    satisfaction_comment: str | None = Field(default=None, max_length=domain.MAX_COMMENT * 2)


class RerouteBody(Versioned):
    routing_id: str = Field(max_length=36)
    product_code: str | None = Field(
        default=None, max_length=64, description="Another product; the same one when absent"
    )
    details: dict[str, Any] | None = None


class UnmetDemandBody(Versioned):
    routing_id: str = Field(max_length=36)
    note: str = Field(max_length=domain.MAX_REASON * 2)


class CommentBody(BaseModel):
    body: str = Field(max_length=domain.MAX_COMMENT * 2)
    internal: bool = Field(default=False, description="A desk note the client never sees")


class AttachmentBody(BaseModel):
    name: str = Field(min_length=1, max_length=300)
    media_type: str = Field(pattern=r"^[\w.+-]+/[\w.+-]+$", max_length=200)
    size_bytes: int = Field(ge=0, le=10 * 1024**3)
    url: HttpUrl


async def _acted_on(
    session: AsyncSession,
    principal: Principal,
    request_id: str,
    expected_version: int,
    *roles: Role,
) -> ServiceRequest:
    principal.require(*roles)
    request = await visible_request(session, principal, request_id, for_update=True)
    check_version("the request", current=request.version, expected=expected_version)
    return request


def _publisher(session: AsyncSession, outbox: Outbox) -> Publish:
    return lambda event: outbox.add(session, event)


async def _answer(session: AsyncSession, request: ServiceRequest) -> RequestPublic:
    await session.flush()
    return (await present(session, [request]))[0]


@router.post("/requests/{request_id}/triage", response_model=RequestPublic)
async def triage_request(
    request_id: str,
    body: TriageBody,
    principal: CurrentPrincipal,
    session: SessionDep,
    outbox: OutboxDep,
    clock: ClockDep,
) -> RequestPublic:
    """Take a submitted request into the desk's work (optionally with an owner),
    before deciding its products."""
    async with session.begin():
        request = await _acted_on(session, principal, request_id, body.expected_version, *DESK)
        now, publish = clock.now(), _publisher(session, outbox)
        await acknowledge(session, request, now)
        await move(
            session,
            request,
            RequestStatus.triaged,
            at=now,
            actor=principal.actor,
            publish=publish,
            reason=body.note or "taken into triage",
        )
        if body.owner:
            _assign(session, request, body.owner, principal, now, publish)
        return await _answer(session, request)


@router.post("/requests/{request_id}/route", response_model=RequestPublic)
async def route_request(
    request_id: str,
    body: RouteBody,
    principal: CurrentPrincipal,
    session: SessionDep,
    outbox: OutboxDep,
    clock: ClockDep,
    settings: SettingsDep,
) -> RequestPublic:
    """Triage and route: name the products a request needs (each becomes its own
    routing and engagement), with their details, and optionally an owner."""
    async with session.begin():
        request = await _acted_on(session, principal, request_id, body.expected_version, *DESK)
        routings = (await routings_of(session, [request.id]))[request.id]
        domain.validate_routing(
            status=RequestStatus(request.status),
            products=body.products,
            details=body.details,
            catalog=await catalog_of(session, body.products),
            routings=[(r.product_code, RoutingStatus(r.status)) for r in routings],
        )
        now, publish, actor = clock.now(), _publisher(session, outbox), principal.actor
        await acknowledge(session, request, now)
        if body.owner and body.owner != request.owner:
            _assign(session, request, body.owner, principal, now, publish)
        if request.status == RequestStatus.submitted:
            await move(
                session,
                request,
                RequestStatus.triaged,
                at=now,
                actor=actor,
                publish=publish,
                reason=f"products chosen by the desk: {', '.join(body.products)}",
            )
        request.products = sorted({*request.products, *body.products})
        request.details = {**request.details, **body.details}
        for code in body.products:
            add_routing(
                session,
                request,
                code,
                body.details.get(code, {}),
                at=now,
                actor=actor,
                publish=publish,
            )
        await follow_routings(session, request, at=now, actor=actor, publish=publish)
        await flag_overlaps(
            session, request, at=now, publish=publish, **settings.overlap_thresholds()
        )
        return await _answer(session, request)


@router.post("/requests/{request_id}/assign", response_model=RequestPublic)
async def assign_request(
    request_id: str,
    body: AssignBody,
    principal: CurrentPrincipal,
    session: SessionDep,
    outbox: OutboxDep,
    clock: ClockDep,
) -> RequestPublic:
    """Give the request an owner at the desk (or hand it to a colleague)."""
    async with session.begin():
        request = await _acted_on(session, principal, request_id, body.expected_version, *DESK)
        if RequestStatus(request.status) in domain.TERMINAL_STATUSES:
            raise DomainError(
                "ILLEGAL_TRANSITION",
                f"a {request.status} request takes no new owner",
                from_status=request.status,
            )
        if body.owner == request.owner:
            raise DomainError("CONFLICT", f"{body.owner} already owns the request")
        now = clock.now()
        await acknowledge(session, request, now)
        _assign(session, request, body.owner, principal, now, _publisher(session, outbox))
        return await _answer(session, request)


def _assign(
    session: AsyncSession,
    request: ServiceRequest,
    owner: str,
    principal: Principal,
    now: datetime,
    publish: Publish,
) -> None:
    assigned = RequestAssigned(
        request_id=request.id,
        client_code=request.client_code,
        desk_code=request.desk_code,
        owner=owner,
        previous_owner=request.owner,
        assigned_by=principal.actor,
        assigned_at=now,
    )
    request.owner = owner
    request.version += 1
    request.updated_at = now
    session.add(request)
    publish(assigned)
    add_timeline(
        session,
        request.id,
        at=now,
        event_type=assigned.type,
        actor=principal.actor,
        summary=f"owner: {owner}"
        + (f" (was {assigned.previous_owner})" if assigned.previous_owner else ""),
    )


@router.post("/requests/{request_id}/hold", response_model=RequestPublic)
async def hold_request(
    request_id: str,
    body: ReasonBody,
    principal: CurrentPrincipal,
    session: SessionDep,
    outbox: OutboxDep,
    clock: ClockDep,
) -> RequestPublic:
    """Put a request on hold (waiting for the client, for security, ...); its SLA
    clocks pause until it resumes."""
    async with session.begin():
        request = await _acted_on(session, principal, request_id, body.expected_version, *DESK)
        reason = domain.require_reason(body.reason, "a hold")
        now = clock.now()
        held_from = request.status
        await acknowledge(session, request, now)
        await move(
            session,
            request,
            RequestStatus.on_hold,
            at=now,
            actor=principal.actor,
            publish=_publisher(session, outbox),
            reason=reason,
        )
        request.held_from, request.held_since, request.status_reason = held_from, now, reason
        return await _answer(session, request)


@router.post("/requests/{request_id}/resume", response_model=RequestPublic)
async def resume_request(
    request_id: str,
    body: Versioned,
    principal: CurrentPrincipal,
    session: SessionDep,
    outbox: OutboxDep,
    clock: ClockDep,
) -> RequestPublic:
    """Resume a held request where it was, then apply what providers answered meanwhile."""
    async with session.begin():
        request = await _acted_on(session, principal, request_id, body.expected_version, *DESK)
        now, publish = clock.now(), _publisher(session, outbox)
        target = domain.resume_status(request.held_from)
        held_since = request.held_since
        await move(
            session,
            request,
            target,
            at=now,
            actor=principal.actor,
            publish=publish,
            reason="resumed",
        )
        if held_since is not None:
            await shift_running_clocks(session, request.id, now - held_since)
        request.held_from, request.held_since, request.status_reason = None, None, None
        await follow_routings(session, request, at=now, actor="desks:automation", publish=publish)
        return await _answer(session, request)


@router.post("/requests/{request_id}/reject", response_model=RequestPublic)
async def reject_request(
    request_id: str,
    body: ReasonBody,
    principal: CurrentPrincipal,
    session: SessionDep,
    outbox: OutboxDep,
    clock: ClockDep,
) -> RequestPublic:
    """Refuse a request the desk cannot take, with the reason the client will read."""
    async with session.begin():
        request = await _acted_on(session, principal, request_id, body.expected_version, *DESK)
        reason = domain.require_reason(body.reason, "a rejection")
        await move(
            session,
            request,
            RequestStatus.rejected,
            at=clock.now(),
            actor=principal.actor,
            publish=_publisher(session, outbox),
            reason=reason,
        )
        request.status_reason = reason
        return await _answer(session, request)


@router.post("/requests/{request_id}/withdraw", response_model=RequestPublic)
async def withdraw_request(
    request_id: str,
    body: ReasonBody,
    principal: CurrentPrincipal,
    session: SessionDep,
    outbox: OutboxDep,
    clock: ClockDep,
) -> RequestPublic:
    """The client no longer needs it."""
    async with session.begin():
        request = await _acted_on(
            session, principal, request_id, body.expected_version, Role.client
        )
        reason = (body.reason or "").strip() or "withdrawn by the client"
        await move(
            session,
            request,
            RequestStatus.withdrawn,
            at=clock.now(),
            actor=principal.actor,
            publish=_publisher(session, outbox),
            reason=reason,
        )
        request.status_reason = reason
        return await _answer(session, request)


@router.post("/requests/{request_id}/confirm", response_model=RequestPublic)
async def confirm_request(
    request_id: str,
    body: ConfirmBody,
    principal: CurrentPrincipal,
    session: SessionDep,
    outbox: OutboxDep,
    clock: ClockDep,
) -> RequestPublic:
    """The client confirms delivery and closes the request, optionally saying how
    satisfied it is (1-5) and why."""
    async with session.begin():
        request = await _acted_on(
            session, principal, request_id, body.expected_version, Role.client
        )
        domain.check_satisfaction(body.satisfaction_score, body.satisfaction_comment)
        await move(
            session,
            request,
            RequestStatus.closed,
            at=clock.now(),
            actor=principal.actor,
            publish=_publisher(session, outbox),
            reason="delivery confirmed by the client",
            satisfaction_score=body.satisfaction_score,
        )
        request.satisfaction_score = body.satisfaction_score
        request.satisfaction_comment = body.satisfaction_comment
        return await _answer(session, request)


async def _declined_routing(
    session: AsyncSession, request: ServiceRequest, routing_id: str
) -> Routing:
    routing = await session.get(Routing, routing_id)
    if routing is None or routing.request_id != request.id:
        raise DomainError("NOT_FOUND", f"request has no routing {routing_id}")
    if routing.status != RoutingStatus.declined:
        raise DomainError(
            "CONFLICT",
            f"routing {routing_id} is {routing.status}; only a declined routing is resolved",
        )
    return routing


@router.post("/requests/{request_id}/reroute", response_model=RequestPublic)
async def reroute_request(
    request_id: str,
    body: RerouteBody,
    principal: CurrentPrincipal,
    session: SessionDep,
    outbox: OutboxDep,
    clock: ClockDep,
) -> RequestPublic:
    """After a decline: send the product again (capacity may have freed up), or route
    the need to another product instead."""
    async with session.begin():
        request = await _acted_on(session, principal, request_id, body.expected_version, *DESK)
        declined = await _declined_routing(session, request, body.routing_id)
        code = body.product_code or declined.product_code
        details = body.details if body.details is not None else request.details.get(code, {})
        others = [
            (r.product_code, RoutingStatus(r.status))
            for r in (await routings_of(session, [request.id]))[request.id]
            if r.id != declined.id and r.status != RoutingStatus.declined
        ]
        domain.validate_routing(
            status=RequestStatus(request.status),
            products=[code],
            details={code: details},
            catalog=await catalog_of(session, [code]),
            routings=others,
        )
        now, publish, actor = clock.now(), _publisher(session, outbox), principal.actor
        await acknowledge(session, request, now)
        declined.status, declined.updated_at = RoutingStatus.rerouted.value, now
        session.add(declined)
        request.products = sorted({*request.products, code})
        request.details = {**request.details, code: details}
        add_routing(session, request, code, details, at=now, actor=actor, publish=publish)
        await follow_routings(session, request, at=now, actor=actor, publish=publish)
        return await _answer(session, request)


@router.post("/requests/{request_id}/unmet-demand", response_model=RequestPublic)
async def record_unmet_demand(
    request_id: str,
    body: UnmetDemandBody,
    principal: CurrentPrincipal,
    session: SessionDep,
    outbox: OutboxDep,
    clock: ClockDep,
) -> RequestPublic:
    """After a decline nobody else can take: keep the gap on record (and tell the
    products service), then let the request go on with what remains."""
    async with session.begin():
        request = await _acted_on(session, principal, request_id, body.expected_version, *DESK)
        declined = await _declined_routing(session, request, body.routing_id)
        note = domain.require_reason(body.note, "unmet demand")
        now, publish, actor = clock.now(), _publisher(session, outbox), principal.actor
        await acknowledge(session, request, now)
        declined.status, declined.updated_at = RoutingStatus.unmet.value, now
        session.add(declined)
        recorded = UnmetDemandRecorded(
            request_id=request.id,
            product_code=declined.product_code,
            client_code=request.client_code,
            client_kind=ClientKind(request.client_kind),
            country=request.country,
            region=request.region,
            desk_code=request.desk_code,
            reason_code=DeclineReason(declined.decline_reason_code or DeclineReason.other.value),
            note=note,
            recorded_by=actor,
            recorded_at=now,
        )
        session.add(_unmet_row(recorded, routing_id=declined.id))
        publish(recorded)
        add_timeline(
            session,
            request.id,
            at=now,
            event_type=recorded.type,
            actor=actor,
            summary=f"unmet demand for {declined.product_code}: {note}",
        )
        request.version += 1
        request.updated_at = now
        await follow_routings(session, request, at=now, actor=actor, publish=publish)
        return await _answer(session, request)


def _unmet_row(event: UnmetDemandRecorded, *, routing_id: str) -> UnmetDemand:
    return UnmetDemand(
        id=str(uuid.uuid4()),
        routing_id=routing_id,
        **event.model_dump(exclude={"client_kind"}),
    )


@router.post(
    "/requests/{request_id}/comments",
    status_code=status.HTTP_201_CREATED,
    response_model=CommentPublic,
)
async def comment_on_request(
    request_id: str,
    body: CommentBody,
    principal: CurrentPrincipal,
    session: SessionDep,
    clock: ClockDep,
) -> CommentPublic:
    """Say something on the request. A comment appends; it does not change the
    request, so it needs no version and never conflicts."""
    principal.require(Role.client, *DESK)
    text = body.body.strip()
    if not text or len(text) > domain.MAX_COMMENT:
        raise DomainError(
            "BAD_USER_INPUT", f"a comment has 1 to {domain.MAX_COMMENT} characters", field="body"
        )
    if body.internal and principal.role is Role.client:
        raise DomainError("FORBIDDEN", "internal notes are the desk's")
    async with session.begin():
        request = await visible_request(session, principal, request_id)
        now = clock.now()
        comment = Comment(
            id=str(uuid.uuid4()),
            request_id=request.id,
            author=principal.actor,
            author_role=principal.role.value,
            body=text,
            internal=body.internal,
            created_at=now,
        )
        session.add(comment)
        if principal.role is not Role.client:
            await acknowledge(session, request, now)
        if not body.internal:  # the timeline is the client's too
            add_timeline(
                session,
                request.id,
                at=now,
                event_type="onedoor.desks.comment",
                actor=principal.actor,
                summary=f"comment from the {'client' if principal.role is Role.client else 'desk'}",
            )
        return comment_public(comment)


@router.post(
    "/requests/{request_id}/attachments",
    status_code=status.HTTP_201_CREATED,
    response_model=AttachmentPublic,
)
async def attach_to_request(
    request_id: str,
    body: AttachmentBody,
    principal: CurrentPrincipal,
    session: SessionDep,
    clock: ClockDep,
) -> AttachmentPublic:
    """Attach a document by reference (the file stays where it is)."""
    principal.require(Role.client, *DESK)
    async with session.begin():
        request = await visible_request(session, principal, request_id)
        now = clock.now()
        attachment = Attachment(
            id=str(uuid.uuid4()),
            request_id=request.id,
            name=body.name.strip(),
            media_type=body.media_type,
            size_bytes=body.size_bytes,
            url=str(body.url),
            added_by=principal.actor,
            added_at=now,
        )
        session.add(attachment)
        add_timeline(
            session,
            request.id,
            at=now,
            event_type="onedoor.desks.attachment",
            actor=principal.actor,
            summary=f"attached {attachment.name} ({attachment.media_type})",
        )
        return attachment_public(attachment)
