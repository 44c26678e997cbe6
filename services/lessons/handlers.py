"""Events the lessons service consumes: delivered engagements and new requests."""

from __future__ import annotations

from sqlalchemy import bindparam, insert, select
from sqlmodel import col

from contracts.enums import Sensitivity
from contracts.events import AssessmentConcluded, EngagementDelivered, RequestSubmitted
from services.lessons.domain import (
    IntakeProfile,
    Owner,
    OwnerKind,
    RequestPlace,
    SourceKind,
    after_action_draft,
    assessment_draft,
    terms_of,
)
from services.lessons.models import IntakeRequest, Lesson
from services.lessons.store import create_draft
from services.lessons.suggestions import suggest_first
from shared.messaging import EventContext, EventHandlers

handlers = EventHandlers()


@handlers.on(EngagementDelivered)
async def on_engagement_delivered(event: EngagementDelivered, context: EventContext) -> None:
    """Open the after-action draft for the engagement's provider, once per engagement
    (the unique source reference also stops a re-published event under a new id)."""
    session = context.session
    if await _drafted_from(context, SourceKind.engagement, event.engagement_id):
        return
    await create_draft(
        session,
        after_action_draft(event),
        owner=Owner(OwnerKind.provider, event.product_code),
        source_kind=SourceKind.engagement,
        source_ref=event.engagement_id,
        authoring_entity=event.provider_unit,
        # Internal until its author decides: an after-action review names a client.
        sensitivity=Sensitivity.internal,
        actor="lessons:after-action",
        at=context.clock.now(),
        publisher=context,
    )


@handlers.on(AssessmentConcluded)
async def on_assessment_concluded(event: AssessmentConcluded, context: EventContext) -> None:
    """Open a draft for HQ from a joint assessment's conclusion, once per assessment;
    the request's place comes from its RequestSubmitted, when this service saw it."""
    if await _drafted_from(context, SourceKind.assessment, event.assessment_id):
        return
    request = await context.session.get(IntakeRequest, event.request_id)
    place = (
        RequestPlace(request.title, request.country, request.region, request.client_kind)
        if request
        else None
    )
    await create_draft(
        context.session,
        assessment_draft(event, place),
        owner=Owner(OwnerKind.hq, None),
        source_kind=SourceKind.assessment,
        source_ref=event.assessment_id,
        authoring_entity="joint assessment: " + ", ".join(["UN", *event.partners]),
        sensitivity=Sensitivity.internal,
        actor="lessons:assessment",
        at=context.clock.now(),
        publisher=context,
    )


async def _drafted_from(context: EventContext, kind: SourceKind, reference: str) -> bool:
    existing = await context.session.scalar(
        select(col(Lesson.id)).where(
            col(Lesson.source_kind) == kind.value, col(Lesson.source_ref) == reference
        )
    )
    return existing is not None


_KNOWN_REQUEST = select(col(IntakeRequest.request_id)).where(
    col(IntakeRequest.request_id) == bindparam("request_id")
)
_INSERT_REQUEST = insert(IntakeRequest.__table__)  # type: ignore[attr-defined]


@handlers.on(RequestSubmitted)
async def on_request_submitted(event: RequestSubmitted, context: EventContext) -> None:
    """Keep what the request says and who may read its suggestions; rank lessons for it.

    Core statements on the tables, built once: nothing in the transaction reads the
    request or its suggestions back as objects, so neither is built (nor flushed) as one,
    and the ORM's bulk insert would map each row again."""
    session = context.session
    if await session.scalar(_KNOWN_REQUEST, {"request_id": event.request_id}) is not None:
        return
    request = {
        "request_id": event.request_id,
        "client_code": event.client_code,
        "client_kind": event.client_kind.value,
        "desk_code": event.desk_code,
        "country": event.country,
        "region": event.region,
        "products": list(event.products),
        "title": event.title,
        "description": event.description,
        "submitted_at": event.submitted_at,
        "suggested_at": context.clock.now(),
    }
    await session.execute(_INSERT_REQUEST, [request])
    profile = IntakeProfile(
        terms=terms_of(f"{event.title} {event.description}"),
        products=frozenset(event.products),
        country=event.country,
        region=event.region,
    )
    await suggest_first(session, event.request_id, profile)
