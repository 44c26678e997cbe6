"""Events the desks service consumes: the catalog, providers' answers and progress,
and joint assessments with partners.

Handlers are safe against business-level duplicates as well as redeliveries: a
provider answer applies only if it moves its routing forward (domain.routing_after_answer).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, select
from sqlmodel import col

from contracts.events import (
    AssessmentConcluded,
    AssessmentOpened,
    EngagementAccepted,
    EngagementDeclined,
    EngagementDelivered,
    EngagementProposed,
    EngagementStatusChanged,
    ProductCataloged,
)
from services.desks import domain, journal
from services.desks.domain import RoutingStatus
from services.desks.models import CatalogProduct, JointAssessment, Routing, ServiceRequest
from services.desks.store import add_timeline, follow_routings
from shared.messaging import EventContext, EventHandlers, PoisonEvent

handlers = EventHandlers()

AUTOMATION = "desks:automation"


@handlers.on(ProductCataloged)
async def on_product_cataloged(event: ProductCataloged, context: EventContext) -> None:
    """Keep the local catalog copy; an older revision never overwrites a newer one."""
    product = await context.session.get(CatalogProduct, event.code)
    if product is not None and product.revision >= event.revision:
        return
    product = product or CatalogProduct(
        code=event.code, name="", provider_unit="", request_form={}, active=False, revision=0
    )
    product.name = event.name
    product.provider_unit = event.provider_unit
    product.request_form = event.request_form
    product.active = event.active
    product.revision = event.revision
    context.session.add(product)


@handlers.on(EngagementProposed)
async def on_engagement_proposed(event: EngagementProposed, context: EventContext) -> None:
    routing, request, _ = await _routing_and_request(context, event.routing_id)
    if routing.engagement_id == event.engagement_id:
        return
    routing.engagement_id = event.engagement_id
    routing.engagement_status = "proposed"
    context.session.add(routing)
    add_timeline(
        context.session,
        request.id,
        at=event.proposed_at,
        event_type=event.type,
        actor=f"provider:{event.product_code}",
        summary=f"{event.product_code} is considering the engagement",
    )


@handlers.on(EngagementAccepted)
async def on_engagement_accepted(event: EngagementAccepted, context: EventContext) -> None:
    await _answer(
        context,
        event.routing_id,
        RoutingStatus.accepted,
        engagement_id=event.engagement_id,
        at=event.accepted_at,
        actor=event.accepted_by,
        event_type=event.type,
        summary=f"{event.product_code} accepted the engagement",
    )


@handlers.on(EngagementDeclined)
async def on_engagement_declined(event: EngagementDeclined, context: EventContext) -> None:
    routing = await _answer(
        context,
        event.routing_id,
        RoutingStatus.declined,
        engagement_id=event.engagement_id,
        at=event.declined_at,
        actor=event.declined_by,
        event_type=event.type,
        summary=f"{event.product_code} declined ({event.reason_code.value}): {event.reason}",
    )
    if routing is not None:
        routing.decline_reason_code = event.reason_code.value
        routing.decline_reason = f"{event.reason_code.value}: {event.reason}"


@handlers.on(EngagementDelivered)
async def on_engagement_delivered(event: EngagementDelivered, context: EventContext) -> None:
    titles = ", ".join(deliverable.title for deliverable in event.deliverables) or "no documents"
    await _answer(
        context,
        event.routing_id,
        RoutingStatus.delivered,
        engagement_id=event.engagement_id,
        at=event.delivered_at,
        actor=event.delivered_by,
        event_type=event.type,
        summary=f"{event.product_code} delivered: {titles}",
    )


@handlers.on(EngagementStatusChanged)
async def on_engagement_status_changed(
    event: EngagementStatusChanged, context: EventContext
) -> None:
    """Planning, deployment and closure of an engagement: the client sees them in its
    timeline; the request's own status follows acceptance and delivery only."""
    routing, request, _ = await _routing_and_request(context, event.routing_id)
    routing.engagement_status = event.to_status
    context.session.add(routing)
    add_timeline(
        context.session,
        request.id,
        at=event.changed_at,
        event_type=event.type,
        actor=event.actor,
        summary=f"{event.product_code} engagement {event.from_status} → {event.to_status}",
    )


async def _answer(
    context: EventContext,
    routing_id: str,
    answer: RoutingStatus,
    *,
    engagement_id: str,
    at: datetime,
    actor: str,
    event_type: str,
    summary: str,
) -> Routing | None:
    """Apply a provider's answer to its routing, then move the request accordingly."""
    routing, request, routings = await _routing_and_request(context, routing_id)
    moved = domain.routing_after_answer(RoutingStatus(routing.status), answer)
    if moved is None:
        return None  # repeated or stale: already applied, or overtaken
    routing.status = moved.value
    routing.engagement_id = engagement_id
    routing.engagement_status = moved.value
    routing.updated_at = at
    context.session.add(routing)
    add_timeline(
        context.session,
        request.id,
        at=at,
        event_type=event_type,
        actor=actor,
        summary=summary,
    )
    # A provider's answer that moves the request bumps its version: a stale command
    # must not pass.
    await follow_routings(
        context.session,
        request,
        at=context.clock.now(),
        actor=AUTOMATION,
        publisher=context,
        routings=routings,
        bump=True,
    )
    return routing


async def _routing_and_request(
    context: EventContext, routing_id: str
) -> tuple[Routing, ServiceRequest, list[Routing]]:
    """The routing an answer is about, its request row-locked for the rest of the
    transaction, and all the request's routings (what the request's status follows):
    one query."""
    rows = (await context.session.execute(_ROUTINGS_OF_ROUTED_REQUEST, {"id": routing_id})).all()
    if not rows:
        raise PoisonEvent(f"no routing {routing_id}")
    request = rows[0][0]
    routings = [routing for _, routing in rows]
    routing = next(routing for routing in routings if routing.id == routing_id)
    return routing, request, routings


# Built once: each answer only binds its routing id.
_ROUTINGS_OF_ROUTED_REQUEST = (
    select(ServiceRequest, Routing)
    .join(Routing, col(Routing.request_id) == col(ServiceRequest.id))
    .where(
        col(ServiceRequest.id)
        == select(col(Routing.request_id))
        .where(col(Routing.id) == bindparam("id"))
        .scalar_subquery()
    )
    .with_for_update(of=ServiceRequest)
    # Rows this session read before (an earlier event of the batch) are read again,
    # under the lock; the history rows of the batch's events need not be written first.
    .execution_options(populate_existing=True, **journal.READS_NO_KEPT_ROWS)
)


@handlers.on(AssessmentOpened)
async def on_assessment_opened(event: AssessmentOpened, context: EventContext) -> None:
    request = await _request(context, event.request_id)
    if await context.session.get(JointAssessment, event.assessment_id) is not None:
        return
    context.session.add(
        JointAssessment(
            id=event.assessment_id,
            request_id=request.id,
            partners=list(event.partners),
            scope=event.scope,
            status="opened",
            opened_at=event.opened_at,
        )
    )
    add_timeline(
        context.session,
        request.id,
        at=event.opened_at,
        event_type=event.type,
        actor=event.opened_by,
        summary=f"joint assessment opened with {', '.join(event.partners)}: {event.scope}",
    )


@handlers.on(AssessmentConcluded)
async def on_assessment_concluded(event: AssessmentConcluded, context: EventContext) -> None:
    """Keep the conclusion and its recommended products on the request. The desk
    routes them with one routeRequest call (it supplies the details each product's
    form needs); nothing is routed automatically."""
    request = await _request(context, event.request_id)
    assessment = await context.session.get(JointAssessment, event.assessment_id)
    if assessment is not None and assessment.status == "concluded":
        return
    assessment = assessment or JointAssessment(
        id=event.assessment_id,
        request_id=request.id,
        partners=list(event.partners),
        scope="",
        status="opened",
        opened_at=context.clock.now(),
    )
    assessment.status = "concluded"
    assessment.summary = event.summary
    assessment.recommended_products = list(event.recommended_products)
    assessment.concluded_on = event.concluded_on
    context.session.add(assessment)
    recommended = ", ".join(event.recommended_products) or "no products"
    add_timeline(
        context.session,
        request.id,
        at=context.clock.now(),
        event_type=event.type,
        actor=event.concluded_by or f"partners:{','.join(event.partners)}",
        summary=f"joint assessment concluded (recommends {recommended}): {event.summary}",
    )


async def _request(context: EventContext, request_id: str) -> ServiceRequest:
    request = await context.session.get(ServiceRequest, request_id)
    if request is None:
        raise PoisonEvent(f"no request {request_id}")
    return request
