"""Recording notifications: the rows of a whole batch of events written in bulk.

A handler's `record` announces each notification at once (its `NotificationRecorded`
goes in the outbox of the event's transaction) and keeps its row beside the session.
The kept rows are written at the latest moment that still hides nothing, with one
INSERT for the notifications, one query for the e-mail readers of all their audiences
and one INSERT for the e-mails, however many events the transaction applied (the event
consumer applies a fetched batch in one transaction, so a batch costs three statements
instead of three per event):

- before the transaction, or the savepoint they were kept in, commits;
- before any statement of the session, except a query marked `READS_NO_KEPT_ROWS` (the
  handlers' reads of requests, terms and followers, which read none of these tables)
  and an INSERT, UPDATE or DELETE of another table.

A savepoint that rolls back takes the rows kept in it along, as it would take ORM
objects (the consumer retries a failed batch with a savepoint per event). The e-mail
readers are read at the write: no handler changes a person, so they are the ones each
event would have read.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, insert, select
from sqlalchemy import event as sa_event
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction
from sqlmodel import col

from contracts.events import NotificationRecorded
from services.notifications.domain import Draft
from services.notifications.models import (
    MAIL_PENDING,
    MailMessage,
    Notification,
    Person,
    PersonAudience,
)
from shared.db import AsyncSession, forget_kept_rows
from shared.messaging import Publisher

# The tables recorded with Core inserts, many rows in one statement.
NOTIFICATIONS: Table = Notification.__table__  # type: ignore[attr-defined]
MAIL_MESSAGES: Table = MailMessage.__table__  # type: ignore[attr-defined]
_KEPT_TABLES = (NOTIFICATIONS, MAIL_MESSAGES)

_KEPT = "notifications.kept_rows"
# The execution option of a query that reads no notification and no e-mail, not even in
# a subquery: the kept rows wait for a later statement.
READS_NO_KEPT_ROWS = {"notifications_reads_no_kept_rows": True}

# (the transaction or savepoint the row was kept in, the notification's row)
_Row = tuple[SessionTransaction | None, dict[str, Any]]


def record(
    session: AsyncSession, publisher: Publisher, drafts: Sequence[Draft], now: datetime
) -> None:
    """Store these notifications, announce each (the gateway's live feed), and queue an
    e-mail for each person of its audience who wants its kind by e-mail (the outbox of
    the e-mails: the sender renders and sends them, in the person's language)."""
    if not drafts:
        return
    rows = [_notification_row(draft, now) for draft in drafts]
    for row, draft in zip(rows, drafts, strict=True):
        publisher.publish(
            NotificationRecorded(
                notification_id=row["id"],
                audience=draft.audience,
                kind=draft.kind,
                request_id=draft.request_id,
                recorded_at=now,
            )
        )
    sync_session = session.sync_session
    kept: list[_Row] = sync_session.info.setdefault(_KEPT, [])
    owner = sync_session.get_nested_transaction()
    kept.extend((owner, row) for row in rows)


def _notification_row(draft: Draft, now: datetime) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "audience": draft.audience,
        "kind": draft.kind.value,
        "request_id": draft.request_id,
        "subject_id": draft.subject_id,
        "title": draft.title[:300],
        "params": {name: str(value) for name, value in draft.params.items()},
        "link": draft.link,
        "created_at": now,
    }


@dataclass(frozen=True)
class _MailReader:
    """A person who wants e-mail, as an e-mail needs them."""

    key: str
    address: str | None  # never None: only people with an address are read
    language: str
    kinds: list[str]


def _mail_row(notification: dict[str, Any], reader: _MailReader) -> dict[str, Any]:
    # Every column given: a Core insert runs no ORM defaults.
    return {
        "id": str(uuid.uuid4()),
        "notification_id": notification["id"],
        "person_key": reader.key,
        "to_address": reader.address,
        "language": reader.language,
        "subject": None,
        "status": MAIL_PENDING,
        "attempts": 0,
        "next_attempt_at": notification["created_at"],
        "sent_at": None,
        "last_error": None,
        "created_at": notification["created_at"],
    }


_MAIL_READERS = (
    select(
        col(PersonAudience.audience),
        col(Person.key),
        col(Person.email_address),
        col(Person.language),
        col(Person.kinds),
    )
    .join(PersonAudience, col(PersonAudience.person_key) == col(Person.key))
    .where(col(Person.email_enabled).is_(True), col(Person.email_address).is_not(None))
    .order_by(col(Person.key))
)


def _mail_readers(session: Session, audiences: set[str]) -> dict[str, list[_MailReader]]:
    """The people of each audience who want e-mail, in the order of their keys."""
    query = _MAIL_READERS.where(col(PersonAudience.audience).in_(sorted(audiences)))
    readers: dict[str, list[_MailReader]] = {}
    for audience, key, address, language, kinds in session.execute(query):
        readers.setdefault(audience, []).append(_MailReader(key, address, language, kinds))
    return readers


def _write(session: Session) -> None:
    kept: list[_Row] | None = session.info.get(_KEPT)
    if not kept:
        return
    notifications = [row for _, row in kept]
    kept.clear()  # before the statements below, which come through _before_a_statement
    session.execute(insert(NOTIFICATIONS), notifications)
    readers = _mail_readers(session, {row["audience"] for row in notifications})
    mails = [
        _mail_row(row, reader)
        for row in notifications
        for reader in readers.get(row["audience"], ())
        if row["kind"] in reader.kinds
    ]
    if mails:
        session.execute(insert(MAIL_MESSAGES), mails)


@sa_event.listens_for(Session, "do_orm_execute")
def _before_a_statement(state: ORMExecuteState) -> None:
    if not state.session.info.get(_KEPT):
        return
    if state.is_select and state.execution_options.get("notifications_reads_no_kept_rows"):
        return
    if (state.is_update or state.is_delete or state.is_insert) and not _on_kept_table(state):
        return
    _write(state.session)


def _on_kept_table(state: ORMExecuteState) -> bool:
    target = getattr(state.statement, "table", None)
    return any(table is target for table in _KEPT_TABLES)


@sa_event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    _write(session)


@sa_event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    forget_kept_rows(session, transaction, _KEPT)
