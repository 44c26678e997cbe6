"""Suggestions at intake: which published lessons to put in front of a new request.

Candidates come from two indexed lookups (the text index, any of the request's
words; and lessons tagged with one of its products or its country); the domain's
`rank_suggestions` orders them. Suggestions are stored across every sensitivity
and filtered by the reader's role when read, so HQ sees restricted lessons
and a client never does.
"""

from __future__ import annotations

from sqlalchemy import and_, insert, or_, select
from sqlmodel import col

from contracts.enums import LessonStatus
from services.lessons.domain import (
    Candidate,
    IntakeProfile,
    RankedSuggestion,
    rank_suggestions,
)
from services.lessons.models import Lesson, LessonTag, Suggestion
from services.lessons.search import (
    LESSON_SEARCH,
    best_matches,
    engine_for,
    search_terms,
)
from shared.db import AsyncSession

CANDIDATES_PER_LOOKUP = 50
STORED_PER_REQUEST = 20
SHOWN_PER_REQUEST = 5


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


async def candidates_for(session: AsyncSession, profile: IntakeProfile) -> list[Candidate]:
    published = col(Lesson.status) == LessonStatus.published.value
    found: dict[str, Candidate] = {}
    terms = search_terms(" ".join(profile.terms))
    if terms:
        matched = engine_for(session).match(terms, any_term=True)
        where = and_(LESSON_SEARCH.c.status == LessonStatus.published.value, matched.condition)
        best = await best_matches(session, matched, where, first=CANDIDATES_PER_LOOKUP)
        if best:
            scores = dict(best)
            of_docs = (
                select(LESSON_SEARCH.c.doc, *_CANDIDATE_COLUMNS)
                .join(LESSON_SEARCH, LESSON_SEARCH.c.lesson_id == col(Lesson.id))
                .where(LESSON_SEARCH.c.doc.in_(list(scores)))
            )
            rows = {row[0]: row[1:] for row in (await session.execute(of_docs)).all()}
            for doc, _score in best:  # in the order of the best matches
                if doc in rows:
                    found[rows[doc][0]] = _candidate(*rows[doc], score=scores[doc])
    tagged = select(col(LessonTag.lesson_id)).where(
        or_(
            and_(col(LessonTag.facet) == "theme", col(LessonTag.value).in_(profile.products)),
            and_(col(LessonTag.facet) == "country", col(LessonTag.value) == profile.country),
        )
    )
    query_tagged = (
        select(*_CANDIDATE_COLUMNS)
        .where(published, col(Lesson.id).in_(tagged))
        .order_by(col(Lesson.published_at).desc(), col(Lesson.id))
        .limit(CANDIDATES_PER_LOOKUP)
    )
    for row in (await session.execute(query_tagged)).all():
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
        await session.execute(insert(Suggestion), rows)
    return ranked
