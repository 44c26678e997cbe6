"""Events the partnerships service consumes: new requests, and declines for want of a partner.

Both handlers are safe against business-level duplicates (a second copy of the same
fact changes nothing), on top of the platform's inbox.
"""

from __future__ import annotations

from contracts.enums import DeclineReason
from contracts.events import EngagementDeclined, RequestSubmitted
from services.partnerships.models import KnownRequest, PartnerReferral
from shared.messaging import EventContext, EventHandlers

handlers = EventHandlers()


@handlers.on(RequestSubmitted)
async def on_request_submitted(event: RequestSubmitted, context: EventContext) -> None:
    """Keep what tenancy needs of the request: its desk and its client."""
    if await context.session.get(KnownRequest, event.request_id) is not None:
        return
    context.session.add(
        KnownRequest(
            id=event.request_id,
            client_code=event.client_code,
            desk_code=event.desk_code,
            country=event.country,
            region=event.region,
            title=event.title[:200],
        )
    )


@handlers.on(EngagementDeclined)
async def on_engagement_declined(event: EngagementDeclined, context: EventContext) -> None:
    """A decline because a partner is needed lets that product's provider open an
    assessment for the request; other declines are not this service's business."""
    if event.reason_code is not DeclineReason.needs_partner:
        return
    if await context.session.get(PartnerReferral, event.engagement_id) is not None:
        return
    context.session.add(
        PartnerReferral(
            engagement_id=event.engagement_id,
            request_id=event.request_id,
            product_code=event.product_code,
            reason=event.reason,
            declined_by=event.declined_by,
            declined_at=event.declined_at,
        )
    )
