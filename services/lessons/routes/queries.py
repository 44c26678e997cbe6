"""Query routes of the lessons service: a lesson and its history, the published
and unpublished lists, search and suggestions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select
from sqlmodel import col

from contracts.enums import LessonStatus
from contracts.http.lessons.responses import (
    FacetCount,
    HistoryEntryPublic,
    LessonEdge,
    LessonPage,
    LessonPublic,
    SearchHitPublic,
    SearchResult,
    SuggestionPublic,
)
from services.lessons.domain import may_read_suggestions, visible_sensitivities
from services.lessons.models import IntakeRequest, Lesson, LessonHistory, Suggestion
from services.lessons.search import LessonFilter, published_and_visible, search_lessons
from services.lessons.store import readable, visible_lesson
from services.lessons.suggestions import SHOWN_PER_REQUEST
from services.lessons.views import public
from shared.auth import CurrentPrincipal
from shared.errors import DomainError
from shared.queries import Keyset
from shared.service import SessionDep

router = APIRouter(tags=["lessons"])
# The feed: newest published first.
_NEWEST_FIRST = Keyset(col(Lesson.published_at), col(Lesson.id), descending=True)


def lesson_filter(
    theme: Annotated[list[str] | None, Query(max_length=50)] = None,
    country: Annotated[list[str] | None, Query(max_length=50)] = None,
    region: Annotated[list[str] | None, Query(max_length=50)] = None,
    client_kind: Annotated[list[str] | None, Query(max_length=50)] = None,
    language: Annotated[list[str] | None, Query(max_length=10)] = None,
    translation_of: Annotated[str | None, Query(max_length=36)] = None,
    published_from: datetime | None = None,
    published_to: datetime | None = None,
) -> LessonFilter:
    for name, moment in (("published_from", published_from), ("published_to", published_to)):
        if moment is not None and moment.tzinfo is None:
            raise DomainError("BAD_USER_INPUT", f"{name} needs a time zone", field=name)
    return LessonFilter(
        themes=tuple(theme or ()),
        countries=tuple(country or ()),
        regions=tuple(region or ()),
        client_kinds=tuple(client_kind or ()),
        languages=tuple(language or ()),
        translation_of=translation_of,
        published_from=published_from,
        published_to=published_to,
    )


FilterDep = Annotated[LessonFilter, Depends(lesson_filter)]


@router.get("/lessons/{lesson_id}", response_model=LessonPublic)
async def get_lesson(
    lesson_id: str, principal: CurrentPrincipal, session: SessionDep
) -> LessonPublic:
    async with session.begin():
        return public(await visible_lesson(session, principal, lesson_id), principal)


@router.get("/lessons/{lesson_id}/history", response_model=list[HistoryEntryPublic])
async def get_history(
    lesson_id: str, principal: CurrentPrincipal, session: SessionDep
) -> list[HistoryEntryPublic]:
    async with session.begin():
        await visible_lesson(session, principal, lesson_id)
        entries = (
            await session.scalars(
                select(LessonHistory)
                .where(col(LessonHistory.lesson_id) == lesson_id)
                .order_by(col(LessonHistory.id))
            )
        ).all()
    return [HistoryEntryPublic(**entry.model_dump()) for entry in entries]


@router.get("/lessons", response_model=LessonPage)
async def list_published_lessons(
    principal: CurrentPrincipal,
    session: SessionDep,
    criteria: FilterDep,
    first: Annotated[int, Query(ge=1, le=100)] = 20,
    after: Annotated[str | None, Query(max_length=200)] = None,
) -> LessonPage:
    """The feed: published lessons the caller may see, newest first, as a cursor page."""
    query = select(Lesson).where(
        *published_and_visible(visible_sensitivities(principal.role), criteria)
    )
    query = _NEWEST_FIRST.page(query, first, after)
    async with session.begin():
        rows = list((await session.scalars(query)).all())
    page = rows[:first]
    return LessonPage(
        edges=[
            LessonEdge(cursor=_NEWEST_FIRST.cursor(row), node=public(row, principal))
            for row in page
        ],
        end_cursor=_NEWEST_FIRST.cursor(page[-1]) if page else None,
        has_next_page=len(rows) > first,
    )


@router.get("/unpublished-lessons", response_model=list[LessonPublic])
async def list_unpublished_lessons(
    principal: CurrentPrincipal,
    session: SessionDep,
    status_in: Annotated[list[LessonStatus] | None, Query(alias="status", max_length=20)] = None,
    first: Annotated[int, Query(ge=1, le=100)] = 50,
) -> list[LessonPublic]:
    """The caller's drafts; for reviewers, every lesson waiting (review queue)."""
    statuses = [s.value for s in status_in or [LessonStatus.draft, LessonStatus.in_review]]
    query = (
        select(Lesson)
        .where(
            col(Lesson.status).in_(statuses), col(Lesson.status) != "published", readable(principal)
        )
        .order_by(col(Lesson.updated_at).desc(), col(Lesson.id))
        .limit(first)
    )
    async with session.begin():
        return [public(lesson, principal) for lesson in (await session.scalars(query)).all()]


@router.get("/search", response_model=SearchResult)
async def search(
    principal: CurrentPrincipal,
    session: SessionDep,
    criteria: FilterDep,
    q: Annotated[str, Query(max_length=500)] = "",
    first: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
    total: bool = True,
    facets: bool = True,
) -> SearchResult:
    """Full-text search of published lessons (title, summary, body), best first, with
    facet counts over the whole filtered result."""
    async with session.begin():
        page = await search_lessons(
            session,
            text=q,
            lesson_filter=criteria,
            sensitivities=visible_sensitivities(principal.role),
            first=first,
            offset=offset,
            with_total=total,
            with_facets=facets,
        )
    return SearchResult(
        total=page.total,
        total_exact=page.total_exact,
        hits=[
            SearchHitPublic(score=hit.score, lesson=public(hit.lesson, principal))
            for hit in page.hits
        ],
        facets={
            facet: [FacetCount(value=value, count=count) for value, count in counts]
            for facet, counts in page.facets.items()
        },
        next_offset=offset + first if page.has_more else None,
    )


@router.get("/suggestions", response_model=list[SuggestionPublic])
async def list_suggestions(
    principal: CurrentPrincipal,
    session: SessionDep,
    request_id: Annotated[list[str], Query(min_length=1, max_length=200)],
) -> list[SuggestionPublic]:
    """The suggested lessons of one or more requests (the gateway batches by id).

    Requests the caller may not see are left out; each request shows its first
    few suggestions among the lessons the caller's role may read."""
    sensitivities = sorted(s.value for s in visible_sensitivities(principal.role))
    async with session.begin():
        requests = (
            await session.scalars(
                select(IntakeRequest).where(col(IntakeRequest.request_id).in_(request_id))
            )
        ).all()
        allowed = [
            request.request_id
            for request in requests
            if may_read_suggestions(
                principal,
                client_code=request.client_code,
                desk_code=request.desk_code,
                products=request.products,
            )
        ]
        rows = (
            await session.execute(
                select(Suggestion, Lesson)
                .join(Lesson, col(Lesson.id) == col(Suggestion.lesson_id))
                .where(
                    col(Suggestion.request_id).in_(allowed),
                    col(Lesson.status) == LessonStatus.published.value,
                    col(Lesson.sensitivity).in_(sensitivities),
                )
                .order_by(col(Suggestion.request_id), col(Suggestion.rank))
            )
        ).all()
    shown: dict[str, list[SuggestionPublic]] = {}
    for suggestion, lesson in rows:
        mine = shown.setdefault(suggestion.request_id, [])
        if len(mine) < SHOWN_PER_REQUEST:
            mine.append(
                SuggestionPublic(
                    request_id=suggestion.request_id,
                    lesson_id=lesson.id,
                    rank=len(mine) + 1,
                    score=suggestion.score,
                    title=lesson.title,
                    summary=lesson.summary,
                    reasons=suggestion.reasons,
                )
            )
    return [item for items in shown.values() for item in items]
