"""Suggestions at intake: which published lessons to put in front of a new request.

Candidates come from two indexed lookups (the text index, any of the request's
words; and lessons tagged with one of its products or its country); the domain's
`rank_suggestions` orders them. Suggestions are stored across every sensitivity
and filtered by the reader's role when read, so HQ sees restricted lessons
and a client never does.
"""

from __future__ import annotations

from sqlalchemy import and_, delete, or_, select
from sqlmodel import col

from contracts.enums import LessonStatus
from services.lessons.domain import (
    Candidate,
    IntakeProfile,
    RankedSuggestion,
    rank_suggestions,
    terms_of,
)
from services.lessons.models import IntakeRequest, Lesson, LessonTag, Suggestion
from services.lessons.search import (
    LESSON_SEARCH,
    best_matches,
    engine_for,
    lessons_of,
    search_terms,
)
from shared.db import AsyncSession

CANDIDATES_PER_LOOKUP = 50
STORED_PER_REQUEST = 20
SHOWN_PER_REQUEST = 5


def profile_of(request: IntakeRequest) -> IntakeProfile:
    return IntakeProfile(
        terms=terms_of(f"{request.title} {request.description}"),
        products=frozenset(request.products),
        country=request.country,
        region=request.region,
    )


async def candidates_for(session: AsyncSession, profile: IntakeProfile) -> list[Candidate]:
    published = col(Lesson.status) == LessonStatus.published.value
    found: dict[str, Candidate] = {}
    terms = search_terms(" ".join(profile.terms))
    if terms:
        matched = engine_for(session).match(terms, any_term=True)
        where = and_(LESSON_SEARCH.c.status == LessonStatus.published.value, matched.condition)
        best = await best_matches(session, matched, where, first=CANDIDATES_PER_LOOKUP)
        lessons = await lessons_of(session, [doc for doc, _ in best])
        for doc, score in best:
            if doc in lessons:
                found[lessons[doc].id] = _candidate(lessons[doc], score)
    tagged = select(col(LessonTag.lesson_id)).where(
        or_(
            and_(col(LessonTag.facet) == "theme", col(LessonTag.value).in_(profile.products)),
            and_(col(LessonTag.facet) == "country", col(LessonTag.value) == profile.country),
        )
    )
    query_tagged = (
        select(Lesson)
        .where(published, col(Lesson.id).in_(tagged))
        .order_by(col(Lesson.published_at).desc(), col(Lesson.id))
        .limit(CANDIDATES_PER_LOOKUP)
    )
    for lesson in (await session.scalars(query_tagged)).all():
        found.setdefault(lesson.id, _candidate(lesson, 0.0))
    return list(found.values())


def _candidate(lesson: Lesson, score: float) -> Candidate:
    return Candidate(
        lesson_id=lesson.id,
        text_score=score,
        themes=frozenset(lesson.themes),
        countries=frozenset(lesson.countries),
        regions=frozenset(lesson.regions),
        title_and_summary=f"{lesson.title} {lesson.summary}",
    )


async def suggest(session: AsyncSession, request: IntakeRequest) -> list[RankedSuggestion]:
    """Compute and store the request's suggestions (replacing earlier ones)."""
    profile = profile_of(request)
    ranked = rank_suggestions(
        profile, await candidates_for(session, profile), limit=STORED_PER_REQUEST
    )
    await session.execute(
        delete(Suggestion).where(col(Suggestion.request_id) == request.request_id)
    )
    session.add_all(
        Suggestion(
            request_id=request.request_id,
            lesson_id=item.lesson_id,
            rank=rank,
            score=item.score,
            reasons=item.reasons,
        )
        for rank, item in enumerate(ranked, start=1)
    )
    return ranked
