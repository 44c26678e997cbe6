"""Tables owned by the notifications service."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, UniqueConstraint
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from contracts.enums import MailStatus
from shared.db import JSONColumn, UTCDateTime


class NotificationsTable(SQLModel, registry=registry()):
    """Base of this database's tables: its own metadata (see the other services)."""


class KnownRequest(NotificationsTable, table=True):
    """What a notification needs of a request: its title, client, desk and owner."""

    __tablename__ = "known_request"

    id: str = Field(primary_key=True, max_length=36)
    client_code: str = Field(max_length=64)
    desk_code: str = Field(max_length=64)
    title: str = Field(max_length=200)
    owner: str | None = Field(default=None, max_length=300)
    # Where it is, so the followers of its country or region hear of it (none for a
    # request submitted before this service kept them).
    country: str | None = Field(default=None, max_length=3)
    region: str | None = Field(default=None, max_length=200)


class KnownLesson(NotificationsTable, table=True):
    """What a follower's notice needs of a published lesson: its terms, so that its
    archiving reaches the followers its publishing reached, and its sensitivity."""

    __tablename__ = "known_lesson"

    id: str = Field(primary_key=True, max_length=36)
    title: str = Field(max_length=300)
    themes: list[str] = Field(sa_type=JSONColumn)
    countries: list[str] = Field(sa_type=JSONColumn)
    regions: list[str] = Field(sa_type=JSONColumn)
    sensitivity: str = Field(max_length=20)


class KnownTerm(NotificationsTable, table=True):
    """A theme, country or region the platform has used (a product's code, a request's
    or a lesson's country and region): what may be followed."""

    __tablename__ = "known_term"

    kind: str = Field(primary_key=True, max_length=20)
    code: str = Field(primary_key=True, max_length=200)


class Follow(NotificationsTable, table=True):
    """A term a person follows. A set: the key is the whole row, so following twice is
    one follow."""

    __table_args__ = (Index("ix_follow_kind_code", "kind", "code"),)

    person_key: str = Field(foreign_key="person.key", primary_key=True, max_length=300)
    kind: str = Field(primary_key=True, max_length=20)
    code: str = Field(primary_key=True, max_length=200)
    created_at: datetime = Field(sa_type=UTCDateTime)


class Notification(NotificationsTable, table=True):
    """One thing an audience is told. `seq` orders a person's list and is its cursor."""

    __table_args__ = (Index("ix_notification_audience_seq", "audience", "seq"),)

    seq: int | None = Field(default=None, primary_key=True)
    id: str = Field(max_length=36, unique=True)
    audience: str = Field(max_length=400)
    kind: str = Field(max_length=40)
    request_id: str | None = Field(default=None, max_length=36)
    # The engagement, assessment or comment it is about, where not the request itself.
    subject_id: str | None = Field(default=None, max_length=36)
    title: str = Field(max_length=300)
    params: dict[str, Any] = Field(sa_type=JSONColumn)
    link: str = Field(max_length=300, description="A path in the portal")
    created_at: datetime = Field(sa_type=UTCDateTime)


class Person(NotificationsTable, table=True):
    """Someone who has called the service: their audiences (from their token, kept so
    e-mails can be fanned out) and their preferences. Keyed by the token's actor."""

    key: str = Field(primary_key=True, max_length=300)
    role: str = Field(max_length=20)
    kinds: list[str] = Field(sa_type=JSONColumn, description="The kinds they want")
    email_enabled: bool = False
    email_address: str | None = Field(default=None, max_length=254)
    language: str = Field(default="en", max_length=2)
    # Every notification up to this seq is read ("mark all read"); later ones by ReadMark.
    read_through_seq: int = 0
    version: int = 1
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class PersonAudience(NotificationsTable, table=True):
    """One audience a person belongs to, so a notification finds its e-mail readers
    with one indexed lookup."""

    __tablename__ = "person_audience"

    person_key: str = Field(foreign_key="person.key", primary_key=True, max_length=300)
    audience: str = Field(primary_key=True, max_length=400, index=True)


class ReadMark(NotificationsTable, table=True):
    """A notification a person marked read (after their read-all watermark)."""

    __tablename__ = "read_mark"

    person_key: str = Field(foreign_key="person.key", primary_key=True, max_length=300)
    notification_seq: int = Field(foreign_key="notification.seq", primary_key=True)
    read_at: datetime = Field(sa_type=UTCDateTime)


# The life of an e-mail: pending (due, or leased to a sender), sent, or dead (given up).
MAIL_PENDING, MAIL_SENT, MAIL_DEAD = (
    MailStatus.pending.value,
    MailStatus.sent.value,
    MailStatus.dead.value,
)
MAIL_STATUSES = (MAIL_PENDING, MAIL_SENT, MAIL_DEAD)


class MailMessage(NotificationsTable, table=True):
    """An e-mail, written in the transaction of its notification (the outbox of the
    e-mails) and sent by the mail sender; one per notification and person at most, and
    its Message-ID is its id, so a receiver can tell a repeat after a crash mid-send."""

    __tablename__ = "mail_message"
    __table_args__ = (UniqueConstraint("notification_id", "person_key"),)

    id: str = Field(primary_key=True, max_length=36)
    notification_id: str = Field(max_length=36)
    person_key: str = Field(max_length=300)
    to_address: str = Field(max_length=254)
    language: str = Field(max_length=2)
    # What was sent, recorded at the send (the sender renders it in `language`).
    subject: str | None = Field(default=None, max_length=300)
    status: str = Field(default=MAIL_PENDING, max_length=20, index=True)
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=UTCDateTime, index=True)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(sa_type=UTCDateTime)
