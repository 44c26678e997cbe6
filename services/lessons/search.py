"""Full-text search of lessons, one interface over two engines.

`LessonSearch` turns the words a user typed into a text match: what to select
from, the match condition and a relevance score (higher is better). Filters,
sensitivity, facets, counting and paging are plain SQL shared by both engines
(`search_lessons`). The engine is chosen by the database's dialect:

- SQLite (embedded): an external-content FTS5 table `lesson_fts` over title,
  summary and body (porter stemmer), kept in sync by triggers on `lesson`, ranked
  by bm25 with column weights 10 / 4 / 1 (set once as the table's `rank`).
- PostgreSQL: a generated `tsvector` column `lesson.search_vector` with weights
  A (title), B (summary), C (body) and a GIN index, ranked by `ts_rank_cd`.

Neither object is in the SQLModel metadata (neither can be declared there for both
dialects); `include_name` hides them from the models==migrations comparison.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import (
    JSON,
    ColumnClause,
    ColumnElement,
    FromClause,
    Join,
    Select,
    Text,
    and_,
    cast,
    column,
    func,
    literal_column,
    null,
    select,
    table,
    true,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.selectable import TableValuedAlias
from sqlmodel import col

from contracts.enums import LessonStatus, Sensitivity
from services.lessons.domain import STOPWORDS
from services.lessons.models import Lesson, LessonTag
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
class TextMatch:
    source: FromClause  # `lesson`, joined to the index where the engine needs it
    condition: ColumnElement[bool]
    score: ColumnElement[float]  # higher is more relevant
    best_first: list[ColumnElement[Any]]  # the ORDER BY the engine sorts fastest


class LessonSearch(Protocol):
    def match(self, terms: list[str], *, any_term: bool) -> TextMatch:
        """Lessons containing every term (search) or any term (suggestions)."""
        ...

    def each_key(self, keys: ColumnElement[str]) -> TableValuedAlias:
        """The elements of a JSON array of facet keys (as text), one row each (`value`)."""
        ...


_lesson = Lesson.__table__  # type: ignore[attr-defined]


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
        source = IndexFirstJoin(
            self._fts, _lesson, self._fts.c.rowid == literal_column("lesson.rowid")
        )
        rank: ColumnClause[float] = literal_column(f"{FTS_TABLE}.rank")
        return TextMatch(
            source=source,
            condition=literal_column(FTS_TABLE).op("MATCH")(expression),
            score=-rank,
            # Plain `ORDER BY rank` is sorted inside FTS5 (no temporary B-tree), so only
            # the lessons of the page are looked up. Equal bm25 scores are rare enough
            # to leave ties in rowid order.
            best_first=[rank],
        )

    def each_key(self, keys: ColumnElement[str]) -> TableValuedAlias:
        return func.json_each(keys).table_valued("value")


class PostgresSearch:
    """PostgreSQL full-text search: weighted tsvector, GIN index, ts_rank_cd."""

    def match(self, terms: list[str], *, any_term: bool) -> TextMatch:
        query = func.to_tsquery("english", fulltext.tsquery_text(terms, any_term=any_term))
        vector: ColumnClause[str] = literal_column(f"lesson.{SEARCH_VECTOR}")
        score = func.ts_rank_cd(vector, query)
        return TextMatch(
            source=_lesson,
            condition=vector.op("@@")(query),
            score=score,
            best_first=[score.desc(), col(Lesson.published_at).desc(), col(Lesson.id).desc()],
        )

    def each_key(self, keys: ColumnElement[str]) -> TableValuedAlias:
        return func.json_array_elements_text(cast(keys, JSON)).table_valued("value")


def engine_for(session: AsyncSession) -> LessonSearch:
    dialect = session.get_bind().dialect.name
    return PostgresSearch() if dialect == "postgresql" else Fts5Search()


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


@dataclass
class SearchHit:
    lesson: Lesson
    score: float


@dataclass
class SearchPage:
    hits: list[SearchHit]
    has_more: bool  # another page follows
    total: int | None = None  # None: not asked for
    total_exact: bool = True  # False: more than `total` (= COUNT_CAP) match
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)


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
    the whole filtered result each cost time in proportion to the matches, so they are
    computed only when asked for."""
    terms = search_terms(text)
    conditions = published_and_visible(sensitivities, lesson_filter)
    if terms:
        matched = engine_for(session).match(terms, any_term=False)
        conditions.append(matched.condition)
        source: FromClause = matched.source
        score: ColumnElement[Any] = matched.score
        order = matched.best_first
    elif text.strip():
        no_facets: dict[str, list[tuple[str, int]]] = (
            {facet: [] for facet in FACETS} if with_facets else {}
        )
        return SearchPage(hits=[], has_more=False, total=0, facets=no_facets)
    else:
        source, score = _lesson, literal_column("0.0")
        order = [col(Lesson.published_at).desc(), col(Lesson.id).desc()]
    where = and_(*conditions)
    page_query: Select[Any] = (
        select(Lesson, score.label("score"))
        .select_from(source)
        .where(where)
        .order_by(*order)
        .offset(offset)
        .limit(first + 1)
    )
    rows = (await session.execute(page_query)).all()
    page = SearchPage(
        hits=[SearchHit(lesson=row[0], score=float(row[1] or 0.0)) for row in rows[:first]],
        has_more=len(rows) > first,
    )
    if with_facets:
        page.total, page.facets = await _total_and_facets(session, source, where)
    elif with_total:
        capped = select(col(Lesson.id)).select_from(source).where(where).limit(COUNT_CAP + 1)
        total = int(await session.scalar(select(func.count()).select_from(capped.subquery())) or 0)
        page.total, page.total_exact = min(total, COUNT_CAP), total <= COUNT_CAP
    return page


async def _total_and_facets(
    session: AsyncSession, source: FromClause, where: ColumnElement[bool]
) -> tuple[int, dict[str, list[tuple[str, int]]]]:
    """The exact number of matches and the facet counts, in one pass over the matches.

    Lessons are grouped by their combination of facets (`Lesson.facet_keys`, the same
    for every lesson of one theme, country, region, client kind and language), and each
    combination's facet values are counted once, weighted by its lessons: the work per
    match is one grouping, not one facet row per value (thousands of matches share a few
    hundred combinations)."""
    keys = cast(col(Lesson.facet_keys), Text)
    combinations = (
        select(keys.label("keys"), func.count().label("lessons"))
        .select_from(source)
        .where(where)
        .group_by(keys)
        .cte("combinations")  # read twice below: both engines compute it once
    )
    key = engine_for(session).each_key(combinations.c["keys"])
    lessons = func.sum(combinations.c["lessons"])
    query = union_all(
        select(null().label("key"), lessons),
        select(key.c.value, lessons)
        .select_from(combinations.join(key, true()))
        .group_by(key.c.value),
    )
    total = 0
    facets: dict[str, list[tuple[str, int]]] = {facet: [] for facet in FACETS}
    for facet_key, number in (await session.execute(query)).all():
        if facet_key is None:
            total = int(number or 0)
        else:
            facet, _, value = facet_key.partition(":")
            facets.setdefault(facet, []).append((value, int(number)))
    for counts in facets.values():  # most frequent first, then by value (as ORDER BY did)
        counts.sort(key=lambda value_count: (-value_count[1], value_count[0]))
    return total, facets
