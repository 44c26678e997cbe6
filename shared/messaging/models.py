"""The platform tables every service database holds: outbox, inbox and broker state."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Table, Text, text
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from shared.db import JSONColumn, UTCDateTime


class PlatformTable(SQLModel, registry=registry()):
    """Base of this database's tables: its own metadata, so each service's schema stays
    its own even when several services share one test process."""


class OutboxMessage(PlatformTable, table=True):
    """An event written in the same transaction as the change it describes.

    The relay publishes unsent rows in `seq` order and stamps `sent_at`. Sent
    rows are kept for `outbox_retention_hours` so they can be re-published to a
    broker that lost them (the embedded broker keeps nothing across a restart).
    """

    __tablename__ = "outbox_message"
    __table_args__ = (
        Index(
            "ix_outbox_message_unsent",
            "seq",
            sqlite_where=text("sent_at IS NULL"),
            postgresql_where=text("sent_at IS NULL"),
        ),
        Index("ix_outbox_message_created_at", "created_at"),
    )

    seq: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=64, index=True)
    topic: str = Field(max_length=200)
    key: str = Field(max_length=200)
    event_type: str = Field(max_length=200)
    source: str = Field(max_length=200)
    subject: str | None = Field(default=None, max_length=200)
    occurred_at: datetime = Field(sa_type=UTCDateTime)
    correlation_id: str = Field(max_length=64)
    causation_id: str | None = Field(default=None, max_length=64)
    payload: str = Field(sa_column=Column(Text, nullable=False))
    extra_headers: dict[str, str] | None = Field(default=None, sa_type=JSONColumn)
    traceparent: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


# The tables themselves, for the bulk Core statements of the hot paths.
OUTBOX: Table = OutboxMessage.__table__  # type: ignore[attr-defined]


class InboxEntry(PlatformTable, table=True):
    """One row per event a consumer group has handled, written with the handler's effect."""

    __tablename__ = "inbox_entry"

    consumer: str = Field(primary_key=True, max_length=200)
    event_id: str = Field(primary_key=True, max_length=64)
    event_type: str = Field(max_length=200)
    outcome: str = Field(max_length=20)  # applied | dead_lettered
    error: str | None = Field(default=None, sa_column=Column(Text))
    processed_at: datetime = Field(sa_type=UTCDateTime)


INBOX: Table = InboxEntry.__table__  # type: ignore[attr-defined]


class PlatformState(PlatformTable, table=True):
    """Small key/value facts the platform remembers, e.g. the broker's cluster id."""

    __tablename__ = "platform_state"

    key: str = Field(primary_key=True, max_length=100)
    value: str = Field(max_length=500)
