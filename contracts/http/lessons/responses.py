"""What the lessons service answers: lessons and their history, the feed, search with
facets, suggestions for a request, saved filters and their Atom feeds."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from contracts.enums import LessonStatus, Sensitivity, SourceKind


class LessonPublic(BaseModel):
    id: str
    title: str
    summary: str
    body: str = Field(description="Markdown")
    themes: list[str]
    countries: list[str]
    regions: list[str]
    client_kinds: list[str]
    source_kind: SourceKind
    source_ref: str | None
    authoring_entity: str
    sensitivity: Sensitivity
    status: LessonStatus
    review_comment: str | None = Field(
        description="The reviewer's comment when the lesson was last sent back"
    )
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    version: int
    owner_kind: str
    owner_code: str | None
    created_by: str
    language: str = Field(default="en", description="The language it is written in (BCP-47)")
    translation_of: str | None = Field(
        default=None, description="The original lesson this one translates"
    )


class HistoryEntryPublic(BaseModel):
    at: datetime
    actor: str
    action: str
    from_status: LessonStatus | None
    to_status: LessonStatus
    comment: str | None
    version: int
    lesson_id: str


class LessonEdge(BaseModel):
    cursor: str
    node: LessonPublic


class LessonPage(BaseModel):
    edges: list[LessonEdge]
    end_cursor: str | None
    has_next_page: bool


class FacetCount(BaseModel):
    value: str
    count: int


class SearchHitPublic(BaseModel):
    score: float
    lesson: LessonPublic


class SearchResult(BaseModel):
    total: int | None = Field(description="How many match (asked for with total=true)")
    total_exact: bool = Field(description="False: more than `total` lessons match")
    hits: list[SearchHitPublic]
    facets: dict[str, list[FacetCount]]
    next_offset: int | None


class SuggestionPublic(BaseModel):
    lesson_id: str
    rank: int
    score: float
    title: str
    summary: str
    reasons: list[str] = Field(description="Why it matched the request")
    request_id: str


class FilterCriteriaPublic(BaseModel):
    themes: list[str]
    countries: list[str]
    regions: list[str]
    client_kinds: list[str]
    languages: list[str] = Field(default_factory=list)


class SavedFilterPublic(BaseModel):
    id: str
    name: str
    criteria: FilterCriteriaPublic
    created_at: datetime
    revoked_at: datetime | None


class SavedFilterCreated(SavedFilterPublic):
    feed_token: str = Field(description="Shown once: the secret part of the feed's URL")


class FeedPublic(BaseModel):
    id: str
    name: str
    updated: datetime = Field(description="The newest entry's publication, else the filter's")
    entries: list[LessonPublic]
