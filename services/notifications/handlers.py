"""Events the notifications service consumes, and whom each one concerns.

The requests' own facts (submitted, assigned) keep what a notification needs of a
request: its title, client, desk and owner. The others become notifications (the
rules are in domain.py), each told only what its recipient may read (sharing.py) and
recorded with its live event and its e-mails in the handler's one transaction; the platform's inbox makes a redelivered event change
nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import CursorResult, Table, select
from sqlalchemy.dialects.postgresql import Insert as PostgresqlInsert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlmodel import col

from contracts.enums import FollowKind, LessonStatus, NotificationKind, RequestStatus
from contracts.events import (
    AssessmentTaskAssigned,
    EngagementAccepted,
    EngagementDeclined,
    EngagementDelivered,
    EngagementProposed,
    LessonPublished,
    LessonStatusChanged,
    ProductCataloged,
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
from services.notifications.domain import FollowChange
from services.notifications.known import RequestFacts, request_facts, seen
from services.notifications.models import KnownLesson, KnownRequest
from services.notifications.recording import READS_NO_KEPT_ROWS, record
from services.notifications.sharing import told
from services.notifications.store import followers_of, remember_terms
from shared.db import AsyncSession, conflict_insert
from shared.messaging import EventContext, EventHandlers

handlers = EventHandlers()


async def _record(context: EventContext, *drafts: domain.Draft | None) -> None:
    """Each draft as its recipient may read it (sharing.py): what the in-app list, the
    live feed and the e-mail all carry."""
    kept = [told(draft) for draft in drafts if draft is not None]
    record(context.session, context, kept, context.clock.now())


async def _title(session: AsyncSession, request_id: str) -> str:
    known = await request_facts(session, request_id)
    return known.title if known else ""


KNOWN_REQUESTS: Table = KnownRequest.__table__  # type: ignore[attr-defined]


def _upsert(session: AsyncSession) -> PostgresqlInsert | SqliteInsert:
    """An INSERT of a known request that can be told what to do with one already there."""
    return conflict_insert(session.get_bind().dialect.name, KNOWN_REQUESTS)


@handlers.on(RequestSubmitted)
async def on_request_submitted(event: RequestSubmitted, context: EventContext) -> None:
    """Kept once (a request already known, even from its assignment, stays as it is);
    its followers hear of it when it is new."""
    known = RequestFacts(
        id=event.request_id,
        client_code=event.client_code,
        desk_code=event.desk_code,
        title=event.title[:200],
        country=event.country,
        region=event.region[:200],
    )
    session = context.session
    inserted: CursorResult[Any] = await session.execute(  # type: ignore[assignment]
        _upsert(session).values(**vars(known), owner=None).on_conflict_do_nothing()
    )
    if inserted.rowcount == 0:
        return
    seen(session, known)
    terms = domain.request_terms(known.country, known.region)
    await remember_terms(session, terms)
    await _tell_request_followers(context, known, FollowChange.request_opened)


@handlers.on(RequestAssigned)
async def on_request_assigned(event: RequestAssigned, context: EventContext) -> None:
    """Who owns the request now: the owner hears of its SLA clocks. A request submitted
    before this service knew of requests is kept from here, without a title."""
    statement = _upsert(context.session).values(
        id=event.request_id,
        client_code=event.client_code,
        desk_code=event.desk_code,
        title="",
        owner=event.owner,
    )
    await context.session.execute(
        statement.on_conflict_do_update(
            index_elements=[KNOWN_REQUESTS.c.id], set_={"owner": statement.excluded.owner}
        )
    )


@handlers.on(RequestStatusChanged)
async def on_request_status_changed(event: RequestStatusChanged, context: EventContext) -> None:
    if event.to_status == RequestStatus.merged:  # told by on_request_merged instead
        return
    known = await request_facts(context.session, event.request_id)
    await _record(
        context,
        domain.status_changed(
            event.request_id,
            event.client_code,
            known.title if known else "",
            event.from_status,
            event.to_status,
        ),
    )
    if known is not None and event.to_status in domain.CLOSED_REQUEST_STATUSES:
        await _tell_request_followers(context, known, FollowChange.request_closed)


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
    known = await request_facts(context.session, event.request_id)
    owner = await context.session.scalar(
        select(col(KnownRequest.owner)).where(col(KnownRequest.id) == event.request_id),
        execution_options=READS_NO_KEPT_ROWS,
    )
    audiences = domain.escalation_audiences(event.desk_code, owner, event.escalated_to)
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


# Following: the followers of a theme, country or region hear of its lessons, requests
# and engagements (domain.py decides which of them may be told).


async def _tell_request_followers(
    context: EventContext,
    known: RequestFacts,
    change: FollowChange,
    engagement: tuple[str, str] | None = None,
) -> None:
    followers = await followers_of(
        context.session, domain.request_terms(known.country, known.region)
    )
    drafts = domain.followed_request_drafts(
        followers, known.id, known.title, known.client_code, known.desk_code, change, engagement
    )
    await _record(context, *drafts)


async def _tell_engagement_followers(
    context: EventContext, request_id: str, engagement_id: str, product_code: str, opened: bool
) -> None:
    known = await request_facts(context.session, request_id)
    if known is None:  # a request this service never heard of has no place to follow
        return
    change = FollowChange.engagement_opened if opened else FollowChange.engagement_closed
    await _tell_request_followers(context, known, change, (engagement_id, product_code))


@handlers.on(EngagementAccepted)
async def on_engagement_accepted(event: EngagementAccepted, context: EventContext) -> None:
    await _tell_engagement_followers(
        context, event.request_id, event.engagement_id, event.product_code, opened=True
    )


@handlers.on(EngagementDelivered)
async def on_engagement_delivered(event: EngagementDelivered, context: EventContext) -> None:
    await _tell_engagement_followers(
        context, event.request_id, event.engagement_id, event.product_code, opened=False
    )


@handlers.on(EngagementDeclined)
async def on_engagement_declined(event: EngagementDeclined, context: EventContext) -> None:
    await _tell_engagement_followers(
        context, event.request_id, event.engagement_id, event.product_code, opened=False
    )


@handlers.on(ProductCataloged)
async def on_product_cataloged(event: ProductCataloged, context: EventContext) -> None:
    """A product's code is a theme lessons are written on: it may be followed."""
    await remember_terms(context.session, [(FollowKind.theme, event.code)])


async def _tell_lesson_followers(
    context: EventContext, lesson: KnownLesson, change: FollowChange
) -> None:
    terms = domain.lesson_terms(lesson.themes, lesson.countries, lesson.regions)
    followers = await followers_of(context.session, terms)
    drafts = domain.followed_lesson_drafts(
        followers, lesson.id, lesson.title, lesson.sensitivity, change
    )
    await _record(context, *drafts)


@handlers.on(LessonPublished)
async def on_lesson_published(event: LessonPublished, context: EventContext) -> None:
    """Published, or revised when it was published before (its terms as they are now)."""
    known = await context.session.get(KnownLesson, event.lesson_id)
    change = FollowChange.lesson_revised if known else FollowChange.lesson_published
    lesson = KnownLesson(
        id=event.lesson_id,
        title=event.title[:300],
        themes=list(event.themes),
        countries=list(event.countries),
        regions=list(event.regions),
        sensitivity=event.sensitivity,
    )
    lesson = await context.session.merge(lesson)
    terms = domain.lesson_terms(lesson.themes, lesson.countries, lesson.regions)
    await remember_terms(context.session, terms)
    await _tell_lesson_followers(context, lesson, change)


@handlers.on(LessonStatusChanged)
async def on_lesson_status_changed(event: LessonStatusChanged, context: EventContext) -> None:
    """An archived lesson's followers hear of it (a draft archived unpublished was never
    known here, and has nobody to tell)."""
    if event.to_status != LessonStatus.archived.value:
        return
    lesson = await context.session.get(KnownLesson, event.lesson_id)
    if lesson is not None:
        lesson.sensitivity = event.sensitivity
        await _tell_lesson_followers(context, lesson, FollowChange.lesson_archived)
