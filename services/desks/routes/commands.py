"""Commands on a request: what desk officers and clients do to it.

Each runs through the command pipeline (shared/commands.py): the request is locked,
the version its caller saw (`expected_version`) compared and bumped, so two officers
acting at once cannot overwrite each other. Then the domain decides, and the change,
its timeline entries and its events commit together.
"""

from __future__ import annotations

import uuid
from contextlib import AbstractAsyncContextManager
from datetime import timedelta

from fastapi import APIRouter, status

from contracts.enums import ClientKind, DeclineReason, RequestStatus
from contracts.events import (
    RequestAssigned,
    RequestCommentAdded,
    RequestDisputed,
    RequestReopened,
    UnmetDemandRecorded,
)
from contracts.http.common import ExpectedVersion
from contracts.http.desks.requests import (
    AssignBody,
    AttachmentBody,
    CommentBody,
    ConfirmBody,
    ReasonBody,
    RerouteBody,
    RouteBody,
    TriageBody,
    UnmetDemandBody,
)
from contracts.http.desks.responses import AttachmentPublic, CommentPublic, RequestPublic
from services.desks import domain, search
from services.desks.clocks import resume_clocks
from services.desks.domain import RoutingStatus
from services.desks.models import Attachment, Comment, Routing, ServiceRequest, UnmetDemand
from services.desks.routes.attachments import announce_attachment
from services.desks.settings import SettingsDep
from services.desks.store import (
    acknowledge,
    add_routing,
    add_timeline,
    catalog_of,
    flag_overlaps,
    follow_routings,
    move,
    routings_of,
    status_entered_at,
    visibility,
    visible_request,
)
from services.desks.views import attachment_public, comment_public, present
from shared.auth import CurrentPrincipal, Principal, Role
from shared.commands import (
    Aggregate,
    Change,
    CommandsDep,
)
from shared.db import AsyncSession
from shared.errors import DomainError

router = APIRouter(tags=["actions"])

DESK = (Role.desk_officer, Role.admin)

REQUEST = Aggregate(ServiceRequest, name="the request", not_found="REQUEST_NOT_FOUND")


def request_change(
    commands: CommandsDep,
    principal: Principal,
    request_id: str,
    body: ExpectedVersion,
    *roles: Role,
) -> AbstractAsyncContextManager[Change[ServiceRequest]]:
    """A command on a request the caller may see, by one of `roles` (every desks route
    that changes a request opens with it)."""
    principal.require(*roles)
    return commands.change(
        REQUEST, request_id, visibility(principal), expected_version=body.expected_version
    )


async def present_request(session: AsyncSession, request: ServiceRequest) -> RequestPublic:
    return (await present(session, [request]))[0]


@router.post("/requests/{request_id}/triage", response_model=RequestPublic)
async def triage_request(
    request_id: str, body: TriageBody, principal: CurrentPrincipal, commands: CommandsDep
) -> RequestPublic:
    """Take a submitted request into the desk's work (optionally with an owner),
    before deciding its products."""
    async with request_change(commands, principal, request_id, body, *DESK) as change:
        request, session, now = change.aggregate, change.session, change.now
        await acknowledge(session, request, now)
        await move(
            session,
            request,
            RequestStatus.triaged,
            at=now,
            actor=principal.actor,
            publisher=change,
            reason=body.note or "taken into triage",
        )
        if body.owner:
            _assign(change, body.owner, principal)
        return await change.present(present_request)


@router.post("/requests/{request_id}/route", response_model=RequestPublic)
async def route_request(
    request_id: str,
    body: RouteBody,
    principal: CurrentPrincipal,
    commands: CommandsDep,
    settings: SettingsDep,
) -> RequestPublic:
    """Triage and route: name the products a request needs (each becomes its own
    routing and engagement), with their details, and optionally an owner."""
    async with request_change(commands, principal, request_id, body, *DESK) as change:
        request, session, now, actor = change.aggregate, change.session, change.now, principal.actor
        routings = (await routings_of(session, [request.id]))[request.id]
        domain.validate_routing(
            status=RequestStatus(request.status),
            products=body.products,
            details=body.details,
            catalog=await catalog_of(session, body.products),
            routings=[(r.product_code, RoutingStatus(r.status)) for r in routings],
        )
        await acknowledge(session, request, now)
        if body.owner and body.owner != request.owner:
            _assign(change, body.owner, principal)
        if request.status == RequestStatus.submitted:
            await move(
                session,
                request,
                RequestStatus.triaged,
                at=now,
                actor=actor,
                publisher=change,
                reason=f"products chosen by the desk: {', '.join(body.products)}",
            )
        request.products = sorted({*request.products, *body.products})
        request.details = {**request.details, **body.details}
        for code in body.products:
            details = body.details.get(code, {})
            add_routing(session, request, code, details, at=now, actor=actor, publisher=change)
        await follow_routings(session, request, at=now, actor=actor, publisher=change)
        await flag_overlaps(
            session, request, at=now, publisher=change, **settings.overlap_thresholds()
        )
        return await change.present(present_request)


@router.post("/requests/{request_id}/assign", response_model=RequestPublic)
async def assign_request(
    request_id: str, body: AssignBody, principal: CurrentPrincipal, commands: CommandsDep
) -> RequestPublic:
    """Give the request an owner at the desk (or hand it to a colleague)."""
    async with request_change(commands, principal, request_id, body, *DESK) as change:
        request = change.aggregate
        if RequestStatus(request.status) in domain.TERMINAL_STATUSES:
            raise DomainError(
                "ILLEGAL_TRANSITION",
                f"a {request.status} request takes no new owner",
                from_status=request.status,
            )
        if body.owner == request.owner:
            raise DomainError("CONFLICT", f"{body.owner} already owns the request")
        await acknowledge(change.session, request, change.now)
        _assign(change, body.owner, principal)
        return await change.present(present_request)


def _assign(change: Change[ServiceRequest], owner: str, principal: Principal) -> None:
    request, now = change.aggregate, change.now
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
    request.updated_at = now
    change.publish(assigned)
    add_timeline(
        change.session,
        request.id,
        at=now,
        event_type=assigned.type,
        actor=principal.actor,
        summary=f"owner: {owner}"
        + (f" (was {assigned.previous_owner})" if assigned.previous_owner else ""),
    )


@router.post("/requests/{request_id}/hold", response_model=RequestPublic)
async def hold_request(
    request_id: str, body: ReasonBody, principal: CurrentPrincipal, commands: CommandsDep
) -> RequestPublic:
    """Put a request on hold (waiting for the client, for security, ...); its SLA
    clocks pause until it resumes."""
    async with request_change(commands, principal, request_id, body, *DESK) as change:
        request, now = change.aggregate, change.now
        reason = domain.require_reason(body.reason, "a hold")
        held_from = request.status
        await acknowledge(change.session, request, now)
        await move(
            change.session,
            request,
            RequestStatus.on_hold,
            at=now,
            actor=principal.actor,
            publisher=change,
            reason=reason,
        )
        request.held_from, request.held_since, request.status_reason = held_from, now, reason
        return await change.present(present_request)


@router.post("/requests/{request_id}/resume", response_model=RequestPublic)
async def resume_request(
    request_id: str, body: ExpectedVersion, principal: CurrentPrincipal, commands: CommandsDep
) -> RequestPublic:
    """Resume a held request where it was, then apply what providers answered meanwhile."""
    async with request_change(commands, principal, request_id, body, *DESK) as change:
        request, session, now = change.aggregate, change.session, change.now
        target = domain.resume_status(request.held_from)
        held_since = request.held_since
        await move(
            session,
            request,
            target,
            at=now,
            actor=principal.actor,
            publisher=change,
            reason="resumed",
        )
        if held_since is not None:
            await resume_clocks(session, request, paused_since=held_since, at=now)
        request.held_from, request.held_since, request.status_reason = None, None, None
        await follow_routings(session, request, at=now, actor="desks:automation", publisher=change)
        return await change.present(present_request)


@router.post("/requests/{request_id}/reject", response_model=RequestPublic)
async def reject_request(
    request_id: str, body: ReasonBody, principal: CurrentPrincipal, commands: CommandsDep
) -> RequestPublic:
    """Refuse a request the desk cannot take, with the reason the client will read."""
    async with request_change(commands, principal, request_id, body, *DESK) as change:
        reason = domain.require_reason(body.reason, "a rejection")
        await _close(change, RequestStatus.rejected, principal, reason)
        return await change.present(present_request)


@router.post("/requests/{request_id}/withdraw", response_model=RequestPublic)
async def withdraw_request(
    request_id: str, body: ReasonBody, principal: CurrentPrincipal, commands: CommandsDep
) -> RequestPublic:
    """The client no longer needs it."""
    async with request_change(commands, principal, request_id, body, Role.client) as change:
        reason = (body.reason or "").strip() or "withdrawn by the client"
        await _close(change, RequestStatus.withdrawn, principal, reason)
        return await change.present(present_request)


async def _close(
    change: Change[ServiceRequest], target: RequestStatus, principal: Principal, reason: str
) -> None:
    """Reject or withdraw: the move, and the reason kept on the request."""
    await move(
        change.session,
        change.aggregate,
        target,
        at=change.now,
        actor=principal.actor,
        publisher=change,
        reason=reason,
    )
    change.aggregate.status_reason = reason


@router.post("/requests/{request_id}/confirm", response_model=RequestPublic)
async def confirm_request(
    request_id: str, body: ConfirmBody, principal: CurrentPrincipal, commands: CommandsDep
) -> RequestPublic:
    """The client confirms delivery and closes the request, optionally saying how
    satisfied it is (1-5) and why."""
    async with request_change(commands, principal, request_id, body, Role.client) as change:
        request = change.aggregate
        domain.check_satisfaction(body.satisfaction_score, body.satisfaction_comment)
        await move(
            change.session,
            request,
            RequestStatus.closed,
            at=change.now,
            actor=principal.actor,
            publisher=change,
            reason="delivery confirmed by the client",
            satisfaction_score=body.satisfaction_score,
        )
        request.satisfaction_score = body.satisfaction_score
        request.satisfaction_comment = body.satisfaction_comment
        return await change.present(present_request)


@router.post("/requests/{request_id}/reopen", response_model=RequestPublic)
async def reopen_request(
    request_id: str,
    body: ReasonBody,
    principal: CurrentPrincipal,
    commands: CommandsDep,
    settings: SettingsDep,
) -> RequestPublic:
    """The client reopens its delivered or closed request, within the window: it goes
    back to its desk (triaged)."""
    async with request_change(commands, principal, request_id, body, Role.client) as change:
        request = change.aggregate
        reason = (body.reason or "").strip() or "reopened by the client"
        from_status = await _back_to_desk(
            change, principal, settings, reason, "reopened", RequestReopened
        )
        request.reopen_count += 1
        change.publish(
            RequestReopened(
                request_id=request.id,
                client_code=request.client_code,
                desk_code=request.desk_code,
                owner=request.owner,
                from_status=from_status.value,
                reason=reason,
                reopened_by=principal.actor,
                reopened_at=change.now,
            )
        )
        return await change.present(present_request)


@router.post("/requests/{request_id}/dispute", response_model=RequestPublic)
async def dispute_request(
    request_id: str,
    body: ReasonBody,
    principal: CurrentPrincipal,
    commands: CommandsDep,
    settings: SettingsDep,
) -> RequestPublic:
    """The client disputes the delivery, saying why, within the window: the request
    goes back to its desk (triaged)."""
    async with request_change(commands, principal, request_id, body, Role.client) as change:
        request = change.aggregate
        reason = domain.require_reason(body.reason, "a dispute")
        from_status = await _back_to_desk(
            change, principal, settings, reason, "disputed", RequestDisputed
        )
        request.dispute_count += 1
        change.publish(
            RequestDisputed(
                request_id=request.id,
                client_code=request.client_code,
                desk_code=request.desk_code,
                owner=request.owner,
                from_status=from_status.value,
                reason=reason,
                disputed_by=principal.actor,
                disputed_at=change.now,
            )
        )
        return await change.present(present_request)


async def _back_to_desk(
    change: Change[ServiceRequest],
    principal: Principal,
    settings: SettingsDep,
    reason: str,
    what: str,
    event: type[RequestReopened | RequestDisputed],
) -> RequestStatus:
    """Reopen or dispute: within the window, the move back to the desk, the reason kept
    and a timeline entry of its own. Answers where the request was."""
    request, session, now = change.aggregate, change.session, change.now
    current = RequestStatus(request.status)
    domain.check_reopening(
        current,
        await status_entered_at(session, request),
        now,
        timedelta(days=settings.reopen_window_days),
        what,
    )
    await move(
        session,
        request,
        RequestStatus.triaged,
        at=now,
        actor=principal.actor,
        publisher=change,
        reason=reason,
    )
    request.status_reason = reason
    add_timeline(
        session,
        request.id,
        at=now,
        event_type=event.type,
        actor=principal.actor,
        summary=f"{what} by the client: {reason}",
    )
    return current


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
    request_id: str, body: RerouteBody, principal: CurrentPrincipal, commands: CommandsDep
) -> RequestPublic:
    """After a decline: send the product again (capacity may have freed up), or route
    the need to another product instead."""
    async with request_change(commands, principal, request_id, body, *DESK) as change:
        request, session, now, actor = change.aggregate, change.session, change.now, principal.actor
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
        await acknowledge(session, request, now)
        declined.status, declined.updated_at = RoutingStatus.rerouted.value, now
        session.add(declined)
        request.products = sorted({*request.products, code})
        request.details = {**request.details, code: details}
        add_routing(session, request, code, details, at=now, actor=actor, publisher=change)
        await follow_routings(session, request, at=now, actor=actor, publisher=change)
        return await change.present(present_request)


@router.post("/requests/{request_id}/unmet-demand", response_model=RequestPublic)
async def record_unmet_demand(
    request_id: str, body: UnmetDemandBody, principal: CurrentPrincipal, commands: CommandsDep
) -> RequestPublic:
    """After a decline nobody else can take: keep the gap on record (and tell the
    products service), then let the request go on with what remains."""
    async with request_change(commands, principal, request_id, body, *DESK) as change:
        request, session, now, actor = change.aggregate, change.session, change.now, principal.actor
        declined = await _declined_routing(session, request, body.routing_id)
        note = domain.require_reason(body.note, "unmet demand")
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
        change.publish(recorded)
        add_timeline(
            session,
            request.id,
            at=now,
            event_type=recorded.type,
            actor=actor,
            summary=f"unmet demand for {declined.product_code}: {note}",
        )
        request.updated_at = now
        await follow_routings(session, request, at=now, actor=actor, publisher=change)
        return await change.present(present_request)


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
    request_id: str, body: CommentBody, principal: CurrentPrincipal, commands: CommandsDep
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
    async with commands.begin() as work:
        session, now = work.session, work.now
        request = await visible_request(session, principal, request_id)
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
        await search.index_comment(session, comment)
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
            work.publish(
                RequestCommentAdded(
                    request_id=request.id,
                    comment_id=comment.id,
                    client_code=request.client_code,
                    desk_code=request.desk_code,
                    author=principal.actor,
                    author_role=principal.role.value,
                    added_at=now,
                )
            )
        return comment_public(comment)


@router.post(
    "/requests/{request_id}/attachments",
    status_code=status.HTTP_201_CREATED,
    response_model=AttachmentPublic,
)
async def attach_to_request(
    request_id: str, body: AttachmentBody, principal: CurrentPrincipal, commands: CommandsDep
) -> AttachmentPublic:
    """Attach a document by reference (the file stays where it is). Like a comment, it
    appends without changing the request: no version."""
    principal.require(Role.client, *DESK)
    async with commands.begin() as work:
        request = await visible_request(work.session, principal, request_id)
        attachment = Attachment(
            id=str(uuid.uuid4()),
            request_id=request.id,
            name=body.name.strip(),
            media_type=body.media_type,
            size_bytes=body.size_bytes,
            url=str(body.url),
            added_by=principal.actor,
            added_at=work.now,
        )
        work.session.add(attachment)
        announce_attachment(work, request, attachment)
        return attachment_public(attachment)
