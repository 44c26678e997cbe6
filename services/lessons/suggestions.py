"""Suggestions at intake: which published lessons to put in front of a new request.

Candidates come from two indexed lookups (the text index, any of the request's
words; and lessons tagged with one of its products or its country); the domain's
`rank_suggestions` orders them. Suggestions are stored across every sensitivity
and filtered by the reader's role when read, so HQ sees restricted lessons
and a client never does.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, Table, and_, bindparam, insert, or_, select
from sqlmodel import col

from contracts.enums import LessonStatus
from services.lessons.domain import (
    Candidate,
    IntakeProfile,
    RankedSuggestion,
    rank_suggestions,
)
from services.lessons.models import Lesson, LessonTag, Suggestion
from services.lessons.search import LESSON_SEARCH, TextMatch, engine_for, search_terms
from shared.db import AsyncSession

CANDIDATES_PER_LOOKUP = 50
STORED_PER_REQUEST = 20
SHOWN_PER_REQUEST = 5

LESSONS: Table = Lesson.__table__  # type: ignore[attr-defined]
# Core, not ORM, inserts of plain rows: the ORM's bulk path spends more CPU on each
# row's mapping than SQLite spends storing it.
_INSERT_SUGGESTIONS = insert(Suggestion.__table__)  # type: ignore[attr-defined]


# What a candidate is ranked on: columns, not Lesson objects (their bodies, history
# and every JSON column loaded and tracked, up to a hundred per new request).
_CANDIDATE_COLUMNS = (
    col(Lesson.id),
    col(Lesson.themes),
    col(Lesson.countries),
    col(Lesson.regions),
    col(Lesson.title),
    col(Lesson.summary),
)


def _text_candidates(matched: TextMatch) -> Select[*tuple[Any, ...]]:
    """The best text matches with the columns they are ranked on, in one statement: the
    page of the search (`best_matches`) joined to its lessons by their unique id, in the
    engine's fastest order (on SQLite still sorted inside FTS5, the lessons looked up
    for the page's rows alone)."""
    published = LESSON_SEARCH.c.status == LessonStatus.published.value
    return (
        select(matched.score.label("score"), *_CANDIDATE_COLUMNS)
        .select_from(matched.source.join(LESSONS, LESSONS.c.id == LESSON_SEARCH.c.lesson_id))
        .where(published, matched.condition)
        .order_by(*matched.fastest)
        .limit(CANDIDATES_PER_LOOKUP)
    )


# Built once, run with each request's values: building the clauses of a statement
# again per event cost more CPU than SQLAlchemy's cached compilation of it.
_TAGGED = (
    select(*_CANDIDATE_COLUMNS)
    .where(
        col(Lesson.status) == LessonStatus.published.value,
        col(Lesson.id).in_(
            select(col(LessonTag.lesson_id)).where(
                or_(
                    and_(
                        col(LessonTag.facet) == "theme",
                        col(LessonTag.value).in_(bindparam("products", expanding=True)),
                    ),
                    and_(
                        col(LessonTag.facet) == "country",
                        col(LessonTag.value) == bindparam("country"),
                    ),
                )
            )
        ),
    )
    .order_by(col(Lesson.published_at).desc(), col(Lesson.id))
    .limit(CANDIDATES_PER_LOOKUP)
)


async def candidates_for(session: AsyncSession, profile: IntakeProfile) -> list[Candidate]:
    found: dict[str, Candidate] = {}
    terms = search_terms(" ".join(profile.terms))
    if terms:
        matched = engine_for(session).match(terms, any_term=True)
        for score, *columns in (await session.execute(_text_candidates(matched))).all():
            found[columns[0]] = _candidate(*columns, score=float(score or 0.0))
    tagged = {"products": sorted(profile.products), "country": profile.country}
    for row in (await session.execute(_TAGGED, tagged)).all():
        if row[0] not in found:
            found[row[0]] = _candidate(*row, score=0.0)
    return list(found.values())


def _candidate(
    lesson_id: str,
    themes: list[str],
    countries: list[str],
    regions: list[str],
    title: str,
    summary: str,
    *,
    score: float,
) -> Candidate:
    return Candidate(
        lesson_id=lesson_id,
        text_score=score,
        themes=frozenset(themes),
        countries=frozenset(countries),
        regions=frozenset(regions),
        title_and_summary=f"{title} {summary}",
    )


async def suggest_first(
    session: AsyncSession, request_id: str, profile: IntakeProfile
) -> list[RankedSuggestion]:
    """Compute and store a new request's suggestions (it has none yet: they are made once,
    when the request arrives), with one INSERT of plain rows."""
    ranked = rank_suggestions(
        profile, await candidates_for(session, profile), limit=STORED_PER_REQUEST
    )
    if ranked:
        rows = [
            {
                "request_id": request_id,
                "lesson_id": item.lesson_id,
                "rank": rank,
                "score": item.score,
                "reasons": item.reasons,
            }
            for rank, item in enumerate(ranked, start=1)
        ]
        await session.execute(_INSERT_SUGGESTIONS, rows)
    return ranked
