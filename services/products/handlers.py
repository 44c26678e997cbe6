"""Events the products service consumes: routed products, desks' unmet demand, and
requests their clients withdrew."""

from __future__ import annotations

import uuid

from sqlalchemy import insert, select
from sqlmodel import col

from contracts.events import (
    EngagementAccepted,
    EngagementDeclined,
    EngagementProposed,
    RequestRouted,
    RequestStatusChanged,
    UnmetDemandRecorded,
)
from services.products.domain import OPEN, EngagementStatus, intake_decision
from services.products.models import Engagement, UnmetDemand
from services.products.store import (
    active_engagements,
    change_status,
    intake_terms,
    status_changed,
)
from shared.commands import bump_version
from shared.messaging import EventContext, EventHandlers

handlers = EventHandlers()

AUTO_ACTOR = "products:auto-accept"
# A request withdrawn by its client, or merged into another (its work goes on there).
ENDED_REQUEST = frozenset({"withdrawn", "merged"})
_INSERT_ENGAGEMENT = insert(Engagement.__table__)  # type: ignore[attr-defined]


@handlers.on(RequestRouted)
async def on_request_routed(event: RequestRouted, context: EventContext) -> None:
    """Open an engagement for the routed product; accept it at once when capacity allows.

    A routing that has its engagement already changes nothing (a redelivery the inbox
    did not catch, a re-published event under a new id), and the routing id is unique
    on engagements besides. The product row is locked while its slots are counted, so
    an officer's concurrent accept cannot take the same last slot.
    """
    session = context.session
    terms = await intake_terms(session, event.product_code, event.routing_id)
    if terms.opened:
        return
    status, decline = intake_decision(
        product_active=terms.active,
        auto_accept=terms.auto_accept,
        capacity=terms.capacity,
        active_engagements=await active_engagements(session, event.product_code),
    )
    now = context.clock.now()
    engagement_id = str(uuid.uuid4())
    decline_reason = "the product is not offered" if decline else None
    # A Core INSERT with every column, on the table: nothing in the transaction reads
    # the engagement back as an object (a later event's handler queries it like any row),
    # and the ORM's bulk insert would map the row again.
    engagement = {
        "id": engagement_id,
        "routing_id": event.routing_id,
        "request_id": event.request_id,
        "product_code": event.product_code,
        "client_code": event.client_code,
        "client_kind": event.client_kind.value,
        "desk_code": event.desk_code,
        "country": event.country,
        "region": event.region,
        "title": event.title[:200],
        "description": event.description,
        "urgency": event.urgency.value,
        "details": event.details,
        "status": status.value,
        "decline_reason_code": decline.value if decline else None,
        "decline_reason": decline_reason,
        "decided_by": AUTO_ACTOR if status is not EngagementStatus.proposed else None,
        "accepted_at": now if status is EngagementStatus.accepted else None,
        "delivered_at": None,
        "created_at": now,
        "updated_at": now,
        "version": 1,
    }
    await session.execute(_INSERT_ENGAGEMENT, [engagement])
    about = {
        "engagement_id": engagement_id,
        "request_id": event.request_id,
        "routing_id": event.routing_id,
        "product_code": event.product_code,
    }
    if status is EngagementStatus.accepted:
        context.publish(EngagementAccepted(**about, accepted_by=AUTO_ACTOR, accepted_at=now))
    elif decline is not None:
        context.publish(
            EngagementDeclined(
                **about,
                reason_code=decline,
                reason=decline_reason or "",
                declined_by=AUTO_ACTOR,
                declined_at=now,
            )
        )
    else:
        context.publish(EngagementProposed(**about, proposed_at=now))


@handlers.on(RequestStatusChanged)
async def on_request_status_changed(event: RequestStatusChanged, context: EventContext) -> None:
    """A client withdrew its request, or its desk merged it into another: stop the work
    not yet delivered.

    Proposed, accepted, planning and deployed engagements become `withdrawn`: their
    capacity slot and their experts' days are freed at once. Delivered work stays
    delivered (the provider still closes it); declined and closed ones are final.
    """
    if event.to_status not in ENDED_REQUEST:
        return
    engagements = (
        await context.session.scalars(
            select(Engagement)
            .where(
                col(Engagement.request_id) == event.request_id,
                col(Engagement.status).in_([status.value for status in OPEN]),
            )
            .order_by(col(Engagement.id))
            .with_for_update()
        )
    ).all()
    now = context.clock.now()
    for engagement in engagements:
        previous = change_status(engagement, EngagementStatus.withdrawn, at=now)
        bump_version(engagement)
        context.publish(status_changed(engagement, previous, actor=event.actor, at=now))


@handlers.on(UnmetDemandRecorded)
async def on_unmet_demand_recorded(event: UnmetDemandRecorded, context: EventContext) -> None:
    """Keep the desks' record of unmet demand for the provider's figures; one per request
    and product, however often the desk records it."""
    session = context.session
    existing = (
        await session.scalars(
            select(UnmetDemand).where(
                col(UnmetDemand.request_id) == event.request_id,
                col(UnmetDemand.product_code) == event.product_code,
            )
        )
    ).first()
    if existing is not None:
        return
    session.add(
        UnmetDemand(
            request_id=event.request_id,
            product_code=event.product_code,
            client_code=event.client_code,
            client_kind=event.client_kind.value,
            country=event.country,
            region=event.region,
            desk_code=event.desk_code,
            reason_code=event.reason_code.value,
            note=event.note,
            recorded_by=event.recorded_by,
            recorded_at=event.recorded_at,
        )
    )
