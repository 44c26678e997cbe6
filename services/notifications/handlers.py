"""Events the notifications service consumes, and whom each one concerns.

The requests' own facts (submitted, assigned) keep what a notification needs of a
request: its title, client, desk and owner. The others become notifications (the
rules are in domain.py), each recorded with its live event and its e-mails in the
handler's one transaction; the platform's inbox makes a redelivered event change
nothing.
"""

from __future__ import annotations

from contracts.enums import NotificationKind, RequestStatus
from contracts.events import (
    AssessmentTaskAssigned,
    EngagementProposed,
    RequestApprovalDecided,
    RequestApprovalRequested,
    RequestAssigned,
    RequestCommentAdded,
    RequestDisputed,
    RequestMerged,
    RequestReopened,
    RequestSlaAtRisk,
    RequestSlaBreached,
    RequestStatusChanged,
    RequestSubmitted,
)
from services.notifications import domain
from services.notifications.models import KnownRequest
from services.notifications.store import record
from shared.db import AsyncSession
from shared.messaging import EventContext, EventHandlers

handlers = EventHandlers()


async def _record(context: EventContext, *drafts: domain.Draft | None) -> None:
    for draft in drafts:
        if draft is not None:
            await record(context.session, context, draft, context.clock.now())


async def _title(session: AsyncSession, request_id: str) -> str:
    known = await session.get(KnownRequest, request_id)
    return known.title if known else ""


@handlers.on(RequestSubmitted)
async def on_request_submitted(event: RequestSubmitted, context: EventContext) -> None:
    if await context.session.get(KnownRequest, event.request_id) is not None:
        return
    context.session.add(
        KnownRequest(
            id=event.request_id,
            client_code=event.client_code,
            desk_code=event.desk_code,
            title=event.title[:200],
        )
    )


@handlers.on(RequestAssigned)
async def on_request_assigned(event: RequestAssigned, context: EventContext) -> None:
    """Who owns the request now: the owner hears of its SLA clocks."""
    known = await context.session.get(KnownRequest, event.request_id)
    if known is None:  # submitted before this service knew of requests
        known = KnownRequest(
            id=event.request_id, client_code=event.client_code, desk_code=event.desk_code, title=""
        )
    known.owner = event.owner
    context.session.add(known)


@handlers.on(RequestStatusChanged)
async def on_request_status_changed(event: RequestStatusChanged, context: EventContext) -> None:
    if event.to_status == RequestStatus.merged:  # told by on_request_merged instead
        return
    title = await _title(context.session, event.request_id)
    await _record(
        context,
        domain.status_changed(
            event.request_id, event.client_code, title, event.from_status, event.to_status
        ),
    )


@handlers.on(RequestCommentAdded)
async def on_request_comment_added(event: RequestCommentAdded, context: EventContext) -> None:
    title = await _title(context.session, event.request_id)
    await _record(
        context,
        domain.public_comment(
            event.request_id, event.client_code, title, event.comment_id, event.author_role
        ),
    )


@handlers.on(RequestReopened)
async def on_request_reopened(event: RequestReopened, context: EventContext) -> None:
    title = await _title(context.session, event.request_id)
    await _record(
        context,
        domain.returned_to_desk(
            NotificationKind.request_reopened,
            event.request_id,
            event.desk_code,
            event.owner,
            title,
            event.reason,
        ),
    )


@handlers.on(RequestMerged)
async def on_request_merged(event: RequestMerged, context: EventContext) -> None:
    session = context.session
    duplicate = (event.request_id, event.client_code, await _title(session, event.request_id))
    survivor = (
        event.survivor_id,
        event.survivor_client_code,
        await _title(session, event.survivor_id),
    )
    await _record(context, *domain.merged(duplicate, survivor))


@handlers.on(RequestDisputed)
async def on_request_disputed(event: RequestDisputed, context: EventContext) -> None:
    title = await _title(context.session, event.request_id)
    await _record(
        context,
        domain.returned_to_desk(
            NotificationKind.delivery_disputed,
            event.request_id,
            event.desk_code,
            event.owner,
            title,
            event.reason,
        ),
    )


async def _escalate(
    context: EventContext,
    kind: NotificationKind,
    event: RequestSlaBreached | RequestSlaAtRisk,
) -> None:
    known = await context.session.get(KnownRequest, event.request_id)
    audiences = domain.escalation_audiences(
        event.desk_code, known.owner if known else None, event.escalated_to
    )
    drafts = domain.sla_drafts(
        kind,
        event.request_id,
        known.title if known else "",
        audiences,
        event.clock.value,
        event.due_at.isoformat(),
    )
    await _record(context, *drafts)


@handlers.on(RequestSlaBreached)
async def on_request_sla_breached(event: RequestSlaBreached, context: EventContext) -> None:
    await _escalate(context, NotificationKind.sla_breached, event)


@handlers.on(RequestSlaAtRisk)
async def on_request_sla_at_risk(event: RequestSlaAtRisk, context: EventContext) -> None:
    await _escalate(context, NotificationKind.sla_at_risk, event)


@handlers.on(EngagementProposed)
async def on_engagement_proposed(event: EngagementProposed, context: EventContext) -> None:
    title = await _title(context.session, event.request_id)
    await _record(
        context,
        domain.engagement_proposed(
            event.request_id, event.engagement_id, event.product_code, title
        ),
    )


@handlers.on(AssessmentTaskAssigned)
async def on_task_assigned(event: AssessmentTaskAssigned, context: EventContext) -> None:
    due_on = event.due_on.isoformat() if event.due_on else None
    await _record(
        context,
        domain.task_assigned(
            event.assessment_id, event.request_id, event.title, event.lead, due_on
        ),
    )


@handlers.on(RequestApprovalRequested)
async def on_approval_requested(event: RequestApprovalRequested, context: EventContext) -> None:
    title = await _title(context.session, event.request_id)
    await _record(
        context, domain.approval_requested(event.request_id, event.desk_code, title, event.rules)
    )


@handlers.on(RequestApprovalDecided)
async def on_approval_decided(event: RequestApprovalDecided, context: EventContext) -> None:
    title = await _title(context.session, event.request_id)
    await _record(
        context,
        domain.approval_decided(event.request_id, event.client_code, title, event.decision.value),
    )
