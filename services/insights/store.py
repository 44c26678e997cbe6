"""Persistence of the projections: facts kept from the events, the lines derived from
them, the 3W aggregate kept in step with the lines, and the queries the views run.

A handler changes one fact and calls `refresh_request`, which derives the request's
lines again from all its facts (domain.py) and recounts the aggregate keys the old and
new lines touch. The lines are thus a function of the facts alone, whatever order the
events arrived in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    delete,
    false,
    func,
    or_,
    select,
    true,
    tuple_,
)
from sqlmodel import col

from contracts.http.insights.responses import CountrySummary, PartyKind, WhoDoesWhatRow
from services.insights import domain
from services.insights.models import (
    ActivityLine,
    AssessmentFact,
    EngagementFact,
    ProductFact,
    RequestFact,
    WhoDoesWhat,
    WhoDoesWhatTotal,
)
from shared.db import AsyncSession

# The columns that make a 3W aggregate key, in the order of its primary key.
KEY_COLUMNS = (
    "country",
    "desk_code",
    "party_kind",
    "party",
    "product_code",
    "client_code",
    "status",
    "start_month",
    "end_month",
)
AggregateKey = tuple[str, ...]
# Its all-time counterpart is keyed by the same columns but the months.
TOTAL_KEY_COLUMNS = KEY_COLUMNS[:-2]
Aggregate = type[WhoDoesWhat] | type[WhoDoesWhatTotal]


async def refresh_request(session: AsyncSession, request_id: str) -> None:
    """Derive the request's lines from its facts again and recount what they touch."""
    old = (
        await session.scalars(
            select(ActivityLine).where(col(ActivityLine.request_id) == request_id)
        )
    ).all()
    touched = {_key(line) for line in old}
    await session.execute(delete(ActivityLine).where(col(ActivityLine.request_id) == request_id))
    for line in await _derived_lines(session, request_id):
        session.add(line)
        touched.add(_key(line))
    await session.flush()
    for key in sorted(touched):
        await _recount(session, WhoDoesWhat, KEY_COLUMNS, key)
    for key in sorted({key[: len(TOTAL_KEY_COLUMNS)] for key in touched}):
        await _recount(session, WhoDoesWhatTotal, TOTAL_KEY_COLUMNS, key)


async def _derived_lines(session: AsyncSession, request_id: str) -> list[ActivityLine]:
    request = await session.get(RequestFact, request_id)
    if request is None:  # its engagements came first: lines once we know where it is
        return []
    engagements = await session.scalars(
        select(EngagementFact).where(col(EngagementFact.request_id) == request_id)
    )
    assessments = await session.scalars(
        select(AssessmentFact).where(col(AssessmentFact.request_id) == request_id)
    )
    lines = domain.desk_lines(
        request.desk_code, request.products, request.status, request.submitted_at, request.status_at
    )
    lines += [
        domain.provider_line(e.product_code, e.status, e.started_at, e.status_at)
        for e in engagements
    ]
    for assessment in assessments:
        lines += domain.partner_lines(
            assessment.partners,
            request.products,
            assessment.status,
            assessment.opened_at,
            assessment.status_at,
        )
    where = domain.Where(request.country, request.region, request.desk_code, request.client_code)
    return [_row(request_id, where, line) for line in domain.merged(lines)]


def _row(request_id: str, where: domain.Where, line: domain.Line) -> ActivityLine:
    return ActivityLine(
        request_id=request_id,
        party_kind=line.party_kind.value,
        party=line.party,
        product_code=line.product_code,
        country=where.country,
        region=where.region,
        desk_code=where.desk_code,
        client_code=where.client_code,
        activity=line.activity,
        status=line.status,
        started_at=line.started_at,
        start_month=line.start_month,
        end_month=line.end_month,
    )


def _key(line: ActivityLine) -> AggregateKey:
    return tuple(str(getattr(line, name)) for name in KEY_COLUMNS)


async def _recount(
    session: AsyncSession, table: Aggregate, columns: tuple[str, ...], key: AggregateKey
) -> None:
    """The aggregate row of one key, counted again from the lines (or gone)."""
    matches = [
        getattr(ActivityLine, name) == value for name, value in zip(columns, key, strict=True)
    ]
    still_open = func.sum(case((col(ActivityLine.end_month) == domain.OPEN, 1), else_=0))
    count, open_count, since, region, activity = (
        await session.execute(
            select(
                func.count(),
                still_open,
                func.min(ActivityLine.started_at),
                func.min(ActivityLine.region),
                func.min(ActivityLine.activity),
            ).where(*matches)
        )
    ).one()
    identity = dict(zip(columns, key, strict=True))
    existing = await session.get(table, identity)
    if not count:
        if existing is not None:
            await session.delete(existing)
        return
    if existing is None:
        existing = table(
            **identity, region=region, activity=activity, requests=0, open_requests=0, since=since
        )
    existing.requests, existing.open_requests, existing.since = count, int(open_count or 0), since
    existing.region, existing.activity = region, activity
    session.add(existing)


def scoped(table: Aggregate, scope: domain.Scope) -> ColumnElement[bool]:
    """The caller's part of a 3W aggregate (domain.scope_of)."""
    conditions: list[ColumnElement[bool]] = []
    if scope.client_code is not None:
        conditions.append(col(table.client_code) == scope.client_code)
    if scope.desk_code is not None:
        conditions.append(col(table.desk_code) == scope.desk_code)
    if scope.products is not None:
        products = list(scope.products)
        conditions.append(col(table.product_code).in_(products) if products else false())
    if scope.partner is not None:
        conditions.append(col(table.party_kind) == PartyKind.partner.value)
        conditions.append(col(table.party) == scope.partner)
    return and_(true(), *conditions)


def within(first_month: str | None, last_month: str | None) -> ColumnElement[bool]:
    """Lines active at some time in the window: started by its end, not ended before it
    (on the monthly aggregate)."""
    conditions: list[ColumnElement[bool]] = []
    if last_month is not None:
        conditions.append(col(WhoDoesWhat.start_month) <= last_month)
    if first_month is not None:
        conditions.append(
            or_(
                col(WhoDoesWhat.end_month) == domain.OPEN,
                col(WhoDoesWhat.end_month) >= first_month,
            )
        )
    return and_(true(), *conditions)


def matching(table: Aggregate, filters: dict[str, Any]) -> list[ColumnElement[bool]]:
    """Equality filters on an aggregate's columns, those given."""
    return [getattr(table, name) == value for name, value in filters.items() if value]


def _grouped(table: Aggregate, where: Sequence[ColumnElement[bool]]) -> Select[*tuple[Any, ...]]:
    """The 3W lines in their key's order. The all-time aggregate holds them as they are;
    the monthly one is summed over the months (the grouping follows its primary key,
    so no sort is needed)."""
    group = [getattr(table, name) for name in TOTAL_KEY_COLUMNS]
    if table is WhoDoesWhatTotal:
        columns = [col(table.region), col(table.activity), col(table.since), col(table.requests)]
        return select(*group, *columns).where(*where).order_by(*group)
    return (
        select(
            *group,
            func.min(col(table.region)).label("region"),
            func.min(col(table.activity)).label("activity"),
            func.min(col(table.since)).label("since"),
            func.sum(col(table.requests)).label("requests"),
        )
        .where(*where)
        .group_by(*group)
        .order_by(*group)
    )


async def who_does_what(
    session: AsyncSession,
    table: Aggregate,
    where: Sequence[ColumnElement[bool]],
    *,
    limit: int | None,
    offset: int = 0,
) -> tuple[list[WhoDoesWhatRow], int]:
    """The 3W lines, grouped over the months, in a stable order; and how many there are."""
    grouped = _grouped(table, where)
    total = (
        await session.scalar(select(func.count()).select_from(grouped.order_by(None).subquery()))
        or 0
    )
    query = grouped.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    names = await provider_names(session)
    rows = [_who_does_what_row(row, names) for row in (await session.execute(query)).all()]
    return rows, total


async def who_does_what_after(
    session: AsyncSession,
    table: Aggregate,
    where: Sequence[ColumnElement[bool]],
    after: AggregateKey | None,
    size: int,
) -> tuple[list[WhoDoesWhatRow], AggregateKey | None]:
    """One chunk of an export: up to `size` 3W lines after the key `after`, in key order
    (a keyset, so each chunk is one short indexed read), and the key to go on from, or
    None when this was the last chunk."""
    if after is not None:
        group = [getattr(table, name) for name in TOTAL_KEY_COLUMNS]
        where = [*where, tuple_(*group) > tuple_(*after)]
    rows = (await session.execute(_grouped(table, where).limit(size))).all()
    names = await provider_names(session)
    last = (
        tuple(getattr(rows[-1], name) for name in TOTAL_KEY_COLUMNS) if len(rows) == size else None
    )
    return [_who_does_what_row(row, names) for row in rows], last


def _who_does_what_row(row: Any, names: dict[str, str]) -> WhoDoesWhatRow:
    kind = PartyKind(row.party_kind)
    org_name = names.get(row.party, row.party) if kind is PartyKind.provider else row.party
    return WhoDoesWhatRow(
        country=row.country,
        region=row.region,
        party_kind=kind,
        party=row.party,
        org_name=org_name,
        product_code=row.product_code,
        client_code=row.client_code,
        activity=row.activity,
        status=row.status,
        since=row.since,
        requests=int(row.requests),
    )


async def country_summaries(
    session: AsyncSession, table: Aggregate, where: Sequence[ColumnElement[bool]]
) -> list[CountrySummary]:
    """Per country: engagements, the open ones, distinct organisations and products."""
    query = (
        select(
            col(table.country),
            func.min(col(table.region)),
            func.sum(col(table.requests)),
            func.sum(col(table.open_requests)),
            func.count(func.distinct(col(table.party_kind) + ":" + col(table.party))),
            func.count(func.distinct(col(table.product_code))),
        )
        .where(*where)
        .group_by(col(table.country))
        .order_by(col(table.country))
    )
    return [
        CountrySummary(
            country=country,
            region=region,
            engagements=int(engagements),
            open_engagements=int(open_engagements or 0),
            organisations=int(organisations),
            products=int(products),
        )
        for country, region, engagements, open_engagements, organisations, products in (
            await session.execute(query)
        ).all()
    ]


async def provider_names(session: AsyncSession) -> dict[str, str]:
    """Product code to the name of the unit that provides it (a handful of rows)."""
    rows = await session.execute(select(col(ProductFact.code), col(ProductFact.provider_unit)))
    return {code: unit for code, unit in rows.all()}
