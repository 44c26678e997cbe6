"""The lessons part of the schema: the HQ feed, search, the review workflow, the live
`lessonPublished` subscription, saved filters (Atom feeds) and suggestions at intake.

The lessons service decides what each caller may read: every lesson shown here,
including each one pushed by the subscription, is read through it with the
caller's token.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.types.nodes import SelectedField

from contracts.enums import LessonCommand, LessonStatus, Sensitivity, SourceKind
from contracts.events import Event, LessonPublished
from contracts.http.lessons.requests import (
    FilterCriteria,
    LessonContent,
    LessonCreate,
    LessonEdit,
    SavedFilterCreate,
    WorkflowMove,
)
from contracts.http.lessons.responses import FacetCount as FacetCountPublic
from contracts.http.lessons.responses import (
    HistoryEntryPublic,
    LessonPage,
    LessonPublic,
    SavedFilterCreated,
    SavedFilterPublic,
    SearchResult,
    SuggestionPublic,
)
from gateway.clients import ServiceClient, ServiceError, service_path
from gateway.context import GatewayContext, group_by_request
from gateway.schema.common import (
    GatewayInfo,
    IdempotencyKey,
    PageInfo,
    ProductCode,
    all_from_contract,
    bad_input,
    check_page_size,
    context_of,
    derived,
    from_contract,
    idempotency_headers,
    uuid_arg,
)

# Bounds on what one search may ask of the lessons service (it keeps the same bounds).
MAX_SEARCH_TEXT = 500
MAX_SEARCH_OFFSET = 10_000


def lessons_service(context: GatewayContext) -> ServiceClient:
    return context.clients.by_name["lessons"]


@derived(HistoryEntryPublic)
class LessonHistoryEntry:
    lesson_id: strawberry.ID


@derived(LessonPublic)
class Lesson:
    id: strawberry.ID
    themes: list[ProductCode]
    source_kind: SourceKind = strawberry.field(name="source")

    @strawberry.field(description="Every change of the lesson, oldest first")
    async def history(self, info: GatewayInfo) -> list[LessonHistoryEntry]:
        context = context_of(info)
        items = await lessons_service(context).get(
            service_path("lessons", uuid_arg(self.id), "history"),
            context.authorization,
            list[HistoryEntryPublic],
        )
        return all_from_contract(LessonHistoryEntry, items)


@strawberry.type
class LessonEdge:
    cursor: str
    node: Lesson


@strawberry.type
class LessonConnection:
    edges: list[LessonEdge]
    page_info: PageInfo


@strawberry.input
class LessonFilter:
    """Within one list any value matches; across lists all must."""

    themes: list[ProductCode] = strawberry.field(default_factory=list)
    countries: list[str] = strawberry.field(default_factory=list)
    regions: list[str] = strawberry.field(default_factory=list)
    client_kinds: list[str] = strawberry.field(default_factory=list)
    published_from: datetime | None = None
    published_to: datetime | None = None
    languages: list[str] = strawberry.field(
        default_factory=list, description="Written in one of these languages (BCP-47)"
    )
    translation_of: strawberry.ID | None = strawberry.field(
        default=None, description="Only the translations of this lesson"
    )

    def params(self) -> dict[str, Any]:
        params: dict[str, Any] = {
            "theme": [str(code) for code in self.themes],
            "country": self.countries,
            "region": self.regions,
            "client_kind": self.client_kinds,
            "language": self.languages,
            "translation_of": str(self.translation_of) if self.translation_of else None,
        }
        for name, moment in (
            ("published_from", self.published_from),
            ("published_to", self.published_to),
        ):
            if moment is not None:
                params[name] = moment.isoformat()
        return {name: value for name, value in params.items() if value}

    def accepts(self, event: LessonPublished) -> bool:
        """The same filter on a published-lesson event (for the live subscription)."""
        wanted = (
            ({str(code) for code in self.themes}, event.themes),
            (set(self.countries), event.countries),
            (set(self.regions), event.regions),
            (set(self.client_kinds), event.client_kinds),
            (set(self.languages), [event.language]),
        )
        if self.translation_of and event.translation_of != str(self.translation_of):
            return False
        return all(not values or bool(values & set(have)) for values, have in wanted)


def _params(lesson_filter: LessonFilter | None) -> dict[str, Any]:
    return lesson_filter.params() if lesson_filter else {}


@derived(FacetCountPublic)
class FacetCount:
    pass


@strawberry.type
class LessonFacets:
    themes: list[FacetCount]
    countries: list[FacetCount]
    regions: list[FacetCount]
    client_kinds: list[FacetCount]
    languages: list[FacetCount]


@strawberry.type
class LessonSearchHit:
    score: float = strawberry.field(description="Relevance; comparable within one search only")
    lesson: Lesson


@strawberry.type
class LessonSearchResult:
    total: int | None = strawberry.field(
        description="How many lessons match; counted up to 1 000 unless facets are selected"
    )
    total_exact: bool = strawberry.field(description="False: more than `total` match")
    hits: list[LessonSearchHit]
    facets: LessonFacets = strawberry.field(
        description="Counts over the whole filtered result, not only this page"
    )
    next_offset: int | None


def _selects(info: GatewayInfo, name: str) -> bool:
    """Does the operation select `name` on this field? (True when hidden in a fragment.)"""
    for selected in info.selected_fields:
        for child in selected.selections:
            if not isinstance(child, SelectedField) or child.name == name:
                return True
    return False


def _facet(facets: dict[str, list[FacetCountPublic]], name: str) -> list[FacetCount]:
    return all_from_contract(FacetCount, facets.get(name, []))


@derived(SuggestionPublic)
class LessonSuggestion:
    lesson_id: strawberry.ID
    request_id: strawberry.ID


async def suggestions_by_request(
    context: GatewayContext, request_ids: list[str]
) -> list[list[SuggestionPublic]]:
    items = await lessons_service(context).get(
        service_path("suggestions"),
        context.authorization,
        list[SuggestionPublic],
        params={"request_id": request_ids},
    )
    return group_by_request(items, request_ids)


async def suggestions_of(info: GatewayInfo, request_id: str) -> list[LessonSuggestion]:
    """A request's suggested lessons (batched across requests by a dataloader); for the
    `suggestions` field of ServiceRequest."""
    items = await context_of(info).loader(suggestions_by_request).load(request_id)
    return all_from_contract(LessonSuggestion, items)


@strawberry.type
class SavedLessonFilter:
    id: strawberry.ID
    name: str
    themes: list[ProductCode]
    countries: list[str]
    regions: list[str]
    client_kinds: list[str]
    created_at: datetime
    languages: list[str]

    @classmethod
    def of(cls, saved: SavedFilterPublic) -> SavedLessonFilter:
        """The service keeps the criteria in one object; the schema lists them beside the name."""
        criteria = saved.criteria
        return cls(
            id=strawberry.ID(saved.id),
            name=saved.name,
            themes=[ProductCode(code) for code in criteria.themes],
            countries=criteria.countries,
            regions=criteria.regions,
            client_kinds=criteria.client_kinds,
            created_at=saved.created_at,
            languages=criteria.languages,
        )


@strawberry.type
class SavedLessonFilterWithFeed:
    saved_filter: SavedLessonFilter
    feed_url: str = strawberry.field(
        description="The Atom feed of this filter. Shown once; keep it secret: whoever "
        "has it reads what you may read. Revoke the filter to kill it."
    )


@strawberry.input
class LessonInput:
    title: str
    summary: str = ""
    body: str = strawberry.field(default="", description="Markdown")
    themes: list[ProductCode] = strawberry.field(default_factory=list)
    countries: list[str] = strawberry.field(default_factory=list)
    regions: list[str] = strawberry.field(default_factory=list)
    client_kinds: list[str] = strawberry.field(default_factory=list)
    sensitivity: Sensitivity = Sensitivity.internal
    language: str | None = strawberry.field(
        default=None,
        description="The language it is written in (BCP-47: ar, en, es, fr, ru, zh); "
        "unchanged when absent (a new lesson: en)",
    )

    def content(self) -> LessonContent:
        """What a draft says, as the lessons service reads it (new or edited)."""
        return LessonContent(
            title=self.title,
            summary=self.summary,
            body=self.body,
            themes=[str(code) for code in self.themes],
            countries=self.countries,
            regions=self.regions,
            client_kinds=self.client_kinds,
            sensitivity=self.sensitivity,
            language=self.language,
        )


async def fetch_lesson(context: GatewayContext, lesson_id: str) -> Lesson:
    answer = await lessons_service(context).get(
        service_path("lessons", uuid_arg(lesson_id)), context.authorization, LessonPublic
    )
    return from_contract(Lesson, answer)


def _connection(page: LessonPage) -> LessonConnection:
    return LessonConnection(
        edges=[
            LessonEdge(cursor=edge.cursor, node=from_contract(Lesson, edge.node))
            for edge in page.edges
        ],
        page_info=PageInfo.of(page),
    )


@strawberry.type
class LessonsQuery:
    @strawberry.field(description="The feed: published lessons you may read, newest first")
    async def lessons(
        self,
        info: GatewayInfo,
        filter: LessonFilter | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> LessonConnection:
        check_page_size(first)
        context = context_of(info)
        params = {**_params(filter), "first": first}
        if after:
            params["after"] = after
        page = await lessons_service(context).get(
            service_path("lessons"), context.authorization, LessonPage, params=params
        )
        return _connection(page)

    @strawberry.field(description="Full-text search of published lessons, best first")
    async def search_lessons(
        self,
        info: GatewayInfo,
        query: str = "",
        filter: LessonFilter | None = None,
        first: int = 20,
        offset: int = 0,
    ) -> LessonSearchResult:
        check_page_size(first)
        if not 0 <= offset <= MAX_SEARCH_OFFSET:
            raise bad_input(f"offset must be between 0 and {MAX_SEARCH_OFFSET}")
        if len(query) > MAX_SEARCH_TEXT:
            raise bad_input(f"a search text has at most {MAX_SEARCH_TEXT} characters")
        context = context_of(info)
        params = {
            **_params(filter),
            "q": query,
            "first": first,
            "offset": offset,
            # Counting costs time in proportion to the matches: only when asked for.
            "total": _selects(info, "total") or _selects(info, "totalExact"),
            "facets": _selects(info, "facets"),
        }
        result = await lessons_service(context).get(
            service_path("search"), context.authorization, SearchResult, params=params
        )
        facets = result.facets
        return LessonSearchResult(
            total=result.total,
            total_exact=result.total_exact,
            hits=[
                LessonSearchHit(score=hit.score, lesson=from_contract(Lesson, hit.lesson))
                for hit in result.hits
            ],
            facets=LessonFacets(
                themes=_facet(facets, "theme"),
                countries=_facet(facets, "country"),
                regions=_facet(facets, "region"),
                client_kinds=_facet(facets, "client_kind"),
                languages=_facet(facets, "language"),
            ),
            next_offset=result.next_offset,
        )

    @strawberry.field(description="One lesson, if you may read it")
    async def lesson(self, info: GatewayInfo, id: strawberry.ID) -> Lesson:
        return await fetch_lesson(context_of(info), str(id))

    @strawberry.field(
        description="Unpublished lessons: your drafts; for reviewers, the review queue"
    )
    async def lesson_drafts(
        self, info: GatewayInfo, status: list[LessonStatus] | None = None, first: int = 50
    ) -> list[Lesson]:
        check_page_size(first)
        context = context_of(info)
        params: dict[str, Any] = {"first": first}
        if status:
            params["status"] = [value.value for value in status]
        items = await lessons_service(context).get(
            service_path("unpublished-lessons"),
            context.authorization,
            list[LessonPublic],
            params=params,
        )
        return all_from_contract(Lesson, items)

    @strawberry.field(description="Lessons suggested for a request, and why they matched")
    async def suggestions(
        self, info: GatewayInfo, request_id: strawberry.ID
    ) -> list[LessonSuggestion]:
        return await suggestions_of(info, uuid_arg(request_id, "requestId"))

    @strawberry.field(description="Your saved lesson filters")
    async def saved_lesson_filters(self, info: GatewayInfo) -> list[SavedLessonFilter]:
        context = context_of(info)
        items = await lessons_service(context).get(
            service_path("saved-filters"), context.authorization, list[SavedFilterPublic]
        )
        return [SavedLessonFilter.of(item) for item in items]


async def _move(
    info: GatewayInfo,
    lesson_id: strawberry.ID,
    expected_version: int,
    command: LessonCommand,
    comment: str | None,
) -> Lesson:
    context = context_of(info)
    body = WorkflowMove(command=command, expected_version=expected_version, comment=comment)
    answer = await lessons_service(context).post(
        service_path("lessons", uuid_arg(lesson_id), "moves"),
        context.authorization,
        body,
        LessonPublic,
    )
    return from_contract(Lesson, answer)


@strawberry.type
class LessonsMutation:
    @strawberry.mutation(description="Start a draft lesson")
    async def create_lesson(
        self,
        info: GatewayInfo,
        input: LessonInput,
        idempotency_key: IdempotencyKey = None,
        translation_of: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="The original lesson this one translates"),
        ] = None,
    ) -> Lesson:
        context = context_of(info)
        original = uuid_arg(translation_of, "translationOf") if translation_of else None
        answer = await lessons_service(context).post(
            service_path("lessons"),
            context.authorization,
            LessonCreate(**input.content().model_dump(), translation_of=original),
            LessonPublic,
            headers=idempotency_headers(idempotency_key),
        )
        return from_contract(Lesson, answer)

    @strawberry.mutation(description="Rewrite a draft (give the version you edited)")
    async def update_lesson(
        self, info: GatewayInfo, id: strawberry.ID, expected_version: int, input: LessonInput
    ) -> Lesson:
        context = context_of(info)
        body = LessonEdit(**input.content().model_dump(), expected_version=expected_version)
        answer = await lessons_service(context).put(
            service_path("lessons", uuid_arg(id)), context.authorization, body, LessonPublic
        )
        return from_contract(Lesson, answer)

    @strawberry.mutation(description="Send a draft to the reviewers")
    async def submit_lesson(
        self, info: GatewayInfo, id: strawberry.ID, expected_version: int
    ) -> Lesson:
        return await _move(info, id, expected_version, LessonCommand.submit, None)

    @strawberry.mutation(description="Reviewers: publish a lesson in review")
    async def approve_lesson(
        self,
        info: GatewayInfo,
        id: strawberry.ID,
        expected_version: int,
        comment: str | None = None,
    ) -> Lesson:
        return await _move(info, id, expected_version, LessonCommand.approve, comment)

    @strawberry.mutation(description="Reviewers: send a lesson back to its author, with comments")
    async def send_back_lesson(
        self, info: GatewayInfo, id: strawberry.ID, expected_version: int, comment: str
    ) -> Lesson:
        return await _move(info, id, expected_version, LessonCommand.send_back, comment)

    @strawberry.mutation(description="Reviewers: take a lesson out of the feed")
    async def archive_lesson(
        self,
        info: GatewayInfo,
        id: strawberry.ID,
        expected_version: int,
        comment: str | None = None,
    ) -> Lesson:
        return await _move(info, id, expected_version, LessonCommand.archive, comment)

    @strawberry.mutation(description="Save a filter; its Atom feed URL is returned once")
    async def save_lesson_filter(
        self, info: GatewayInfo, name: str, filter: LessonFilter | None = None
    ) -> SavedLessonFilterWithFeed:
        context = context_of(info)
        criteria = filter or LessonFilter()
        body = SavedFilterCreate(
            name=name,
            criteria=FilterCriteria(
                themes=[str(code) for code in criteria.themes],
                countries=criteria.countries,
                regions=criteria.regions,
                client_kinds=criteria.client_kinds,
                languages=criteria.languages,
            ),
        )
        created = await lessons_service(context).post(
            service_path("saved-filters"), context.authorization, body, SavedFilterCreated
        )
        base = str(context.request.base_url) if context.request else "/"
        return SavedLessonFilterWithFeed(
            saved_filter=SavedLessonFilter.of(created),
            feed_url=f"{base.rstrip('/')}/feeds/lessons/{created.feed_token}",
        )

    @strawberry.mutation(description="Delete a saved filter; its feed URL stops working")
    async def revoke_lesson_filter(self, info: GatewayInfo, id: strawberry.ID) -> SavedLessonFilter:
        context = context_of(info)
        revoked = await lessons_service(context).delete(
            service_path("saved-filters", uuid_arg(id)), context.authorization, SavedFilterPublic
        )
        return SavedLessonFilter.of(revoked)


def _published_matching(lesson_filter: LessonFilter) -> Any:
    def accepts(event: Event) -> bool:
        return isinstance(event, LessonPublished) and lesson_filter.accepts(event)

    return accepts


@strawberry.type
class LessonsSubscription:
    @strawberry.subscription(
        description="Each newly published lesson that matches the filter and that you may read"
    )
    async def lesson_published(
        self, info: GatewayInfo, filter: LessonFilter | None = None
    ) -> AsyncGenerator[Lesson, None]:
        context = context_of(info)
        async with context.live_events().subscribe(
            [LessonPublished], _published_matching(filter or LessonFilter())
        ) as published:
            async for event in published:
                assert isinstance(event, LessonPublished)
                # Read through the lessons service with the caller's token: it alone
                # decides who may see a lesson (restricted ones reach HQ roles only).
                try:
                    yield await fetch_lesson(context, event.lesson_id)
                except ServiceError as refusal:
                    if refusal.code != "LESSON_NOT_FOUND":
                        raise
