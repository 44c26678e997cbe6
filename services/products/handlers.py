"""Events the products service consumes: requests routed to a product."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlmodel import col

from contracts.events import EngagementAccepted, EngagementDeclined, RequestRouted
from services.products.domain import ACTIVE, EngagementStatus, intake_decision
from services.products.models import Engagement, Product
from shared.messaging import EventContext, EventHandlers

handlers = EventHandlers()

AUTO_ACTOR = "products:auto-accept"


@handlers.on(RequestRouted)
async def on_request_routed(event: RequestRouted, context: EventContext) -> None:
    """Open an engagement for the routed product; accept it at once when capacity allows.

    The routing id is unique on engagements, so even a redelivery the inbox did
    not catch (a re-published event under a new id) never opens a second one.
    """
    session = context.session
    existing = (
        await session.scalars(select(Engagement).where(Engagement.routing_id == event.routing_id))
    ).first()
    if existing is not None:
        return
    product = await session.get(Product, event.product_code)
    active = await session.scalar(
        select(func.count())
        .select_from(Engagement)
        .where(
            Engagement.product_code == event.product_code,
            col(Engagement.status).in_([s.value for s in ACTIVE]),
        )
    )
    status, decline = intake_decision(
        product_active=bool(product and product.active),
        auto_accept=bool(product and product.auto_accept),
        capacity=product.capacity if product else 0,
        active_engagements=int(active or 0),
    )
    now = context.clock.now()
    engagement = Engagement(
        id=str(uuid.uuid4()),
        routing_id=event.routing_id,
        request_id=event.request_id,
        product_code=event.product_code,
        client_code=event.client_code,
        desk_code=event.desk_code,
        country=event.country,
        title=event.title,
        urgency=event.urgency.value,
        details=event.details,
        status=status.value,
        decline_reason_code=decline.value if decline else None,
        decline_reason="the product is not offered" if decline else None,
        created_at=now,
        updated_at=now,
    )
    session.add(engagement)
    if status is EngagementStatus.accepted:
        context.publish(
            EngagementAccepted(
                engagement_id=engagement.id,
                request_id=event.request_id,
                routing_id=event.routing_id,
                product_code=event.product_code,
                accepted_by=AUTO_ACTOR,
                accepted_at=now,
            )
        )
    elif decline is not None:
        context.publish(
            EngagementDeclined(
                engagement_id=engagement.id,
                request_id=event.request_id,
                routing_id=event.routing_id,
                product_code=event.product_code,
                reason_code=decline,
                reason=engagement.decline_reason or "",
                declined_by=AUTO_ACTOR,
                declined_at=now,
            )
        )
