"""Persistence of the projections: facts kept from the events, the lines derived from
them, the 3W aggregate kept in step with the lines, and the queries the views run.

A handler changes one fact and calls `refresh_request`, which derives the request's
lines again from all its facts (domain.py) and recounts the aggregate keys the old and
new lines touch. The lines are thus a function of the facts alone, whatever order the
events arrived in.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Row,
    Select,
    and_,
    bindparam,
    case,
    delete,
    false,
    func,
    insert,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.visitors import replacement_traverse
from sqlmodel import col

from contracts.http.insights.requests import Grouping
from contracts.http.insights.responses import (
    AttributedBreach,
    CoordinationCost,
    CoordinationRoute,
    CountrySummary,
    DemandWithoutSupply,
    HoldingParty,
    PartyKind,
    PartyTime,
    ProductLoadMonth,
    RequestFigures,
    ShareDistribution,
    UnmetDemandMonth,
    WhoDoesWhatRow,
)
from services.insights import domain
from services.insights.models import (
    EVERYONE,
    WHOLE_REQUEST,
    ActivityLine,
    AssessmentFact,
    CoordinationMonth,
    CoordinationMonthTotal,
    EngagementFact,
    InsightsTable,
    PartyShare,
    PartyShareTotal,
    ProductFact,
    ProductLoad,
    RequestCoordination,
    RequestFact,
    RequestParty,
    RequestProduct,
    RequestStep,
    SlaBreachFact,
    UnmetDemandCount,
    UnmetDemandFact,
    UnmetDemandTotal,
    WhoDoesWhat,
    WhoDoesWhatSpan,
    WhoDoesWhatTotal,
)
from shared.db import AsyncSession, conflict_insert

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


def refresh_requests(session: Session, request_ids: Iterable[str]) -> None:
    """Derive the requests' lines and figures from their facts again and recount what
    they touch: a batch's requests together, their facts read once for both, one
    statement per table for all of them; every write a Core statement (the ORM's
    objects would cost more to make than the statements). Synchronous, as it runs from
    the session's events at the batch's end (pending.py)."""
    ids = sorted(set(request_ids))
    if not ids:
        return
    lines = _table(ActivityLine)
    held = session.execute(select(lines).where(lines.c.request_id.in_(ids)))
    old = {_line_key(row._mapping): dict(row._mapping) for row in held}
    facts = _facts_of(session, ids)
    new: dict[tuple[str, ...], dict[str, Any]] = {}
    for request in facts.requests:  # a request not known yet: lines once we know where
        derived = _derived_lines(
            request, facts.engagements.get(request.id, []), facts.assessments.get(request.id, [])
        )
        new.update((_line_key(line), line) for line in derived)
    # Only the lines that changed are rewritten, and only the keys they leave or join
    # are recounted (a line as it was counts the same).
    gone = [key for key, line in old.items() if new.get(key) != line]
    made = [line for key, line in new.items() if old.get(key) != line]
    if gone:
        session.execute(_delete_by_key(lines), _key_params(lines, [old[k] for k in gone]))
    if made:
        session.execute(insert(lines), made)
    touched = {_aggregate_key(old[key]) for key in gone} | {_aggregate_key(line) for line in made}
    _recount(session, WhoDoesWhat, KEY_COLUMNS, sorted(touched))
    totals = sorted({key[: len(TOTAL_KEY_COLUMNS)] for key in touched})
    _recount(session, WhoDoesWhatTotal, TOTAL_KEY_COLUMNS, totals)
    _respan(session, totals)
    refresh_figures(session, facts)


def _line_key(line: Any) -> tuple[str, ...]:
    """A line's primary key: request, kind of party, party, product."""
    return (line["request_id"], line["party_kind"], line["party"], line["product_code"])


def _aggregate_key(line: dict[str, Any]) -> AggregateKey:
    return tuple(line[name] for name in KEY_COLUMNS)


# A fact's row as read (a request's, an engagement's, an assessment's): the columns of
# its model as attributes, read with Core (no ORM object is made).
FactRow = Row[Any]


@dataclass(frozen=True)
class Facts:
    """The facts of some requests: those known, and their engagements and assessments by
    request (also of requests not known yet)."""

    requests: list[FactRow]
    engagements: dict[str, list[FactRow]]
    assessments: dict[str, list[FactRow]]


def _facts_of(session: Session, ids: list[str]) -> Facts:
    requests, engagements, assessments = (
        _table(model) for model in (RequestFact, EngagementFact, AssessmentFact)
    )
    return Facts(
        requests=list(session.execute(select(requests).where(requests.c.id.in_(ids)))),
        engagements=_by_request(session, engagements, ids),
        assessments=_by_request(session, assessments, ids),
    )


def _by_request(session: Session, table: Any, ids: list[str]) -> dict[str, list[Row[Any]]]:
    """The rows of a table of the requests, by request."""
    by_request: dict[str, list[Row[Any]]] = {}
    for row in session.execute(select(table).where(table.c.request_id.in_(ids))):
        by_request.setdefault(row.request_id, []).append(row)
    return by_request


def _derived_lines(
    request: FactRow, engagements: Sequence[FactRow], assessments: Sequence[FactRow]
) -> list[dict[str, Any]]:
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
    return [activity_row(request.id, where, line) for line in domain.merged(lines)]


def activity_row(request_id: str, where: domain.Where, line: domain.Line) -> dict[str, Any]:
    """A request's activity line as its `ActivityLine` row (what a bulk fill writes too)."""
    return {
        "request_id": request_id,
        "party_kind": line.party_kind.value,
        "party": line.party,
        "product_code": line.product_code,
        "country": where.country,
        "region": where.region,
        "desk_code": where.desk_code,
        "client_code": where.client_code,
        "activity": line.activity,
        "status": line.status,
        "started_at": line.started_at,
        "start_month": line.start_month,
        "end_month": line.end_month,
    }


def _table(model: Any) -> Any:
    """The Core table of a model, for statements that skip the ORM's objects."""
    return model.__table__


def _upsert(
    session: Session, table: Any, *, replaced: Sequence[str] = (), added: Sequence[str] = ()
) -> Any:
    """An INSERT of rows that, for a row of the same primary key, sets the `replaced`
    columns to the new values and adds the new values to the `added` ones (and does
    nothing when neither is given), in the session's dialect."""
    dialect = session.get_bind().dialect.name
    return _upsert_of(dialect, table, tuple(replaced), tuple(added))


@functools.lru_cache(maxsize=128)
def _upsert_of(dialect: str, table: Any, replaced: tuple[str, ...], added: tuple[str, ...]) -> Any:
    """Made once and kept: SQLAlchemy derives a new statement's cache key from its whole
    tree at each run, which cost more than the write of a few rows."""
    statement = conflict_insert(dialect, table)
    key = list(_primary_key(table))
    if not replaced and not added:
        return statement.on_conflict_do_nothing(index_elements=key)
    set_ = {name: statement.excluded[name] for name in replaced}
    set_ |= {name: table.c[name] + statement.excluded[name] for name in added}
    return statement.on_conflict_do_update(index_elements=key, set_=set_)


@functools.cache
def _primary_key(table: Any) -> tuple[str, ...]:
    return tuple(column.name for column in table.primary_key)


@functools.lru_cache(maxsize=128)
def _delete_by_key(table: Any, emptied: tuple[str, ...] = ()) -> Any:
    """A DELETE of one row by its primary key (run once per key given), only if its
    `emptied` columns are all 0; made once and kept (see `_upsert_of`)."""
    key = [table.c[name] == bindparam(f"key_{name}") for name in _primary_key(table)]
    return delete(table).where(*key, *(table.c[name] == 0 for name in emptied))


def _key_params(table: Any, keys: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{f"key_{name}": key[name] for name in _primary_key(table)} for key in keys]


def _any_of(table: Any, columns: tuple[str, ...], count: int) -> Any:
    """Rows whose columns hold one of `count` keys (bound by `_keys_bound`): an OR of
    equalities, which SQLite reads with one index search per key (a row-value IN scans
    the whole index). The statements around it are made once per size (see
    `_statement_size`) and kept: building the equalities, and the cache key SQLAlchemy
    derives from a new statement's whole tree at each run, cost more than running it."""
    return or_(
        *(
            and_(*(table.c[name] == bindparam(f"k{i}_{j}") for j, name in enumerate(columns)))
            for i in range(count)
        )
    )


def _statement_size(count: int) -> int:
    """How many keys a statement for `count` keys holds: a power of two up to 64, then a
    multiple of 64, so a few statements (each compiled once) serve every count."""
    if count <= 64:
        return 1 << (count - 1).bit_length()
    return -(-count // 64) * 64


def _keys_bound(keys: Sequence[AggregateKey]) -> dict[str, Any]:
    """The parameters of `_any_of` of `_statement_size` keys for the keys: the last one
    repeated to fill it (a key twice in an OR matches the same rows)."""
    padded = [*keys, *([keys[-1]] * (_statement_size(len(keys)) - len(keys)))]
    return {f"k{i}_{j}": value for i, key in enumerate(padded) for j, value in enumerate(key)}


@functools.lru_cache(maxsize=256)
def _lines_counted(columns: tuple[str, ...], size: int) -> Select[Any]:
    """The lines of `size` aggregate keys of `columns`, counted per key."""
    lines = _table(ActivityLine)
    grouped = [lines.c[name] for name in columns]
    still_open = func.sum(case((lines.c.end_month == domain.OPEN, 1), else_=0))
    return (
        select(
            *grouped,
            func.count(),
            still_open,
            func.min(lines.c.started_at),
            func.min(lines.c.region),
            func.min(lines.c.activity),
        )
        .where(_any_of(lines, columns, size))
        .group_by(*grouped)
    )


@functools.lru_cache(maxsize=64)
def _months_of(size: int) -> Select[Any]:
    """The monthly 3W rows of `size` all-time keys, in key order."""
    monthly = _table(WhoDoesWhat)
    monthly_key = [monthly.c[name] for name in TOTAL_KEY_COLUMNS]
    return (
        select(*monthly_key, monthly.c.start_month, monthly.c.end_month, monthly.c.region)
        .where(_any_of(monthly, TOTAL_KEY_COLUMNS, size))
        .order_by(*monthly_key)
    )


@functools.lru_cache(maxsize=64)
def _spans_of(size: int) -> Select[Any]:
    """The spans held for `size` all-time keys, in key and month order."""
    spans = _table(WhoDoesWhatSpan)
    span_key = [spans.c[name] for name in TOTAL_KEY_COLUMNS]
    return (
        select(*span_key, spans.c.start_month, spans.c.end_month)
        .where(_any_of(spans, TOTAL_KEY_COLUMNS, size))
        .order_by(*span_key, spans.c.start_month)
    )


# What a 3W aggregate row holds besides its key, counted from its lines.
RECOUNTED = ("requests", "open_requests", "since", "region", "activity")


def _recount(
    session: Session, aggregate: Aggregate, columns: tuple[str, ...], keys: list[AggregateKey]
) -> None:
    """The aggregate rows of the keys, counted again from the lines in one grouped read
    (those left with no line removed): one statement per table, not per key."""
    if not keys:
        return
    table = _table(aggregate)
    counted = session.execute(
        _lines_counted(columns, _statement_size(len(keys))), _keys_bound(keys)
    )
    width = len(columns)
    found = {tuple(row[:width]): dict(zip(RECOUNTED, row[width:], strict=True)) for row in counted}
    rows = [{**dict(zip(columns, key, strict=True)), **found[key]} for key in keys if key in found]
    if rows:
        rows = [{**row, "open_requests": int(row["open_requests"] or 0)} for row in rows]
        session.execute(_upsert(session, table, replaced=RECOUNTED), rows)
    gone = [dict(zip(columns, key, strict=True)) for key in keys if key not in found]
    if gone:
        session.execute(_delete_by_key(table), _key_params(table, gone))


def _respan(session: Session, keys: list[AggregateKey]) -> None:
    """The active months of the all-time keys, merged again from their monthly rows
    (just recounted), written for the keys whose spans changed."""
    if not keys:
        return
    spans = _table(WhoDoesWhatSpan)
    size = _statement_size(len(keys))
    months = session.execute(_months_of(size), _keys_bound(keys))
    wanted: dict[AggregateKey, list[dict[str, Any]]] = {key: [] for key in keys}
    for row in span_rows(months):
        wanted[tuple(row[name] for name in TOTAL_KEY_COLUMNS)].append(row)
    held_rows = session.execute(_spans_of(size), _keys_bound(keys))
    held: dict[AggregateKey, list[tuple[str, str]]] = {key: [] for key in keys}
    width = len(TOTAL_KEY_COLUMNS)
    for span in held_rows:
        held[tuple(span[:width])].append((span[width], span[width + 1]))
    changed = [
        key
        for key in keys
        if held[key] != [(row["start_month"], row["end_month"]) for row in wanted[key]]
    ]
    if not changed:
        return
    by_key = [dict(zip(TOTAL_KEY_COLUMNS, key, strict=True)) for key in changed]
    gone = [spans.c[name] == bindparam(f"key_{name}") for name in TOTAL_KEY_COLUMNS]
    session.execute(
        delete(spans).where(*gone),
        [{f"key_{name}": key[name] for name in TOTAL_KEY_COLUMNS} for key in by_key],
    )
    made = [row for key in changed for row in wanted[key]]
    if made:
        session.execute(insert(spans), made)


def span_rows(monthly: Iterable[Sequence[Any]]) -> list[dict[str, Any]]:
    """The span rows of monthly 3W rows given as (the all-time key's columns..., start
    month, end month, region) in the key's order: what a bulk fill writes (a migration,
    the bench's seed) and `_respan` keeps in step afterwards."""
    width = len(TOTAL_KEY_COLUMNS)
    rows: list[dict[str, Any]] = []
    for key, group in itertools.groupby(monthly, key=lambda row: tuple(row[:width])):
        months = [tuple(row[width:]) for row in group]
        identity = dict(zip(TOTAL_KEY_COLUMNS, key, strict=True))
        rows += [
            {**identity, "start_month": start, "end_month": end, "region": months[0][2]}
            for start, end in domain.active_spans((start, end) for start, end, _ in months)
        ]
    return rows


def _on_spans(where: Sequence[ColumnElement[bool]]) -> list[ColumnElement[bool]]:
    """Conditions on the monthly 3W aggregate (a scope, filters, a window) made on the
    spans instead: the spans have the same key columns, region and months (a span's
    start and end are those of a run of months), so each reads the same there."""
    monthly, spans = _table(WhoDoesWhat), _table(WhoDoesWhatSpan)

    def swapped(element: Any, **_: Any) -> Any:
        if isinstance(element, Column) and element.table is monthly:
            return spans.c[element.name]
        return None

    return [replacement_traverse(condition, {}, swapped) for condition in where]


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
    """The 3W lines, grouped over the months, in a stable order; and how many there are
    (in a window: the lines with a span of active months that meets it, WhoDoesWhatSpan,
    a few rows per line where the monthly aggregate has one per month)."""
    grouped = _grouped(table, where)
    counted = grouped.order_by(None)
    if table is WhoDoesWhat:
        keys = [getattr(WhoDoesWhatSpan, name) for name in TOTAL_KEY_COLUMNS]
        counted = select(*keys).where(*_on_spans(where)).group_by(*keys)
    total = await session.scalar(select(func.count()).select_from(counted.subquery())) or 0
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


# --- SLA time per party and the cost of coordination ---------------------------------

# One count an aggregate row gets from a derived row: the table, its primary key, the
# columns it carries besides (set when the row is made), and the amounts it adds.
CountKey = tuple[type[InsightsTable], tuple[tuple[str, Any], ...], tuple[tuple[str, Any], ...]]
Counts = list[tuple[CountKey, dict[str, int]]]


def refresh_figures(session: Session, facts: Facts) -> None:
    """Derive the requests' figures from their facts again, write only the rows that
    changed (an event moves its request's time, but about half of its parties' rows and
    nine in ten of its product rows stay as they were), and move the aggregates by the
    difference between the changed requests' old and new contributions (an unchanged
    request's would cancel out, so it is not counted at all)."""
    ids = [request.id for request in facts.requests]
    if not ids:
        return
    coordination = _table(RequestCoordination)
    parties = _table(RequestParty)
    held = _rows_by_key(session, coordination, ids)
    held_parties = _rows_by_key(session, parties, ids)
    steps = _by_request(session, _table(RequestStep), ids)
    breaches = _by_request(session, _table(SlaBreachFact), ids)
    rows: RowsByKey = {}
    party_rows: RowsByKey = {}
    for request in facts.requests:
        request_id = request.id
        history = _history(
            request,
            facts.engagements.get(request_id, []),
            facts.assessments.get(request_id, []),
            steps.get(request_id, []),
            breaches.get(request_id, []),
        )
        figures = domain.figures_of(history)
        products = sorted({*request.products, *(e.product_code for e in history.engagements)})
        partners = sorted({p for a in history.assessments for p in a.partners})
        row = coordination_row(request, products, partners, figures, len(history.assessments))
        rows[(request_id,)] = row
        for party in figures.parties:
            party_row = {
                "request_id": request_id,
                "party_kind": party.kind.value,
                "party": party.party,
                "seconds": party.seconds,
                "breaches": party.breaches,
            }
            party_rows[_key_of(parties, party_row)] = party_row
    changed = [key for key, row in rows.items() if held.get(key) != row]
    before = [count for key in changed if key in held for count in coordination_counts(held[key])]
    after = [count for key in changed for count in coordination_counts(rows[key])]
    _write_changes(session, coordination, held, rows)
    _write_changes(session, parties, held_parties, party_rows)
    # A request's product rows are its coordination row's products (written together
    # here and nowhere else), so the held ones are known without reading them.
    _write_changes(
        session, _table(RequestProduct), _product_rows(held.values()), _product_rows(rows.values())
    )
    apply_counts(session, before, after)


# A table's rows by their primary key's values (in the order of its columns).
RowsByKey = dict[tuple[Any, ...], dict[str, Any]]


def _key_of(table: Any, row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row[name] for name in _primary_key(table))


def _rows_by_key(session: Session, table: Any, ids: list[str]) -> RowsByKey:
    """The rows of a table of the requests, as plain dicts by primary key."""
    held = session.execute(select(table).where(table.c.request_id.in_(ids)))
    rows = [dict(row._mapping) for row in held]
    return {_key_of(table, row): row for row in rows}


def _product_rows(coordination: Iterable[dict[str, Any]]) -> RowsByKey:
    """The product rows of requests' coordination rows: one per product."""
    return {
        (row["request_id"], product): {"request_id": row["request_id"], "product_code": product}
        for row in coordination
        for product in row["products"]
    }


def _write_changes(session: Session, table: Any, held: RowsByKey, wanted: RowsByKey) -> None:
    """Make a table's rows of some requests those wanted, touching only what differs:
    the new and changed rows written by one upsert (in key order, so two transactions
    lock rows in the same order), the rows no longer wanted deleted by key."""
    written = [wanted[key] for key in sorted(wanted) if held.get(key) != wanted[key]]
    if written:
        key = _primary_key(table)
        rest = [column.name for column in table.columns if column.name not in key]
        session.execute(_upsert(session, table, replaced=rest), written)
    gone = [row for key, row in held.items() if key not in wanted]
    if gone:
        session.execute(_delete_by_key(table), _key_params(table, gone))


def _history(
    request: FactRow,
    engagements: Sequence[FactRow],
    assessments: Sequence[FactRow],
    steps: Sequence[FactRow],
    breaches: Sequence[FactRow],
) -> domain.RequestHistory:
    return domain.RequestHistory(
        client_code=request.client_code,
        desk_code=request.desk_code,
        submitted_at=request.submitted_at,
        steps=tuple(domain.Step(step.at, step.status, step.actor) for step in steps),
        engagements=tuple(
            domain.EngagementPart(
                e.product_code,
                e.started_at,
                e.accepted_at,
                e.ended_at,
                declined=e.status == "declined",
                moved_at=e.status_at,
            )
            for e in engagements
        ),
        assessments=tuple(
            domain.AssessmentPart(tuple(a.partners), a.opened_at, a.ended_at, a.status_at)
            for a in assessments
        ),
        breaches=tuple(domain.Breach(b.clock, b.breached_at) for b in breaches),
    )


def _holder(key: domain.HolderKey) -> str:
    return f"{key[0].value}:{key[1]}"


def coordination_row(
    request: RequestFact | FactRow,
    products: list[str],
    partners: list[str],
    figures: domain.RequestFiguresOf,
    assessments: int,
) -> dict[str, Any]:
    """A request's `RequestCoordination` row, as the plain values written (and compared
    with the row held, to write only those that changed)."""
    route = CoordinationRoute.intake if figures.routed_at_intake else CoordinationRoute.triage
    return dict(
        request_id=request.id,
        desk_code=request.desk_code,
        client_code=request.client_code,
        country=request.country,
        region=request.region,
        products=products,
        partners=partners,
        status=figures.status,
        route=route.value,
        submitted_at=request.submitted_at,
        month=domain.month_of(request.submitted_at),
        measured_until=figures.measured_until,
        measured_s=figures.measured_s,
        held_by=[_holder(key) for key in figures.held_by],
        client_s=figures.seconds_of(HoldingParty.client),
        desk_s=figures.seconds_of(HoldingParty.desk),
        provider_s=figures.seconds_of(HoldingParty.provider),
        partner_s=figures.seconds_of(HoldingParty.partner),
        breaches=[
            {
                "clock": b.clock,
                "breached_at": b.breached_at.isoformat(),
                "held_by": [_holder(key) for key in b.held_by],
            }
            for b in figures.breaches
        ],
        hand_offs=figures.hand_offs,
        parties_involved=len(figures.parties),
        reroutings=figures.reroutings,
        declines=figures.declines,
        first_engagement_s=figures.first_engagement_s,
        assessments=assessments,
        joint_assessment_s=figures.joint_assessment_s,
    )


def _share(seconds: int, measured_s: int) -> int:
    return round(100 * seconds / measured_s) if measured_s else 0


def coordination_counts(row: Mapping[str, Any]) -> Counts:
    """What one request adds to the cost-and-time aggregate and to the share counts: once
    as a whole (product "") and once per product of it; for everyone (partner "") and
    again for each partner of its joint assessments."""
    seconds = {
        HoldingParty.client: row["client_s"],
        HoldingParty.desk: row["desk_s"],
        HoldingParty.provider: row["provider_s"],
        HoldingParty.partner: row["partner_s"],
    }
    breaches = {kind: 0 for kind in HoldingParty}
    for breach in row["breaches"]:
        for kind in {HoldingParty(holder.split(":", 1)[0]) for holder in breach["held_by"]}:
            breaches[kind] += 1
    amounts = {
        "requests": 1,
        "hand_offs": row["hand_offs"],
        "parties_involved": row["parties_involved"],
        "reroutings": row["reroutings"],
        "declines": row["declines"],
        "engaged_requests": int(row["first_engagement_s"] is not None),
        "first_engagement_s": row["first_engagement_s"] or 0,
        "assessed_requests": int(row["assessments"] > 0),
        "joint_assessment_s": row["joint_assessment_s"],
        **{f"{kind.value}_s": value for kind, value in seconds.items()},
        **{f"{kind.value}_breaches": value for kind, value in breaches.items()},
    }
    counts: Counts = []
    for audience in (EVERYONE, *row["partners"]):
        for product in (WHOLE_REQUEST, *row["products"]):
            month_key = (
                ("partner", audience),
                ("month", row["month"]),
                ("desk_code", row["desk_code"]),
                ("country", row["country"]),
                ("client_code", row["client_code"]),
                ("product_code", product),
                ("route", row["route"]),
            )
            counts.append(((CoordinationMonth, month_key, (("region", row["region"]),)), amounts))
            if audience == EVERYONE:
                total_key = (
                    ("product_code", product),
                    ("month", row["month"]),
                    ("desk_code", row["desk_code"]),
                    ("route", row["route"]),
                )
                counts.append(((CoordinationMonthTotal, total_key, ()), amounts))
            if not row["measured_s"]:
                continue  # no time measured yet: no share to count
            for kind, value in seconds.items():
                share_key = (
                    ("desk_code", row["desk_code"]),
                    ("product_code", product),
                    ("party_kind", kind.value),
                    ("share_pct", _share(value, row["measured_s"])),
                )
                per_client = (
                    ("partner", audience),
                    ("client_code", row["client_code"]),
                    *share_key,
                )
                counts.append(((PartyShare, per_client, ()), {"requests": 1}))
                if audience == EVERYONE:
                    counts.append(((PartyShareTotal, share_key, ()), {"requests": 1}))
    return counts


def load_counts(load: domain.EngagementLoad | None) -> Counts:
    """What one engagement adds to its product's monthly supply."""
    if load is None:
        return []
    return [
        ((ProductLoad, (("product_code", product), ("month", month)), ()), {column: 1})
        for product, month, column in load.counts()
    ]


# The columns of unmet demand's every-place aggregate (and of the view's rows).
UNMET_TOTAL_KEY = ("month", "product_code", "region", "reason_code")


def unmet_counts(fact: UnmetDemandFact) -> Counts:
    key = (
        ("month", domain.month_of(fact.recorded_at)),
        ("product_code", fact.product_code),
        ("region", fact.region),
        ("country", fact.country),
        ("desk_code", fact.desk_code),
        ("client_code", fact.client_code),
        ("reason_code", fact.reason_code),
    )
    total_key = tuple(pair for pair in key if pair[0] in UNMET_TOTAL_KEY)
    return [
        ((UnmetDemandCount, key, ()), {"requests": 1}),
        ((UnmetDemandTotal, total_key, ()), {"requests": 1}),
    ]


def apply_counts(session: Session, before: Counts, after: Counts) -> None:
    """Move each aggregate row by the difference of two sets of contributions: one
    upsert per table adding the deltas (rows in key order, so two transactions lock them
    in the same order), then a row left with no count is removed, so the aggregates
    hold exactly what the derived rows add up to."""
    deltas: dict[CountKey, dict[str, int]] = {}
    for sign, counts in ((-1, before), (1, after)):
        for key, amounts in counts:
            delta = deltas.setdefault(key, {})
            for name, amount in amounts.items():
                delta[name] = delta.get(name, 0) + sign * amount
    by_table: dict[type[InsightsTable], list[tuple[CountKey, dict[str, int]]]] = {}
    for key, delta in deltas.items():
        if any(delta.values()):
            by_table.setdefault(key[0], []).append((key, delta))
    for model in sorted(by_table, key=lambda m: str(m.__tablename__)):
        _move(session, model, sorted(by_table[model], key=lambda item: item[0][1]))


def _move(
    session: Session,
    model: type[InsightsTable],
    moves: list[tuple[CountKey, dict[str, int]]],
) -> None:
    """Add the deltas to one aggregate's rows (made when missing), then remove the rows
    a decrease may have emptied."""
    table = _table(model)
    counted = _counted(model)
    rows = [
        {**dict(identity), **dict(extra), **{name: delta.get(name, 0) for name in counted}}
        for (_, identity, extra), delta in moves
    ]
    session.execute(_upsert(session, table, added=counted), rows)
    decreased = [dict(identity) for (_, identity, _), delta in moves if min(delta.values()) < 0]
    if decreased:
        emptied = _delete_by_key(table, counted)
        session.execute(emptied, _key_params(table, decreased))


@functools.cache
def _counted(table: type[InsightsTable]) -> tuple[str, ...]:
    keys = {column.name for column in table.__table__.primary_key}  # type: ignore[attr-defined]
    return tuple(
        name
        for name, field in table.model_fields.items()
        if name not in keys and field.annotation is int
    )


# --- the views' reads ------------------------------------------------------------------


@dataclass(frozen=True)
class FigureFilter:
    """The filters of the per-request, cost and share views (each reads those its table
    has): months of submission, a desk, country, client, product and route."""

    first_month: str | None = None
    last_month: str | None = None
    desk_code: str | None = None
    country: str | None = None
    region: str | None = None
    client_code: str | None = None
    product_code: str | None = None
    route: CoordinationRoute | None = None


def _request_scope(scope: domain.Scope) -> list[ColumnElement[bool]]:
    """The caller's requests: a client its own, a desk officer its desk's, a provider
    those with one of its products, a partner those of its joint assessments."""
    table = RequestCoordination
    conditions: list[ColumnElement[bool]] = []
    if scope.client_code is not None:
        conditions.append(col(table.client_code) == scope.client_code)
    if scope.desk_code is not None:
        conditions.append(col(table.desk_code) == scope.desk_code)
    if scope.products is not None:
        conditions.append(_has_product(list(scope.products)))
    if scope.partner is not None:
        conditions.append(
            select(col(RequestParty.request_id))
            .where(
                col(RequestParty.request_id) == col(table.request_id),
                col(RequestParty.party_kind) == HoldingParty.partner.value,
                col(RequestParty.party) == scope.partner,
            )
            .exists()
        )
    return conditions


def _has_product(products: list[str]) -> ColumnElement[bool]:
    """Requests with one of the products. A correlated EXISTS (one primary-key probe per
    request) rather than IN: the list then walks the requests in order of submission and
    stops at its page, where IN would fetch and sort every request of the products."""
    if not products:
        return false()
    return (
        select(col(RequestProduct.request_id))
        .where(
            col(RequestProduct.request_id) == col(RequestCoordination.request_id),
            col(RequestProduct.product_code).in_(products),
        )
        .exists()
    )


def _request_filters(given: FigureFilter) -> list[ColumnElement[bool]]:
    table = RequestCoordination
    conditions = matching_columns(
        table,
        {
            "desk_code": given.desk_code,
            "country": given.country,
            "region": given.region,
            "client_code": given.client_code,
            "route": given.route.value if given.route else None,
        },
    )
    if given.product_code:
        conditions.append(_has_product([given.product_code]))
    if given.first_month:
        conditions.append(col(table.month) >= given.first_month)
    if given.last_month:
        conditions.append(col(table.month) <= given.last_month)
    return conditions


def matching_columns(
    table: type[InsightsTable], filters: dict[str, Any]
) -> list[ColumnElement[bool]]:
    return [getattr(table, name) == value for name, value in filters.items() if value]


def figures_query(scope: domain.Scope, given: FigureFilter) -> Select[RequestCoordination]:
    """The caller's requests that match the filters (unordered)."""
    return select(RequestCoordination).where(*_request_scope(scope), *_request_filters(given))


async def request_figures(
    session: AsyncSession, scope: domain.Scope, given: FigureFilter, *, limit: int, offset: int
) -> tuple[list[RequestFigures], int]:
    """The requests' figures, newest first; and how many match."""
    table = RequestCoordination
    total = await _figures_total(session, scope, given)
    rows = (
        await session.scalars(
            figures_query(scope, given)
            .order_by(col(table.submitted_at).desc(), col(table.request_id).desc())
            .offset(offset)
            .limit(limit)
        )
    ).all()
    return await figures_of_rows(session, list(rows)), total


async def _figures_total(session: AsyncSession, scope: domain.Scope, given: FigureFilter) -> int:
    """How many requests match, read from the cost aggregate (each request counted once
    as a whole, or once for each product it is narrowed to: one product, one count)
    rather than by counting the requests. A provider of several products, not narrowed
    to one, would count a request with two of them twice: its requests are counted."""
    if scope.products is not None and len(scope.products) > 1 and not given.product_code:
        conditions = [*_request_scope(scope), *_request_filters(given)]
        counted = select(func.count()).select_from(RequestCoordination).where(*conditions)
        return await session.scalar(counted) or 0
    sums = await _month_sums(session, scope, given, Grouping.month)
    return sum(figures["requests"] for figures in sums.values())


# A party's time on a request as read for a page: request, kind, party, seconds, breaches.
PartyRow = Row[str, str, str, int, int]


async def figures_of_rows(
    session: AsyncSession, rows: Sequence[RequestCoordination]
) -> list[RequestFigures]:
    """The public shape of derived rows, their parties read in one query (as plain
    rows: a page has a few hundred parties, and the ORM's objects would cost more to
    make than the query)."""
    table = RequestParty
    parties = await session.execute(
        select(
            col(table.request_id),
            col(table.party_kind),
            col(table.party),
            col(table.seconds),
            col(table.breaches),
        ).where(col(table.request_id).in_([r.request_id for r in rows]))
    )
    by_request: dict[str, list[PartyRow]] = {}
    for party in parties:
        by_request.setdefault(party.request_id, []).append(party)
    names = await provider_names(session)
    order = list(HoldingParty)
    return [
        _request_figures(
            row,
            sorted(
                by_request.get(row.request_id, []),
                key=lambda p: (order.index(HoldingParty(p.party_kind)), p.party),
            ),
            names,
        )
        for row in rows
    ]


def _request_figures(
    row: RequestCoordination, parties: list[PartyRow], names: dict[str, str]
) -> RequestFigures:
    def name_of(kind: HoldingParty, party: str) -> str:
        return names.get(party, party) if kind is HoldingParty.provider else party

    return RequestFigures(
        request_id=row.request_id,
        desk_code=row.desk_code,
        country=row.country,
        region=row.region,
        client_code=row.client_code,
        products=row.products,
        status=row.status,
        route=CoordinationRoute(row.route),
        submitted_at=row.submitted_at,
        measured_until=row.measured_until,
        measured_seconds=row.measured_s,
        held_by=row.held_by,
        parties=[
            PartyTime(
                party_kind=HoldingParty(p.party_kind),
                party=p.party,
                org_name=name_of(HoldingParty(p.party_kind), p.party),
                seconds=p.seconds,
                share_pct=_share(p.seconds, row.measured_s),
                breaches=p.breaches,
            )
            for p in parties
        ],
        breaches=[AttributedBreach.model_validate(breach) for breach in row.breaches],
        hand_offs=row.hand_offs,
        parties_involved=row.parties_involved,
        reroutings=row.reroutings,
        declines=row.declines,
        first_engagement_seconds=row.first_engagement_s,
        joint_assessment_seconds=row.joint_assessment_s,
    )


GROUP_COLUMNS = {
    Grouping.desk: "desk_code",
    Grouping.product: "product_code",
    Grouping.country: "country",
    Grouping.month: "month",
}


def _per_product(scope: domain.Scope, given: FigureFilter, by: Grouping) -> bool:
    """Whether to read the per-product rows (each request once per product) rather than
    the whole requests': grouped by product, or narrowed to products (a provider, a
    product filter), where a request counts for each of those products."""
    return by is Grouping.product or scope.products is not None or bool(given.product_code)


def _whole_picture(scope: domain.Scope, given: FigureFilter, by: Grouping) -> bool:
    """Whether the every-client sums answer (CoordinationMonthTotal): nobody's own part
    (a client's, a partner's) and no filter or grouping by a column only the full
    aggregate keeps (client, country, region)."""
    return (
        scope.client_code is None
        and scope.partner is None
        and not (given.client_code or given.country or given.region)
        and by is not Grouping.country
    )


SumsTable = type[CoordinationMonth] | type[CoordinationMonthTotal]
ShareTable = type[PartyShare] | type[PartyShareTotal]


def _aggregate_conditions(
    table: SumsTable | ShareTable, scope: domain.Scope, given: FigureFilter, by: Grouping
) -> list[ColumnElement[bool]]:
    """The caller's part of an aggregate and the filters its columns have."""
    conditions: list[ColumnElement[bool]] = []
    if table is CoordinationMonth or table is PartyShare:  # the per-client ones
        conditions += matching_columns(table, {"client_code": scope.client_code})
        conditions += matching_columns(table, {"client_code": given.client_code})
        partner = getattr(table, "partner")  # noqa: B009 (not on every table of the union)
        conditions.append(partner == (scope.partner or EVERYONE))
    if scope.desk_code is not None:
        conditions.append(col(table.desk_code) == scope.desk_code)
    if _per_product(scope, given, by):
        conditions.append(col(table.product_code) != WHOLE_REQUEST)
    else:
        conditions.append(col(table.product_code) == WHOLE_REQUEST)
    if scope.products is not None:
        products = list(scope.products)
        conditions.append(col(table.product_code).in_(products) if products else false())
    conditions += matching_columns(
        table, {"desk_code": given.desk_code, "product_code": given.product_code}
    )
    if table is CoordinationMonth:
        conditions += matching_columns(table, {"country": given.country, "region": given.region})
    if table is CoordinationMonth or table is CoordinationMonthTotal:
        conditions += matching_columns(table, {"route": given.route.value if given.route else None})
        month = getattr(table, "month")  # noqa: B009 (not on every table of the union)
        if given.first_month:
            conditions.append(month >= given.first_month)
        if given.last_month:
            conditions.append(month <= given.last_month)
    return conditions


MONTH_SUMS = (
    "requests",
    "hand_offs",
    "parties_involved",
    "reroutings",
    "declines",
    "engaged_requests",
    "first_engagement_s",
    "assessed_requests",
    "joint_assessment_s",
    *(f"{kind.value}_s" for kind in HoldingParty),
    *(f"{kind.value}_breaches" for kind in HoldingParty),
)
# A group's sums: (group key, route) -> column -> sum.
MonthSums = dict[tuple[str, str], dict[str, int]]
# A group's share counts: (group key, party kind) -> share -> requests.
ShareCounts = dict[tuple[str, str], dict[int, int]]


async def _month_sums(
    session: AsyncSession, scope: domain.Scope, given: FigureFilter, by: Grouping
) -> MonthSums:
    table: SumsTable = (
        CoordinationMonthTotal if _whole_picture(scope, given, by) else CoordinationMonth
    )
    key = getattr(table, GROUP_COLUMNS[by])
    query = (
        select(key, col(table.route), *(func.sum(getattr(table, name)) for name in MONTH_SUMS))
        .where(*_aggregate_conditions(table, scope, given, by))
        .group_by(key, col(table.route))
    )
    return {
        (row[0], row[1]): dict(zip(MONTH_SUMS, (int(v or 0) for v in row[2:]), strict=True))
        for row in (await session.execute(query)).all()
    }


async def _share_counts(
    session: AsyncSession, scope: domain.Scope, given: FigureFilter, by: Grouping
) -> ShareCounts:
    # The all-clients counts unless a client's (or a partner's) own are asked for.
    per_client = (
        scope.client_code is not None or scope.partner is not None or bool(given.client_code)
    )
    table: type[PartyShare] | type[PartyShareTotal] = PartyShare if per_client else PartyShareTotal
    key = getattr(table, GROUP_COLUMNS[by])
    query = (
        select(key, col(table.party_kind), col(table.share_pct), func.sum(col(table.requests)))
        .where(*_aggregate_conditions(table, scope, given, by))
        .group_by(key, col(table.party_kind), col(table.share_pct))
    )
    counts: ShareCounts = {}
    for group, kind, share, requests in (await session.execute(query)).all():
        counts.setdefault((group, kind), {})[int(share)] = int(requests)
    return counts


def _average(total: int, count: int, unit: float = 1.0) -> float | None:
    return round(total / count / unit, 2) if count else None


async def coordination_costs(
    session: AsyncSession, scope: domain.Scope, given: FigureFilter, by: Grouping
) -> list[CoordinationCost]:
    """The cost of coordination per group and route, in the group's order."""
    sums = await _month_sums(session, scope, given, by)
    return [
        CoordinationCost(
            key=group,
            route=CoordinationRoute(route),
            requests=figures["requests"],
            hand_offs=_average(figures["hand_offs"], figures["requests"]) or 0.0,
            parties_involved=_average(figures["parties_involved"], figures["requests"]) or 0.0,
            reroutings=figures["reroutings"],
            declines=figures["declines"],
            first_engagement_hours=_average(
                figures["first_engagement_s"], figures["engaged_requests"], 3600
            ),
            joint_assessment_hours=_average(
                figures["joint_assessment_s"], figures["assessed_requests"], 3600
            ),
        )
        for (group, route), figures in sorted(sums.items())
        if figures["requests"]
    ]


async def share_distributions(
    session: AsyncSession, scope: domain.Scope, given: FigureFilter, by: Grouping
) -> list[ShareDistribution]:
    """Per group and kind of party: the median and 90th percentile of its share of the
    requests' time, with the time it held them and the breaches attributed to it. The
    share counts are kept per desk, client and product only, so those are the filters
    the shares take (the time and breaches beside them are read alike)."""
    given = FigureFilter(
        desk_code=given.desk_code, client_code=given.client_code, product_code=given.product_code
    )
    counts = await _share_counts(session, scope, given, by)
    sums: dict[str, dict[str, int]] = {}
    for (group, _), figures in (await _month_sums(session, scope, given, by)).items():
        held = sums.setdefault(group, dict.fromkeys(MONTH_SUMS, 0))
        for name, amount in figures.items():
            held[name] += amount
    order = list(HoldingParty)
    return [
        ShareDistribution(
            key=group,
            party_kind=HoldingParty(kind),
            requests=sum(shares.values()),
            median_share_pct=domain.percentile(shares, 0.5),
            p90_share_pct=domain.percentile(shares, 0.9),
            seconds=sums.get(group, {}).get(f"{kind}_s", 0),
            breaches=sums.get(group, {}).get(f"{kind}_breaches", 0),
        )
        for (group, kind), shares in sorted(
            counts.items(), key=lambda item: (item[0][0], order.index(HoldingParty(item[0][1])))
        )
    ]


# --- demand without supply -----------------------------------------------------------


UnmetTable = type[UnmetDemandCount] | type[UnmetDemandTotal]


def _unmet_table(scope: domain.Scope, given: FigureFilter) -> UnmetTable:
    """The every-place sums (UnmetDemandTotal) unless the caller's part or a filter is a
    country, desk or client, which only the full aggregate keeps."""
    places = (scope.client_code, scope.desk_code, given.country, given.desk_code, given.client_code)
    return UnmetDemandCount if any(places) else UnmetDemandTotal


def _unmet_conditions(
    table: UnmetTable, scope: domain.Scope, given: FigureFilter
) -> list[ColumnElement[bool]]:
    """The caller's part of the unmet demand: a client's own, a desk's, a provider's
    products', HQ all; a partner has no assessment in it and sees none."""
    conditions: list[ColumnElement[bool]] = []
    if scope.partner is not None:
        conditions.append(false())
    if table is UnmetDemandCount:  # the places only it keeps
        conditions += matching_columns(table, {"client_code": scope.client_code})
        conditions += matching_columns(table, {"desk_code": scope.desk_code})
        conditions += matching_columns(
            table,
            {
                "country": given.country,
                "desk_code": given.desk_code,
                "client_code": given.client_code,
            },
        )
    if scope.products is not None:
        products = list(scope.products)
        conditions.append(col(table.product_code).in_(products) if products else false())
    conditions += matching_columns(
        table, {"product_code": given.product_code, "region": given.region}
    )
    if given.first_month:
        conditions.append(col(table.month) >= given.first_month)
    if given.last_month:
        conditions.append(col(table.month) <= given.last_month)
    return conditions


def may_read_supply(scope: domain.Scope) -> bool:
    """Capacity and utilisation are the providers' figures: HQ, desks and providers
    read them (as the products service's own utilisation), clients and partners not."""
    return scope.client_code is None and scope.partner is None


async def demand_without_supply(
    session: AsyncSession,
    scope: domain.Scope,
    given: FigureFilter,
    *,
    limit: int | None = None,
    offset: int = 0,
) -> DemandWithoutSupply:
    """The unmet demand in its order (month, product, region, reason), a page of it when
    `limit` is given (all of it otherwise), with how many rows there are; and beside it
    each product's supply per month, whose unmet column counts every row, not the page's."""
    table = _unmet_table(scope, given)
    conditions = _unmet_conditions(table, scope, given)
    key = (col(table.month), col(table.product_code), col(table.region), col(table.reason_code))
    grouped = (
        select(*key, func.sum(col(table.requests)))
        .where(*conditions)
        .group_by(*key)
        .order_by(*key)
        .offset(offset)
        .limit(limit)
    )
    unmet = [
        UnmetDemandMonth(
            month=month, product_code=product, region=region, reason_code=reason, requests=int(n)
        )
        for month, product, region, reason, n in (await session.execute(grouped)).all()
    ]
    whole = limit is None and offset == 0
    total = len(unmet) if whole else await _unmet_rows(session, table, conditions)
    load: list[ProductLoadMonth] = []
    if may_read_supply(scope):
        unmet_by = (
            _unmet_by_product(unmet) if whole else await _unmet_sums(session, table, conditions)
        )
        load = await _product_load(session, scope, given, unmet_by)
    return DemandWithoutSupply(
        unmet=unmet, load=load, unmet_total=total, has_next_page=offset + len(unmet) < total
    )


async def _unmet_rows(
    session: AsyncSession, table: UnmetTable, conditions: Sequence[ColumnElement[bool]]
) -> int:
    """How many rows the unmet demand has (month, product, region and reason)."""
    key = (col(table.month), col(table.product_code), col(table.region), col(table.reason_code))
    grouped = select(*key).where(*conditions).group_by(*key).subquery()
    return await session.scalar(select(func.count()).select_from(grouped)) or 0


UnmetByProduct = dict[tuple[str, str], int]


def _unmet_by_product(unmet: Sequence[UnmetDemandMonth]) -> UnmetByProduct:
    """(product, month) -> requests recorded as unmet."""
    unmet_by: UnmetByProduct = {}
    for entry in unmet:
        key = (entry.product_code, entry.month)
        unmet_by[key] = unmet_by.get(key, 0) + entry.requests
    return unmet_by


async def _unmet_sums(
    session: AsyncSession, table: UnmetTable, conditions: Sequence[ColumnElement[bool]]
) -> UnmetByProduct:
    """The same, summed by the database (when only a page of the rows was read)."""
    key = (col(table.product_code), col(table.month))
    summed = select(*key, func.sum(col(table.requests))).where(*conditions).group_by(*key)
    return {(product, month): int(n) for product, month, n in (await session.execute(summed))}


async def _product_load(
    session: AsyncSession,
    scope: domain.Scope,
    given: FigureFilter,
    unmet_by: UnmetByProduct,
) -> list[ProductLoadMonth]:
    """Per product and month: routed, accepted, declined, in hand at the month's end (the
    running sum from the first month, whatever the window), against its capacity."""
    conditions: list[ColumnElement[bool]] = []
    if scope.products is not None:
        conditions.append(col(ProductLoad.product_code).in_(list(scope.products)))
    if given.product_code:
        conditions.append(col(ProductLoad.product_code) == given.product_code)
    if given.last_month:
        conditions.append(col(ProductLoad.month) <= given.last_month)
    rows = (
        await session.scalars(
            select(ProductLoad)
            .where(*conditions)
            .order_by(col(ProductLoad.product_code), col(ProductLoad.month))
        )
    ).all()
    capacity = {
        code: cap
        for code, cap in (
            await session.execute(select(col(ProductFact.code), col(ProductFact.capacity)))
        ).all()
    }
    by_product: dict[str, dict[str, ProductLoad]] = {}
    for row in rows:
        by_product.setdefault(row.product_code, {})[row.month] = row
    for product, _ in unmet_by:
        by_product.setdefault(product, {})
    load: list[ProductLoadMonth] = []
    for product, months in sorted(by_product.items()):
        known = sorted({*months, *(m for p, m in unmet_by if p == product)})
        in_hand = 0
        for month in domain.month_range(known[0], known[-1]):
            row = months.get(month) or ProductLoad(product_code=product, month=month)
            in_hand += row.accepted - row.freed
            if given.first_month and month < given.first_month:
                continue
            cap = capacity.get(product, 0)
            load.append(
                ProductLoadMonth(
                    month=month,
                    product_code=product,
                    capacity=cap,
                    requested=row.requested,
                    accepted=row.accepted,
                    declined=row.declined,
                    in_hand=in_hand,
                    utilisation=round(in_hand / cap, 2) if cap else None,
                    unmet=unmet_by.get((product, month), 0),
                )
            )
    return load
