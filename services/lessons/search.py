"""Full-text search of lessons, one interface over two engines.

`LessonSearch` turns the words a user typed into a text match: what to select
from, the match condition and a relevance score (higher is better). Filters,
sensitivity, facets, counting and paging are plain SQL shared by both engines
(`search_lessons`), over the narrow rows `lesson_search` (`LessonSearchEntry`) and
the facet sets, never over the wide lesson rows but for the page's lessons. The
engine is chosen by the database's dialect:

- SQLite (embedded): an external-content FTS5 table `lesson_fts` over title,
  summary and body (porter stemmer), kept in sync by triggers on `lesson`, ranked
  by bm25 with column weights 10 / 4 / 1 (set once as the table's `rank`); its
  rowid is `lesson_search.doc`.
- PostgreSQL: a `tsvector` column `lesson_search.search_vector` with weights
  A (title), B (summary), C (body), written by a trigger on `lesson`, and a GIN
  index, ranked by `ts_rank_cd`.

Neither object is in the SQLModel metadata (neither can be declared there for both
dialects); `include_name` hides them from the models==migrations comparison.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import (
    CTE,
    ColumnClause,
    ColumnElement,
    FromClause,
    Join,
    Row,
    Select,
    and_,
    column,
    false,
    func,
    literal_column,
    null,
    or_,
    select,
    table,
    true,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlmodel import col

from contracts.enums import LessonStatus, Sensitivity
from services.lessons.domain import STOPWORDS
from services.lessons.models import FacetSetValue, Lesson, LessonSearchEntry, LessonTag
from shared import fulltext
from shared.db import AsyncSession

FTS_TABLE = "lesson_fts"
SEARCH_VECTOR = "search_vector"
SEARCH_INDEX = "ix_lesson_search_vector"
FACETS = ("theme", "country", "region", "client_kind", "language")
MAX_TERMS = 40


# Alembic leaves the search objects to the migrations, which manage them by hand.
include_name = fulltext.hand_managed(FTS_TABLE, SEARCH_VECTOR, SEARCH_INDEX)


def search_terms(text: str) -> list[str]:
    """The words to look for (shared/fulltext.py), without the lessons' stop words."""
    return fulltext.search_terms(text, stopwords=STOPWORDS, max_terms=MAX_TERMS)


@dataclass(frozen=True)
class OrderKey:
    """One key of the best-first order, named so a query over the matches can re-sort by it."""

    name: str
    value: ColumnElement[Any]
    descending: bool = False


@dataclass(frozen=True)
class TextMatch:
    source: FromClause  # `lesson_search`, joined to the text index where the engine needs it
    condition: ColumnElement[bool]
    score: ColumnElement[float]  # higher is more relevant
    # The best-first order, ties broken the same way every time. `fastest` is its prefix
    # the engine sorts without reading `lesson_search` (the rest it yields in that order).
    best_first: list[OrderKey]
    fastest: list[ColumnElement[Any]]


class LessonSearch(Protocol):
    def match(self, terms: list[str], *, any_term: bool) -> TextMatch:
        """Lessons containing every term (search) or any term (suggestions)."""
        ...


# What a match reads: the narrow rows (`LessonSearchEntry`), as a table.
LESSON_SEARCH = LessonSearchEntry.__table__  # type: ignore[attr-defined]


class IndexFirstJoin(Join):
    """A join SQLite must run left to right (CROSS JOIN ... ON): the text index first.

    Left to choose, SQLite's planner walks the published lessons by the status index
    and probes the FTS index once per lesson (seconds at 100 000 lessons) instead of
    reading the few thousand matches and looking each lesson up by rowid."""

    inherit_cache = True


@compiles(IndexFirstJoin, "sqlite")
def _compile_index_first_join(element: IndexFirstJoin, compiler: Any, **kw: Any) -> str:
    linter = kw.get("from_linter")
    if linter is not None:  # as the built-in join does, so no cartesian-product warning
        linter.edges.update(
            itertools.product(element.left._from_objects, element.right._from_objects)
        )
    kw["asfrom"] = True
    left = compiler.process(element.left, **kw)
    right = compiler.process(element.right, **kw)
    on = compiler.process(element.onclause, **{**kw, "asfrom": False})
    return f"{left} CROSS JOIN {right} ON {on}"


class Fts5Search:
    """SQLite FTS5: bm25 with the column weights stored as the index's rank."""

    _fts = table(FTS_TABLE, column("rowid"))

    def match(self, terms: list[str], *, any_term: bool) -> TextMatch:
        expression = fulltext.fts5_expression(terms, any_term=any_term)
        # The narrow row by rowid: `lesson_search.doc` is the lesson's rowid, the FTS5 id.
        source = IndexFirstJoin(self._fts, LESSON_SEARCH, self._fts.c.rowid == LESSON_SEARCH.c.doc)
        rank: ColumnClause[float] = literal_column(f"{FTS_TABLE}.rank")
        return TextMatch(
            source=source,
            condition=literal_column(FTS_TABLE).op("MATCH")(expression),
            score=-rank,
            # Plain `ORDER BY rank` is sorted inside FTS5 (no temporary B-tree), so only
            # the rows of the page are looked up; FTS5 feeds its sorter in rowid order,
            # so equal scores come in rowid order, which the second key spells out.
            best_first=[OrderKey("rank", rank), OrderKey("doc", LESSON_SEARCH.c.doc)],
            fastest=[rank],
        )


class PostgresSearch:
    """PostgreSQL full-text search: weighted tsvector, GIN index, ts_rank_cd."""

    def match(self, terms: list[str], *, any_term: bool) -> TextMatch:
        query = func.to_tsquery("english", fulltext.tsquery_text(terms, any_term=any_term))
        vector: ColumnClause[str] = literal_column(f"lesson_search.{SEARCH_VECTOR}")
        score = func.ts_rank_cd(vector, query)
        best_first = [
            OrderKey("score", score, descending=True),
            OrderKey("published_at", LESSON_SEARCH.c.published_at, descending=True),
            OrderKey("lesson_id", LESSON_SEARCH.c.lesson_id, descending=True),
        ]
        return TextMatch(
            source=LESSON_SEARCH,
            condition=vector.op("@@")(query),
            score=score,
            best_first=best_first,
            fastest=[_sql_order(key, key.value) for key in best_first],
        )


def engine_for(session: AsyncSession) -> LessonSearch:
    dialect = session.get_bind().dialect.name
    return PostgresSearch() if dialect == "postgresql" else Fts5Search()


# PostgreSQL, for the rest of a search's transaction: plan each statement with its
# values. asyncpg prepares every statement and, after five runs, PostgreSQL may keep a
# generic plan, which cannot tell a word in 40 % of the lessons from one in 0.1 %: at
# 100 000 lessons it doubled the CPU of the commonest words' searches. The matches of
# such a word (tens of thousands) then fit in memory (4 MB spilled them to disk).
_POSTGRES_SEARCH_SETTINGS = select(
    func.set_config("plan_cache_mode", "force_custom_plan", true()),
    func.set_config("work_mem", "16MB", true()),
)


async def prepare_search(session: AsyncSession) -> None:
    """The engine's settings for this transaction's searches (none on SQLite)."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(_POSTGRES_SEARCH_SETTINGS)


@dataclass(frozen=True)
class LessonFilter:
    """Within one facet any value matches; across facets all must."""

    themes: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    client_kinds: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    published_from: datetime | None = None
    published_to: datetime | None = None
    # The translations of one lesson (published ones, like every search).
    translation_of: str | None = None

    def by_facet(self) -> dict[str, tuple[str, ...]]:
        return {
            "theme": self.themes,
            "country": self.countries,
            "region": self.regions,
            "client_kind": self.client_kinds,
            "language": self.languages,
        }


def published_and_visible(
    sensitivities: frozenset[Sensitivity], lesson_filter: LessonFilter
) -> list[ColumnElement[bool]]:
    """Published lessons the caller's role may see that pass the filter, as SQL."""
    conditions: list[ColumnElement[bool]] = [
        col(Lesson.status) == LessonStatus.published.value,
        col(Lesson.sensitivity).in_(sorted(s.value for s in sensitivities)),
    ]
    for facet, values in lesson_filter.by_facet().items():
        if values:
            tagged = select(col(LessonTag.lesson_id)).where(
                col(LessonTag.facet) == facet, col(LessonTag.value).in_(values)
            )
            conditions.append(col(Lesson.id).in_(tagged))
    if lesson_filter.translation_of is not None:
        conditions.append(col(Lesson.translation_of) == lesson_filter.translation_of)
    if lesson_filter.published_from is not None:
        conditions.append(col(Lesson.published_at) >= lesson_filter.published_from)
    if lesson_filter.published_to is not None:
        conditions.append(col(Lesson.published_at) < lesson_filter.published_to)
    return conditions


async def searchable(
    session: AsyncSession, sensitivities: frozenset[Sensitivity], lesson_filter: LessonFilter
) -> list[ColumnElement[bool]]:
    """`published_and_visible` over the narrow rows search reads (`lesson_search`): a
    facet filter is the facet sets having one of its values, looked up first, so the
    search's statement carries them as a list. (As a subquery, PostgreSQL's planner
    joined it to the matches and ran the text index once per facet set: 0.4 s instead
    of 10 ms for two words in one country.)"""
    conditions: list[ColumnElement[bool]] = [
        LESSON_SEARCH.c.status == LessonStatus.published.value,
        LESSON_SEARCH.c.sensitivity.in_(sorted(s.value for s in sensitivities)),
    ]
    wanted = {facet: values for facet, values in lesson_filter.by_facet().items() if values}
    if wanted:
        having = select(col(FacetSetValue.facet), col(FacetSetValue.facet_set_id)).where(
            or_(
                *(
                    and_(col(FacetSetValue.facet) == facet, col(FacetSetValue.value).in_(values))
                    for facet, values in wanted.items()
                )
            )
        )
        sets: dict[str, set[int]] = {facet: set() for facet in wanted}
        for facet, facet_set_id in (await session.execute(having)).all():
            sets[facet].add(facet_set_id)
        conditions += [
            LESSON_SEARCH.c.facet_set_id.in_(sorted(ids)) if ids else false()
            for ids in sets.values()
        ]
    if lesson_filter.translation_of is not None:
        conditions.append(LESSON_SEARCH.c.translation_of == lesson_filter.translation_of)
    if lesson_filter.published_from is not None:
        conditions.append(LESSON_SEARCH.c.published_at >= lesson_filter.published_from)
    if lesson_filter.published_to is not None:
        conditions.append(LESSON_SEARCH.c.published_at < lesson_filter.published_to)
    return conditions


@dataclass
class SearchHit:
    lesson: Lesson
    score: float


Ranked = list[tuple[int, float]]  # matches (`LessonSearchEntry.doc`), best first, with scores
Facets = dict[str, list[tuple[str, int]]]


@dataclass
class SearchPage:
    hits: list[SearchHit]
    has_more: bool  # another page follows
    total: int | None = None  # None: not asked for
    total_exact: bool = True  # False: more than `total` (= COUNT_CAP) match
    facets: Facets = field(default_factory=dict)


# Counting every match costs a lookup per match; past this many, a search says
# "more than 1 000" (as search engines do) unless facets make it count them all anyway.
COUNT_CAP = 1_000


async def search_lessons(
    session: AsyncSession,
    *,
    text: str,
    lesson_filter: LessonFilter,
    sensitivities: frozenset[Sensitivity],
    first: int,
    offset: int = 0,
    with_total: bool = True,
    with_facets: bool = True,
) -> SearchPage:
    """Published lessons matching every word, best first (without words: newest first).

    The page alone is what every search pays for; the total and the facet counts over
    the whole filtered result cost time in proportion to the matches, so they are
    computed only when asked for; with words, in the page's own statement (each match
    read and scored once)."""
    terms = search_terms(text)
    await prepare_search(session)
    conditions = await searchable(session, sensitivities, lesson_filter)
    if terms:
        matched = engine_for(session).match(terms, any_term=False)
        conditions.append(matched.condition)
    elif text.strip():
        no_facets: Facets = {facet: [] for facet in FACETS} if with_facets else {}
        return SearchPage(hits=[], has_more=False, total=0, facets=no_facets)
    else:
        matched = NEWEST
    where = and_(*conditions)
    page = SearchPage(hits=[], has_more=False)
    if with_facets and terms:
        ranked, page.total, page.facets = await _page_and_counts(
            session, matched, where, first=first + 1, offset=offset
        )
    else:
        ranked = await best_matches(session, matched, where, first=first + 1, offset=offset)
        if with_facets:
            matches = select(LESSON_SEARCH.c.facet_set_id).select_from(matched.source).where(where)
            counts = await session.execute(union_all(*_counts(matches.cte("matches"))))
            page.total, page.facets = _read_counts(counts.all())
        elif with_total:
            page.total, page.total_exact = await _capped_total(session, matched.source, where)
    lessons = await lessons_of(session, [doc for doc, _ in ranked[:first]])
    # (A lesson is never deleted; were one, between the two reads, its hit is left out.)
    page.hits = [SearchHit(lessons[doc], score) for doc, score in ranked[:first] if doc in lessons]
    page.has_more = len(ranked) > first
    return page


def _sql_order(key: OrderKey, value: ColumnElement[Any]) -> ColumnElement[Any]:
    return value.desc() if key.descending else value


# Listings without words: newest first, by `ix_lesson_search_newest`.
_NEWEST_FIRST = [
    OrderKey("published_at", LESSON_SEARCH.c.published_at, descending=True),
    OrderKey("lesson_id", LESSON_SEARCH.c.lesson_id, descending=True),
]
NEWEST = TextMatch(
    source=LESSON_SEARCH,
    condition=true(),
    score=literal_column("0.0"),
    best_first=_NEWEST_FIRST,
    fastest=[_sql_order(key, key.value) for key in _NEWEST_FIRST],
)


async def best_matches(
    session: AsyncSession,
    matched: TextMatch,
    where: ColumnElement[bool],
    *,
    first: int,
    offset: int = 0,
) -> Ranked:
    """The page alone: the best matches and their scores, in the engine's fastest order."""
    query = (
        select(LESSON_SEARCH.c.doc, matched.score.label("score"))
        .select_from(matched.source)
        .where(where)
        .order_by(*matched.fastest)
        .offset(offset)
        .limit(first)
    )
    rows = (await session.execute(query)).all()
    return [(doc, float(score or 0.0)) for doc, score in rows]


async def lessons_of(session: AsyncSession, docs: list[int]) -> dict[int, Lesson]:
    """The lessons of some matches, by their `doc`."""
    if not docs:
        return {}
    query = (
        select(Lesson, LESSON_SEARCH.c.doc)
        .join(LESSON_SEARCH, LESSON_SEARCH.c.lesson_id == col(Lesson.id))
        .where(LESSON_SEARCH.c.doc.in_(docs))
    )
    return {doc: lesson for lesson, doc in (await session.execute(query)).all()}


async def _capped_total(
    session: AsyncSession, source: FromClause, where: ColumnElement[bool]
) -> tuple[int, bool]:
    capped = select(LESSON_SEARCH.c.doc).select_from(source).where(where).limit(COUNT_CAP + 1)
    counted = int(await session.scalar(select(func.count()).select_from(capped.subquery())) or 0)
    return min(counted, COUNT_CAP), counted <= COUNT_CAP


async def _page_and_counts(
    session: AsyncSession,
    matched: TextMatch,
    where: ColumnElement[bool],
    *,
    first: int,
    offset: int,
) -> tuple[Ranked, int, Facets]:
    """The page, the exact total and the facet counts in one statement. The matches are
    read and scored once, into a materialized CTE; the page is a top-N sort of it and the
    counts a grouping of it by facet set. (Two statements read every match twice, and the
    page's alone scores every match anyway: the best 20 are known only after.)"""
    # As few columns as the page and the counts need: the CTE holds every match.
    columns: dict[str, ColumnElement[Any]] = {
        "doc": LESSON_SEARCH.c.doc,
        "facet_set_id": LESSON_SEARCH.c.facet_set_id,
        "score": matched.score,
    }
    for key in matched.best_first:
        columns.setdefault(key.name, key.value)
    matches = (
        select(*(value.label(name) for name, value in columns.items()))
        .select_from(matched.source)
        .where(where)
        .cte("matches")
        .prefix_with("MATERIALIZED")  # read twice below: computed once, on both engines
    )
    page = (
        select(*(matches.c[name] for name in columns))
        .order_by(*(_sql_order(key, matches.c[key.name]) for key in matched.best_first))
        .offset(offset)
        .limit(first)
        .subquery("page")
    )
    # The page's own order, numbered (over its few rows): a UNION keeps no order.
    position = func.row_number().over(
        order_by=[_sql_order(key, page.c[key.name]) for key in matched.best_first]
    )
    hits = select(
        page.c.doc,
        page.c.score,
        position.label("position"),
        null().label("facet"),
        null().label("value"),
        null().label("lessons"),
    )
    rows = (await session.execute(union_all(hits, *_counts(matches)))).all()
    ranked = sorted((row for row in rows if row.doc is not None), key=lambda r: r.position)
    total, facets = _read_counts([row for row in rows if row.doc is None])
    return [(row.doc, float(row.score or 0.0)) for row in ranked], total, facets


def _counts(matches: CTE) -> list[Select[Any]]:
    """The total and the facet counts of the matches (`facet_set_id` each), as rows of
    (doc, score, position, facet, value, lessons): the matches are grouped by
    facet set (a few hundred among thousands of matches), and each set's values counted
    once, weighted by its lessons; the total is the sum of the groups."""
    combinations = (
        select(matches.c.facet_set_id, func.count().label("lessons"))
        .group_by(matches.c.facet_set_id)
        .cte("combinations")
    )
    lessons = func.sum(combinations.c.lessons).label("lessons")
    nothing = (null().label("doc"), null().label("score"), null().label("position"))
    value = FacetSetValue.__table__.c  # type: ignore[attr-defined]
    return [
        select(*nothing, null().label("facet"), null().label("value"), lessons),
        select(*nothing, value.facet, value.value, lessons)
        .select_from(
            combinations.join(FacetSetValue, value.facet_set_id == combinations.c.facet_set_id)
        )
        .group_by(value.facet, value.value),
    ]


def _read_counts(rows: Sequence[Row[Any]]) -> tuple[int, Facets]:
    total = 0
    facets: Facets = {facet: [] for facet in FACETS}
    for row in rows:
        if row.facet is None:
            total = int(row.lessons or 0)
        else:
            facets.setdefault(row.facet, []).append((row.value, int(row.lessons)))
    for counts in facets.values():  # most frequent first, then by value (as ORDER BY did)
        counts.sort(key=lambda value_count: (-value_count[1], value_count[0]))
    return total, facets
