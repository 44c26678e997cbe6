"""HTTP routes of the lessons service: the workflow, the feed, search and suggestions.

The commands (create, edit, workflow moves) run through the command pipeline
(shared/commands.py): the lesson locked, the version its caller saw checked and
bumped, its events through the outbox, so two concurrent approvals cannot both pass."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlmodel import col

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
from services.lessons import domain
from services.lessons.domain import (
    DraftContent,
    LessonCommand,
    LessonStatus,
    Owner,
    Sensitivity,
    SourceKind,
    authorise_command,
    may_read_suggestions,
    owner_of_new_draft,
    owns_draft,
    visible_sensitivities,
)
from services.lessons.models import IntakeRequest, Lesson, LessonHistory, Suggestion
from services.lessons.search import LessonFilter, published_and_visible, search_lessons
from services.lessons.store import (
    add_history,
    apply_command,
    create_draft,
    owner_of,
    readable,
    set_tags,
    visible_lesson,
)
from services.lessons.suggestions import SHOWN_PER_REQUEST
from shared.auth import CurrentPrincipal, Principal, Role
from shared.commands import Aggregate, CommandsDep, ExpectedVersion, UnitOfWork
from shared.errors import DomainError
from shared.idempotency import IdempotencyKeyDep, create_once
from shared.queries import Keyset
from shared.service import SessionDep

router = APIRouter(tags=["lessons"])
# The feed: newest published first.
_NEWEST_FIRST = Keyset(col(Lesson.published_at), col(Lesson.id), descending=True)

LESSON = Aggregate(Lesson, name="the lesson", not_found="LESSON_NOT_FOUND")


class LessonContent(BaseModel):
    title: str = Field(max_length=domain.MAX_TITLE * 2)
    summary: str = Field(default="", max_length=domain.MAX_SUMMARY * 2)
    body: str = Field(default="", max_length=domain.MAX_BODY * 2, description="Markdown")
    themes: list[str] = Field(default_factory=list, max_length=100)
    countries: list[str] = Field(default_factory=list, max_length=100)
    regions: list[str] = Field(default_factory=list, max_length=100)
    client_kinds: list[str] = Field(default_factory=list, max_length=100)
    sensitivity: Sensitivity = Sensitivity.internal

    def draft(self) -> DraftContent:
        domain.validate_content(
            title=self.title,
            summary=self.summary,
            body=self.body,
            themes=self.themes,
            countries=self.countries,
            regions=self.regions,
            client_kinds=self.client_kinds,
        )
        return DraftContent(
            title=self.title,
            summary=self.summary,
            body=self.body,
            themes=self.themes,
            countries=self.countries,
            regions=self.regions,
            client_kinds=self.client_kinds,
        )


class LessonCreate(LessonContent):
    source_kind: SourceKind = SourceKind.direct
    source_ref: str | None = Field(default=None, max_length=100)
    authoring_entity: str | None = Field(default=None, max_length=200)


class LessonEdit(LessonContent, ExpectedVersion):
    pass


class WorkflowMove(ExpectedVersion):
    command: LessonCommand
    comment: str | None = Field(default=None, max_length=5_000)


def public(lesson: Lesson) -> LessonPublic:
    return LessonPublic(**lesson.model_dump())


def lesson_filter(
    theme: Annotated[list[str] | None, Query(max_length=50)] = None,
    country: Annotated[list[str] | None, Query(max_length=50)] = None,
    region: Annotated[list[str] | None, Query(max_length=50)] = None,
    client_kind: Annotated[list[str] | None, Query(max_length=50)] = None,
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
        published_from=published_from,
        published_to=published_to,
    )


FilterDep = Annotated[LessonFilter, Depends(lesson_filter)]


def _authoring_entity(principal: Principal, owner_code: str | None) -> str:
    if principal.role is Role.provider:
        return f"provider:{owner_code}"
    if principal.role is Role.desk_officer:
        return f"desk:{principal.desk}"
    return "headquarters"


@router.post("/lessons", status_code=status.HTTP_201_CREATED, response_model=LessonPublic)
async def create_lesson(
    body: LessonCreate,
    principal: CurrentPrincipal,
    commands: CommandsDep,
    idempotency_key: IdempotencyKeyDep = None,
) -> LessonPublic:
    """Start a draft (providers, desk officers and HQ write lessons). A retry with the
    same `Idempotency-Key` answers with the draft the first attempt made."""
    content = body.draft()
    owner = owner_of_new_draft(principal, content.themes)

    async def find(key: str) -> LessonPublic | None:
        async with commands.begin() as work:
            made = await work.session.scalar(
                select(Lesson).where(
                    col(Lesson.created_by) == principal.actor, col(Lesson.idempotency_key) == key
                )
            )
            return public(made) if made else None

    async def create() -> LessonPublic:
        async with commands.begin() as work:
            return public(await _create(body, content, owner, principal, work, idempotency_key))

    return await create_once(idempotency_key, find, create)


async def _create(
    body: LessonCreate,
    content: DraftContent,
    owner: Owner,
    principal: Principal,
    work: UnitOfWork,
    idempotency_key: str | None,
) -> Lesson:
    return await create_draft(
        work.session,
        content,
        owner=owner,
        source_kind=body.source_kind,
        source_ref=body.source_ref if body.source_kind is not SourceKind.direct else None,
        authoring_entity=body.authoring_entity or _authoring_entity(principal, owner.code),
        sensitivity=body.sensitivity,
        actor=principal.actor,
        at=work.now,
        publish=work.publish,
        idempotency_key=idempotency_key,
    )


@router.put("/lessons/{lesson_id}", response_model=LessonPublic)
async def edit_lesson(
    lesson_id: str, body: LessonEdit, principal: CurrentPrincipal, commands: CommandsDep
) -> LessonPublic:
    """Rewrite a draft; only drafts change (a lesson in review is sent back first)."""
    content = body.draft()

    def may_edit(lesson: Lesson) -> None:
        if not owns_draft(principal, owner_of(lesson)):
            raise DomainError("FORBIDDEN", "only the draft's owner or a reviewer may edit it")

    async with commands.change(
        LESSON,
        lesson_id,
        readable(principal),
        expected_version=body.expected_version,
        authorise=may_edit,
    ) as change:
        lesson = change.aggregate
        if lesson.status != LessonStatus.draft.value:
            raise DomainError(
                "ILLEGAL_TRANSITION",
                f"a {lesson.status} lesson cannot be edited",
                status=lesson.status,
            )
        for name, value in vars(content).items():
            setattr(lesson, name, value)
        lesson.title = content.title.strip()
        lesson.sensitivity = body.sensitivity.value
        lesson.updated_at = change.now
        await set_tags(change.session, lesson)
        add_history(
            change.session,
            lesson,
            at=change.now,
            actor=principal.actor,
            action="edited",
            from_status=lesson.status,
        )
    return public(lesson)


@router.post("/lessons/{lesson_id}/moves", response_model=LessonPublic)
async def move_lesson(
    lesson_id: str, body: WorkflowMove, principal: CurrentPrincipal, commands: CommandsDep
) -> LessonPublic:
    """Submit for review, approve (publish), send back with comments, or archive."""
    async with commands.change(
        LESSON,
        lesson_id,
        readable(principal),
        expected_version=body.expected_version,
        authorise=lambda lesson: authorise_command(
            principal, body.command, owner_of(lesson), body.comment
        ),
    ) as change:
        apply_command(
            change.session,
            change.aggregate,
            body.command,
            actor=principal.actor,
            at=change.now,
            comment=body.comment,
            publish=change.publish,
        )
    return public(change.aggregate)


@router.get("/lessons/{lesson_id}", response_model=LessonPublic)
async def get_lesson(
    lesson_id: str, principal: CurrentPrincipal, session: SessionDep
) -> LessonPublic:
    async with session.begin():
        return public(await visible_lesson(session, principal, lesson_id))


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
        edges=[LessonEdge(cursor=_NEWEST_FIRST.cursor(row), node=public(row)) for row in page],
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
        return [public(lesson) for lesson in (await session.scalars(query)).all()]


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
        hits=[SearchHitPublic(score=hit.score, lesson=public(hit.lesson)) for hit in page.hits],
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
