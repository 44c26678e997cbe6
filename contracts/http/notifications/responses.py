"""What the notifications service answers: a person's notifications and preferences."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from contracts.enums import FollowKind, Language, MailStatus, NotificationKind


class NotificationPublic(BaseModel):
    """Something that concerns the reader: what happened, about which request, when."""

    id: str
    kind: NotificationKind
    title: str = Field(description="The request's title (a task's, for a partner)")
    request_id: str | None
    subject_id: str | None = Field(description="The engagement, assessment or comment, if any")
    params: dict[str, str] = Field(
        description="What the kind says: from_status/to_status, clock/due_at, product_code, due_on"
    )
    link: str = Field(description="Where it is in the portal (a path)")
    read: bool
    created_at: datetime
    cursor: str = Field(description="Its position in the reader's list (for `after`)")


class NotificationPage(BaseModel):
    items: list[NotificationPublic]
    unread_count: int = Field(description="The reader's unread notifications, of every page")
    has_next_page: bool
    end_cursor: str | None


class AllRead(BaseModel):
    marked: int = Field(description="How many notifications were unread before")
    unread_count: int


class PreferencesPublic(BaseModel):
    """What a person wants to hear of, and how."""

    kinds: list[NotificationKind] = Field(description="The kinds the person is told of")
    email_enabled: bool
    email_address: str | None
    language: Language = Field(description="The language of the person's e-mails")
    version: int


class FollowPublic(BaseModel):
    """A term a person follows: they hear of its lessons and of the requests on it they
    may see."""

    kind: FollowKind
    code: str
    created_at: datetime


class MailPublic(BaseModel):
    """An e-mail in the mail sender's queue, for admins: who it goes to, how its
    attempts went, and why the last one failed."""

    id: str
    notification_id: str
    to_address: str
    language: Language
    subject: str | None = Field(description="What was sent (none before it is sent)")
    status: MailStatus
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
