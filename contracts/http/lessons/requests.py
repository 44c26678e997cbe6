"""What the lessons service accepts: a draft, its edits and workflow moves, a saved filter.

The limits below are the lessons' rules (services/lessons/domain.py checks them with a
precise refusal); a body field allows twice its limit so that check, not a generic
validation error, is what a caller meets."""

from __future__ import annotations

from pydantic import BaseModel, Field

from contracts.enums import LessonCommand, Sensitivity, SourceKind
from contracts.http.common import ContentLanguage, ExpectedVersion

MAX_TITLE = 300
MAX_SUMMARY = 2_000
MAX_BODY = 100_000


class LessonContent(BaseModel):
    title: str = Field(max_length=MAX_TITLE * 2)
    summary: str = Field(default="", max_length=MAX_SUMMARY * 2)
    body: str = Field(default="", max_length=MAX_BODY * 2, description="Markdown")
    themes: list[str] = Field(default_factory=list, max_length=100)
    countries: list[str] = Field(default_factory=list, max_length=100)
    regions: list[str] = Field(default_factory=list, max_length=100)
    client_kinds: list[str] = Field(default_factory=list, max_length=100)
    sensitivity: Sensitivity = Sensitivity.internal
    language: ContentLanguage | None = Field(
        default=None, description="The language it is written in; unchanged (new: en) when absent"
    )


class LessonCreate(LessonContent):
    source_kind: SourceKind = SourceKind.direct
    source_ref: str | None = Field(default=None, max_length=100)
    authoring_entity: str | None = Field(default=None, max_length=200)
    translation_of: str | None = Field(
        default=None,
        max_length=36,
        description="The original lesson this one translates (into another language)",
    )


class LessonEdit(LessonContent, ExpectedVersion):
    pass


class WorkflowMove(ExpectedVersion):
    command: LessonCommand
    comment: str | None = Field(default=None, max_length=5_000)


class FilterCriteria(BaseModel):
    themes: list[str] = Field(default_factory=list, max_length=50)
    countries: list[str] = Field(default_factory=list, max_length=50)
    regions: list[str] = Field(default_factory=list, max_length=50)
    client_kinds: list[str] = Field(default_factory=list, max_length=50)
    languages: list[ContentLanguage] = Field(default_factory=list, max_length=10)


class SavedFilterCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    criteria: FilterCriteria = Field(default_factory=FilterCriteria)
