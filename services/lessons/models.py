"""Tables owned by the lessons service (its workflow and search are later work)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from shared.db import JSONColumn, UTCDateTime


class LessonsTable(SQLModel, registry=registry()):
    """Base of this database's tables: its own metadata, so each service's schema stays
    its own even when several services share one test process."""


class Lesson(LessonsTable, table=True):
    """One lesson of the single repository all entities learn from."""

    id: str = Field(primary_key=True, max_length=36)
    title: str = Field(max_length=300)
    summary: str = Field(sa_column=Column(Text, nullable=False))
    body: str = Field(sa_column=Column(Text, nullable=False))
    themes: list[str] = Field(sa_type=JSONColumn)
    countries: list[str] = Field(sa_type=JSONColumn)
    regions: list[str] = Field(sa_type=JSONColumn)
    client_kinds: list[str] = Field(sa_type=JSONColumn)
    source_kind: str = Field(max_length=20)  # engagement | assessment | direct
    source_ref: str | None = Field(default=None, max_length=100)
    authoring_entity: str = Field(max_length=200)
    sensitivity: str = Field(max_length=20)  # public | internal | restricted
    status: str = Field(index=True, max_length=20)  # draft | in_review | published | archived
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    version: int = 1
