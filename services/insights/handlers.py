"""Events the insights service consumes: each one updates the fact it is about, then
the request's lines and figures are derived again (store.refresh_requests); an
engagement's move also moves its product's monthly supply, and unmet demand its counts.
Both are left for the end of the consumer's batch (pending.py), so a request with
several events in one batch is derived once and each derived table is written once.

Nothing here depends on the order events arrive in: a status is kept only if it is
newer than the one held (domain.supersedes), a start time is the earliest seen, and an
engagement or assessment that arrives before its request waits in its fact until the
request's facts come. The platform's inbox makes a redelivered event change nothing.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update

from contracts.events import (
    AssessmentOpened,
    AssessmentStatusChanged,
    EngagementAccepted,
    EngagementDeclined,
    EngagementDelivered,
    EngagementProposed,
    EngagementStatusChanged,
    ProductCataloged,
    RequestSlaBreached,
    RequestStatusChanged,
    RequestSubmitted,
    UnmetDemandRecorded,
)
from services.insights import domain, pending
from services.insights.models import (
    AssessmentFact,
    EngagementFact,
    InsightsTable,
    ProductFact,
    RequestFact,
    RequestStep,
    SlaBreachFact,
    UnmetDemandFact,
)
from services.insights.pending import FACTS_ONLY
from services.insights.store import load_counts, unmet_counts
from shared.db import AsyncSession, conflict_insert
from shared.messaging import EventContext, EventHandlers

handlers = EventHandlers()


# The facts of the most frequent events (a request's, its steps', an engagement's) are
# read and written with Core statements made once per table and kept, not the ORM:
# session.get, the identity map and a flush of the changed object cost more CPU than
# the statements. No ORM object of these tables is ever held, so none goes stale.


@dataclass(frozen=True)
class _FactStatements:
    read: Any  # the row of a key (parameters named as the key's columns)
    insert: Any  # a new row
    insert_new: Any  # a row unless its key is held, returning the key when inserted
    update: Any  # the columns given of the row of a key (parameters key_<column>)


@functools.cache
def _statements(model: type[InsightsTable], dialect: str) -> _FactStatements:
    table: Any = model.__table__  # type: ignore[attr-defined]
    key = [table.c[column.name] for column in table.primary_key]
    return _FactStatements(
        read=select(table).where(*(column == bindparam(column.name) for column in key)),
        insert=insert(table),
        insert_new=conflict_insert(dialect, table).on_conflict_do_nothing().returning(*key),
        update=update(table).where(*(column == bindparam(f"key_{column.name}") for column in key)),
    )


def _of(session: AsyncSession, model: type[InsightsTable]) -> _FactStatements:
    return _statements(model, session.get_bind().dialect.name)


async def _read(
    session: AsyncSession, model: type[InsightsTable], **key: Any
) -> dict[str, Any] | None:
    """The fact's row of the key, as a plain dict; None if none is held."""
    result = await session.execute(_of(session, model).read, key, execution_options=FACTS_ONLY)
    row = result.first()
    return None if row is None else dict(row._mapping)


async def _insert_new(
    session: AsyncSession, model: type[InsightsTable], row: dict[str, Any]
) -> bool:
    """Insert the fact's row unless one of its key is held; whether it was inserted."""
    statement = _of(session, model).insert_new
    result = await session.execute(statement, row, execution_options=FACTS_ONLY)
    return result.first() is not None


async def _put(
    session: AsyncSession,
    model: type[InsightsTable],
    row: dict[str, Any],
    held: dict[str, Any] | None,
) -> None:
    """Write the fact's row: inserted if none was held, else the columns that differ."""
    statements = _of(session, model)
    if held is None:
        await session.execute(statements.insert, row, execution_options=FACTS_ONLY)
        return
    changed = {name: value for name, value in row.items() if held[name] != value}
    if changed:
        key = {f"key_{column.name}": held[column.name] for column in model.__table__.primary_key}  # type: ignore[attr-defined]
        await session.execute(statements.update, {**key, **changed}, execution_options=FACTS_ONLY)


@handlers.on(RequestSubmitted)
async def on_request_submitted(event: RequestSubmitted, context: EventContext) -> None:
    fact = {
        "id": event.request_id,
        "status": "submitted",
        "status_at": event.submitted_at,
        "client_code": event.client_code,
        "client_kind": event.client_kind.value,
        "country": event.country,
        "region": event.region,
        "desk_code": event.desk_code,
        "products": list(event.products),
        "submitted_at": event.submitted_at,
    }
    if await _insert_new(context.session, RequestFact, fact):
        await pending.later(context.session, event.request_id)


@handlers.on(RequestStatusChanged)
async def on_request_status_changed(event: RequestStatusChanged, context: EventContext) -> None:
    session = context.session
    fact = await _read(session, RequestFact, id=event.request_id)
    if fact is None:  # the request's own topic orders submitted first; nothing to place
        return
    step = {
        "request_id": event.request_id,
        "at": event.changed_at,
        "status": event.to_status,
        "actor": event.actor,
    }
    if not await _insert_new(session, RequestStep, step):
        return  # the same move published again: the history has it
    if domain.supersedes(
        domain.REQUEST_ORDER,
        (event.changed_at, event.to_status),
        (fact["status_at"], fact["status"]),
    ):
        moved = {**fact, "status": event.to_status, "status_at": event.changed_at}
        await _put(session, RequestFact, moved, fact)
    await pending.later(session, event.request_id)


@handlers.on(RequestSlaBreached)
async def on_request_sla_breached(event: RequestSlaBreached, context: EventContext) -> None:
    session = context.session
    fact = await session.get(
        SlaBreachFact, (event.request_id, event.clock.value), execution_options=FACTS_ONLY
    )
    if fact is not None and fact.breached_at <= event.breached_at:
        return
    fact = fact or SlaBreachFact(
        request_id=event.request_id, clock=event.clock.value, breached_at=event.breached_at
    )
    fact.breached_at = event.breached_at
    session.add(fact)
    await pending.later(session, event.request_id)


@handlers.on(UnmetDemandRecorded)
async def on_unmet_demand_recorded(event: UnmetDemandRecorded, context: EventContext) -> None:
    session = context.session
    if (
        await session.get(
            UnmetDemandFact, (event.request_id, event.product_code), execution_options=FACTS_ONLY
        )
        is not None
    ):
        return  # kept once per request and product, as the desks keep it
    fact = UnmetDemandFact(
        request_id=event.request_id,
        product_code=event.product_code,
        client_code=event.client_code,
        country=event.country,
        region=event.region,
        desk_code=event.desk_code,
        reason_code=event.reason_code.value,
        recorded_at=event.recorded_at,
    )
    session.add(fact)
    await pending.later(session, after=unmet_counts(fact))


async def _engagement(
    session: AsyncSession,
    engagement_id: str,
    request_id: str,
    product_code: str,
    status: str,
    at: datetime,
) -> None:
    held = await _read(session, EngagementFact, id=engagement_id)
    fact: dict[str, Any]
    if held is None:
        fact = {
            "id": engagement_id,
            "request_id": request_id,
            "product_code": product_code,
            "status": status,
            "started_at": at,
            "status_at": at,
            "accepted_at": None,
            "ended_at": None,
        }
    else:
        fact = {**held, "started_at": min(held["started_at"], at)}
        if domain.supersedes(
            domain.ENGAGEMENT_ORDER, (at, status), (held["status_at"], held["status"])
        ):
            fact["status"], fact["status_at"] = status, at
    if status in domain.SLOT_HOLDING:
        fact["accepted_at"] = _earliest(fact["accepted_at"], at)
    if status in domain.ENGAGEMENT_ENDED:
        fact["ended_at"] = _earliest(fact["ended_at"], at)
    await _put(session, EngagementFact, fact, held)
    await pending.later(
        session, request_id, before=load_counts(_load_of(held)), after=load_counts(_load_of(fact))
    )


def _earliest(held: datetime | None, at: datetime) -> datetime:
    return at if held is None else min(held, at)


def _load_of(fact: dict[str, Any] | None) -> domain.EngagementLoad | None:
    if fact is None:
        return None
    declined = fact["status"] == "declined"
    return domain.EngagementLoad(
        fact["product_code"], fact["started_at"], fact["accepted_at"], fact["ended_at"], declined
    )


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
    fact = await session.get(AssessmentFact, assessment_id, execution_options=FACTS_ONLY)
    if fact is None:  # its own topic orders the opening first
        return
    ended = status in domain.ASSESSMENT_ENDED and (fact.ended_at is None or at < fact.ended_at)
    if ended:
        fact.ended_at = at
    if domain.supersedes(domain.ASSESSMENT_ORDER, (at, status), (fact.status_at, fact.status)):
        fact.status, fact.status_at = status, at
    elif not ended:
        return
    session.add(fact)
    await pending.later(session, fact.request_id)


@handlers.on(AssessmentOpened)
async def on_assessment_opened(event: AssessmentOpened, context: EventContext) -> None:
    session = context.session
    if (
        await session.get(AssessmentFact, event.assessment_id, execution_options=FACTS_ONLY)
        is not None
    ):
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
    await pending.later(session, event.request_id)


@handlers.on(AssessmentStatusChanged)
async def on_assessment_status_changed(
    event: AssessmentStatusChanged, context: EventContext
) -> None:
    await _assessment_status(
        context.session, event.assessment_id, event.to_status, event.changed_at
    )


@handlers.on(ProductCataloged)
async def on_product_cataloged(event: ProductCataloged, context: EventContext) -> None:
    fact = await context.session.get(ProductFact, event.code, execution_options=FACTS_ONLY)
    if fact is not None and fact.revision >= event.revision:
        return
    fact = fact or ProductFact(code=event.code, name="", provider_unit="", revision=0)
    fact.name, fact.provider_unit, fact.revision = event.name, event.provider_unit, event.revision
    fact.capacity = event.capacity
    context.session.add(fact)
