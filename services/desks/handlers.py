"""Events the desks service consumes: the catalog, and providers' answers."""

from __future__ import annotations

from sqlalchemy import select

from contracts.events import EngagementAccepted, EngagementDeclined, ProductCataloged
from services.desks.domain import RequestStatus, RoutingStatus, status_after_engagement_answer
from services.desks.models import CatalogProduct, Routing, ServiceRequest
from services.desks.store import add_timeline, change_status
from shared.messaging import EventContext, EventHandlers, PoisonEvent

handlers = EventHandlers()


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


@handlers.on(EngagementAccepted)
async def on_engagement_accepted(event: EngagementAccepted, context: EventContext) -> None:
    routing, request = await _routing_and_request(context, event.routing_id)
    routing.status = RoutingStatus.accepted.value
    routing.engagement_id = event.engagement_id
    routing.updated_at = event.accepted_at
    add_timeline(
        context.session,
        request.id,
        at=event.accepted_at,
        event_type=event.type,
        actor=event.accepted_by,
        summary=f"{event.product_code} accepted the engagement",
    )
    await _follow_answers(context, request)


@handlers.on(EngagementDeclined)
async def on_engagement_declined(event: EngagementDeclined, context: EventContext) -> None:
    routing, request = await _routing_and_request(context, event.routing_id)
    routing.status = RoutingStatus.declined.value
    routing.engagement_id = event.engagement_id
    routing.decline_reason = f"{event.reason_code.value}: {event.reason}"
    routing.updated_at = event.declined_at
    add_timeline(
        context.session,
        request.id,
        at=event.declined_at,
        event_type=event.type,
        actor=event.declined_by,
        summary=f"{event.product_code} declined ({event.reason_code.value}): {event.reason}",
    )
    await _follow_answers(context, request)


async def _routing_and_request(
    context: EventContext, routing_id: str
) -> tuple[Routing, ServiceRequest]:
    routing = await context.session.get(Routing, routing_id)
    if routing is None:
        raise PoisonEvent(f"no routing {routing_id}")
    request = await context.session.get(ServiceRequest, routing.request_id)
    assert request is not None  # foreign key
    return routing, request


async def _follow_answers(context: EventContext, request: ServiceRequest) -> None:
    await context.session.flush()
    statuses = [
        RoutingStatus(routing.status)
        for routing in (
            await context.session.scalars(select(Routing).where(Routing.request_id == request.id))
        ).all()
    ]
    target = status_after_engagement_answer(RequestStatus(request.status), statuses)
    if target is None:
        return
    reason = (
        "a provider declined; back to the desk"
        if target is RequestStatus.triaged
        else "all engagements accepted"
    )
    change_status(
        context.session,
        request,
        target,
        at=context.clock.now(),
        actor="desks:automation",
        reason=reason,
        publish=context.publish,
    )
