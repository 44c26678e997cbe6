"""Events the partnerships service consumes: new requests, and declines for want of a partner.

Both handlers are safe against business-level duplicates (a second copy of the same
fact changes nothing), on top of the platform's inbox: each writes its row with one
INSERT that does nothing when the row's key is already there (no read first, and no
ORM object, since nothing in the transaction reads the row back as one).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Insert
from sqlmodel import SQLModel

from contracts.enums import DeclineReason
from contracts.events import EngagementDeclined, RequestSubmitted
from services.partnerships.models import KnownRequest, PartnerReferral
from shared.db import AsyncSession, conflict_insert
from shared.messaging import EventContext, EventHandlers

handlers = EventHandlers()


@handlers.on(RequestSubmitted)
async def on_request_submitted(event: RequestSubmitted, context: EventContext) -> None:
    """Keep what tenancy needs of the request: its desk and its client."""
    row = {
        "id": event.request_id,
        "client_code": event.client_code,
        "desk_code": event.desk_code,
        "country": event.country,
        "region": event.region,
        "title": event.title[:200],
    }
    await _insert_once(context.session, KnownRequest, row)


@handlers.on(EngagementDeclined)
async def on_engagement_declined(event: EngagementDeclined, context: EventContext) -> None:
    """A decline because a partner is needed lets that product's provider open an
    assessment for the request; other declines are not this service's business."""
    if event.reason_code is not DeclineReason.needs_partner:
        return
    row = {
        "engagement_id": event.engagement_id,
        "request_id": event.request_id,
        "product_code": event.product_code,
        "reason": event.reason,
        "declined_by": event.declined_by,
        "declined_at": event.declined_at,
    }
    await _insert_once(context.session, PartnerReferral, row)


async def _insert_once(session: AsyncSession, table: type[SQLModel], row: dict[str, Any]) -> None:
    """Insert the row unless one with its primary key exists (then keep that one)."""
    await session.execute(_insert_once_statement(table, session.get_bind().dialect.name), row)


@cache
def _insert_once_statement(table: type[SQLModel], dialect: str) -> Insert:
    # Built once per table and dialect, on the table (Core): building it per event, and
    # the ORM's bulk insert mapping the row, cost more CPU than the INSERT itself.
    return conflict_insert(dialect, table.__table__).on_conflict_do_nothing()  # type: ignore[attr-defined]
