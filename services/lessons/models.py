"""Tables owned by the lessons service.

The full-text index is not here: it is a database object of its own kind on each
dialect (an FTS5 table on SQLite, a tsvector column of `lesson_search` on PostgreSQL),
created by the migrations and hidden from the models==migrations comparison by
`services.lessons.search.include_name`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from shared.db import JSONColumn, UTCDateTime


class LessonsTable(SQLModel, registry=registry()):
    """Base of this database's tables: its own metadata, so each service's schema stays
    its own even when several services share one test process."""


class Lesson(LessonsTable, table=True):
    """One lesson of the single repository all entities learn from."""

    __table_args__ = (
        # One after-action draft per engagement (or assessment), even on redelivery.
        UniqueConstraint("source_kind", "source_ref", name="uq_lesson_source"),
        # A writer's retried create finds the draft its first attempt made.
        Index("uq_lesson_idempotency", "created_by", "idempotency_key", unique=True),
        # The feed: published lessons newest first.
        Index("ix_lesson_feed", "status", "published_at", "id"),
    )

    id: str = Field(primary_key=True, max_length=36)
    title: str = Field(max_length=300)
    summary: str = Field(sa_column=Column(Text, nullable=False))
    body: str = Field(sa_column=Column(Text, nullable=False))  # Markdown
    themes: list[str] = Field(sa_type=JSONColumn)
    countries: list[str] = Field(sa_type=JSONColumn)
    regions: list[str] = Field(sa_type=JSONColumn)
    client_kinds: list[str] = Field(sa_type=JSONColumn)
    source_kind: str = Field(max_length=20)  # engagement | assessment | direct
    source_ref: str | None = Field(default=None, max_length=100)
    authoring_entity: str = Field(max_length=200)
    sensitivity: str = Field(max_length=20)  # public | internal | restricted
    status: str = Field(index=True, max_length=20)  # draft | in_review | published | archived
    owner_kind: str = Field(default="hq", max_length=20)  # provider | desk | hq
    owner_code: str | None = Field(default=None, max_length=64)
    created_by: str = Field(default="", max_length=300)
    idempotency_key: str | None = Field(default=None, max_length=100)
    review_comment: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    version: int = 1
    # The language it is written in (contracts/enums.CONTENT_LANGUAGES; also a facet row,
    # so search and feeds filter on it), and the original it translates, if it does
    # (checked when the translation is made; lessons are archived, never deleted, so no
    # foreign key: on SQLite adding one would rebuild the table and its search triggers).
    language: str = Field(
        default="en", sa_column=Column(String(8), nullable=False, server_default="en")
    )
    translation_of: str | None = Field(default=None, index=True, max_length=36)
    # The lesson's facet rows flattened, "facet:value" sorted (store.set_tags writes both):
    # search counts facets over the matches' distinct combinations of these, so it reads
    # no facet row per match (services/lessons/search.py).
    facet_keys: list[str] = Field(
        default_factory=list,
        sa_column=Column(JSONColumn, nullable=False, server_default="[]"),
    )


class LessonTag(LessonsTable, table=True):
    """One facet value of a lesson (theme, country, region, client kind), kept beside the
    lesson's lists so filters and facet counts are indexed lookups on both databases."""

    __tablename__ = "lesson_tag"
    __table_args__ = (Index("ix_lesson_tag_value", "facet", "value", "lesson_id"),)

    lesson_id: str = Field(foreign_key="lesson.id", primary_key=True, max_length=36)
    # theme | country | region | client_kind | language
    facet: str = Field(primary_key=True, max_length=20)
    value: str = Field(primary_key=True, max_length=120)


class LessonSearchEntry(LessonsTable, table=True):
    """What search reads of a lesson, one narrow row each: visibility, filter columns and
    its facet set. A search tests and counts thousands of matches; reading these rows
    instead of the lessons' (title, summary, body) is what keeps that cheap.

    Written by the database itself, by triggers on `lesson` in the same transaction as
    the lesson (the migration that made this table has them), so every writer, bulk
    loads included, keeps it in step. On SQLite `doc` is the lesson's rowid, the FTS5
    document id, so a text match joins it by rowid; on PostgreSQL it also holds the
    weighted search vector and its GIN index (services/lessons/search.py)."""

    __tablename__ = "lesson_search"
    __table_args__ = (
        # Counts and facets of filter-only listings: read from the index alone.
        Index("ix_lesson_search_visible", "status", "sensitivity", "facet_set_id"),
        # Filter-only listings, newest first.
        Index("ix_lesson_search_newest", "status", "published_at", "lesson_id"),
    )

    doc: int | None = Field(default=None, primary_key=True)
    lesson_id: str = Field(unique=True, max_length=36)
    status: str = Field(max_length=20)
    sensitivity: str = Field(max_length=20)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    translation_of: str | None = Field(default=None, max_length=36)
    facet_set_id: int = Field(sa_column=Column(Integer, nullable=False))


class FacetSet(LessonsTable, table=True):
    """One distinct combination of facet values (a lesson's `facet_keys`), shared by every
    lesson that has it: a search counts its matches per facet set (a few hundred among
    thousands of matches), then each set's values once."""

    __tablename__ = "lesson_facet_set"

    id: int | None = Field(default=None, primary_key=True)
    keys: str = Field(sa_column=Column(Text, nullable=False, unique=True))  # JSON array


class FacetSetValue(LessonsTable, table=True):
    """The facet values of a facet set; a filter is the sets having one of its values."""

    __tablename__ = "lesson_facet_set_value"

    facet: str = Field(primary_key=True, max_length=20)
    value: str = Field(primary_key=True, max_length=120)
    facet_set_id: int = Field(primary_key=True, foreign_key="lesson_facet_set.id")


class LessonHistory(LessonsTable, table=True):
    """Every change of a lesson: who, when, what, and the reviewer's comment."""

    __tablename__ = "lesson_history"

    id: int | None = Field(default=None, primary_key=True)
    lesson_id: str = Field(foreign_key="lesson.id", index=True, max_length=36)
    at: datetime = Field(sa_type=UTCDateTime)
    actor: str = Field(max_length=300)
    action: str = Field(max_length=20)  # created | edited | submit | approve | send_back | archive
    from_status: str | None = Field(default=None, max_length=20)
    to_status: str = Field(max_length=20)
    comment: str | None = Field(default=None, sa_column=Column(Text))
    version: int


class IntakeRequest(LessonsTable, table=True):
    """The lessons service's copy of a new request, enough to suggest lessons for it and
    to know who may read those suggestions."""

    __tablename__ = "intake_request"

    request_id: str = Field(primary_key=True, max_length=36)
    client_code: str = Field(index=True, max_length=40)
    client_kind: str = Field(max_length=40)
    desk_code: str = Field(index=True, max_length=40)
    country: str = Field(max_length=3)
    region: str = Field(max_length=120)
    products: list[str] = Field(sa_type=JSONColumn)
    title: str = Field(max_length=300)
    description: str = Field(sa_column=Column(Text, nullable=False))
    submitted_at: datetime = Field(sa_type=UTCDateTime)
    suggested_at: datetime = Field(sa_type=UTCDateTime)


class Suggestion(LessonsTable, table=True):
    """A published lesson put in front of a request's client and desk, and why."""

    request_id: str = Field(
        foreign_key="intake_request.request_id", primary_key=True, max_length=36
    )
    lesson_id: str = Field(foreign_key="lesson.id", primary_key=True, max_length=36)
    rank: int
    score: float
    reasons: list[str] = Field(sa_type=JSONColumn)


class SavedFilter(LessonsTable, table=True):
    """A user's saved lesson filter, with the secret token of its Atom feed.

    Only the token's SHA-256 is stored; the owner's role and tenant are kept so the
    feed shows what the owner may see, to a feed reader that sends no credentials."""

    __tablename__ = "saved_filter"

    id: str = Field(primary_key=True, max_length=36)
    owner_subject: str = Field(index=True, max_length=200)
    owner_role: str = Field(max_length=20)
    owner_claims: dict[str, Any] = Field(sa_type=JSONColumn)
    name: str = Field(max_length=200)
    criteria: dict[str, Any] = Field(sa_type=JSONColumn)
    token_hash: str = Field(unique=True, max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
