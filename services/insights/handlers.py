"""Events the insights service consumes: each one updates the fact it is about, then
the request's lines are derived again (store.refresh_request).

Nothing here depends on the order events arrive in: a status is kept only if it is
newer than the one held (domain.supersedes), a start time is the earliest seen, and an
engagement or assessment that arrives before its request waits in its fact until the
request's facts come. The platform's inbox makes a redelivered event change nothing.
"""

from __future__ import annotations

from datetime import datetime

from contracts.events import (
    AssessmentOpened,
    AssessmentStatusChanged,
    EngagementAccepted,
    EngagementDeclined,
    EngagementDelivered,
    EngagementProposed,
    EngagementStatusChanged,
    ProductCataloged,
    RequestStatusChanged,
    RequestSubmitted,
)
from services.insights import domain
from services.insights.models import AssessmentFact, EngagementFact, ProductFact, RequestFact
from services.insights.store import refresh_request
from shared.db import AsyncSession
from shared.messaging import EventContext, EventHandlers

handlers = EventHandlers()


@handlers.on(RequestSubmitted)
async def on_request_submitted(event: RequestSubmitted, context: EventContext) -> None:
    session = context.session
    fact = await session.get(RequestFact, event.request_id)
    if fact is None:
        fact = RequestFact(
            id=event.request_id,
            status="submitted",
            status_at=event.submitted_at,
            client_code=event.client_code,
            client_kind=event.client_kind.value,
            country=event.country,
            region=event.region,
            desk_code=event.desk_code,
            products=list(event.products),
            submitted_at=event.submitted_at,
        )
        session.add(fact)
        await refresh_request(session, event.request_id)


@handlers.on(RequestStatusChanged)
async def on_request_status_changed(event: RequestStatusChanged, context: EventContext) -> None:
    fact = await context.session.get(RequestFact, event.request_id)
    if fact is None:  # the request's own topic orders submitted first; nothing to place
        return
    if domain.supersedes(
        domain.REQUEST_ORDER, (event.changed_at, event.to_status), (fact.status_at, fact.status)
    ):
        fact.status, fact.status_at = event.to_status, event.changed_at
        context.session.add(fact)
        await refresh_request(context.session, event.request_id)


async def _engagement(
    session: AsyncSession,
    engagement_id: str,
    request_id: str,
    product_code: str,
    status: str,
    at: datetime,
) -> None:
    fact = await session.get(EngagementFact, engagement_id)
    if fact is None:
        fact = EngagementFact(
            id=engagement_id,
            request_id=request_id,
            product_code=product_code,
            status=status,
            started_at=at,
            status_at=at,
        )
    else:
        fact.started_at = min(fact.started_at, at)
        if domain.supersedes(domain.ENGAGEMENT_ORDER, (at, status), (fact.status_at, fact.status)):
            fact.status, fact.status_at = status, at
    session.add(fact)
    await refresh_request(session, request_id)


@handlers.on(EngagementProposed)
async def on_engagement_proposed(event: EngagementProposed, context: EventContext) -> None:
    await _engagement(
        context.session,
        event.engagement_id,
        event.request_id,
        event.product_code,
        "proposed",
        event.proposed_at,
    )


@handlers.on(EngagementAccepted)
async def on_engagement_accepted(event: EngagementAccepted, context: EventContext) -> None:
    await _engagement(
        context.session,
        event.engagement_id,
        event.request_id,
        event.product_code,
        "accepted",
        event.accepted_at,
    )


@handlers.on(EngagementDeclined)
async def on_engagement_declined(event: EngagementDeclined, context: EventContext) -> None:
    await _engagement(
        context.session,
        event.engagement_id,
        event.request_id,
        event.product_code,
        "declined",
        event.declined_at,
    )


@handlers.on(EngagementStatusChanged)
async def on_engagement_status_changed(
    event: EngagementStatusChanged, context: EventContext
) -> None:
    await _engagement(
        context.session,
        event.engagement_id,
        event.request_id,
        event.product_code,
        event.to_status,
        event.changed_at,
    )


@handlers.on(EngagementDelivered)
async def on_engagement_delivered(event: EngagementDelivered, context: EventContext) -> None:
    await _engagement(
        context.session,
        event.engagement_id,
        event.request_id,
        event.product_code,
        "delivered",
        event.delivered_at,
    )


async def _assessment_status(
    session: AsyncSession, assessment_id: str, status: str, at: datetime
) -> None:
    fact = await session.get(AssessmentFact, assessment_id)
    if fact is None:  # its own topic orders the opening first
        return
    if domain.supersedes(domain.ASSESSMENT_ORDER, (at, status), (fact.status_at, fact.status)):
        fact.status, fact.status_at = status, at
        session.add(fact)
        await refresh_request(session, fact.request_id)


@handlers.on(AssessmentOpened)
async def on_assessment_opened(event: AssessmentOpened, context: EventContext) -> None:
    session = context.session
    if await session.get(AssessmentFact, event.assessment_id) is not None:
        return
    session.add(
        AssessmentFact(
            id=event.assessment_id,
            request_id=event.request_id,
            partners=list(event.partners),
            status="proposed",
            opened_at=event.opened_at,
            status_at=event.opened_at,
        )
    )
    await refresh_request(session, event.request_id)


@handlers.on(AssessmentStatusChanged)
async def on_assessment_status_changed(
    event: AssessmentStatusChanged, context: EventContext
) -> None:
    await _assessment_status(
        context.session, event.assessment_id, event.to_status, event.changed_at
    )


@handlers.on(ProductCataloged)
async def on_product_cataloged(event: ProductCataloged, context: EventContext) -> None:
    fact = await context.session.get(ProductFact, event.code)
    if fact is not None and fact.revision >= event.revision:
        return
    fact = fact or ProductFact(code=event.code, name="", provider_unit="", revision=0)
    fact.name, fact.provider_unit, fact.revision = event.name, event.provider_unit, event.revision
    context.session.add(fact)
