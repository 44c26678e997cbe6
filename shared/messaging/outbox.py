"""Writing events: the transactional outbox.

`Outbox.add` puts the event into the caller's unit of work; it is published
only if and when that transaction commits. The rows are kept beside the session
and written with one bulk INSERT when the transaction (or the savepoint they
were added in) commits, after the session's own changes: one statement per
unit of work instead of one ORM object and one INSERT per event. A savepoint
that rolls back takes its events with it, as it would take ORM objects. After a
commit that wrote outbox rows, the relay of this process is woken so the events
leave at once rather than at the next poll.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any, Protocol

from sqlalchemy import event as sa_event
from sqlalchemy import insert
from sqlalchemy.orm import Session, SessionTransaction

from contracts import Event
from shared.clock import Clock, SystemClock
from shared.db import AsyncSession, began_within
from shared.messaging.envelope import Envelope
from shared.messaging.models import OUTBOX, OutboxMessage
from shared.messaging.tracing import current_traceparent

_UNWRITTEN = "onedoor.outbox_unwritten"
_WAKE = "onedoor.outbox_wake"
# Every column but `seq` (the database numbers rows).
COLUMNS = tuple(column.name for column in OUTBOX.columns if column.name != "seq")
_INSERT = insert(OUTBOX)  # built once; each commit binds its rows


@dataclass
class _Unwritten:
    """Rows added in a session's transaction and not yet inserted, with the
    (nested) transaction each was added in."""

    rows: list[tuple[SessionTransaction | None, dict[str, Any]]] = field(default_factory=list)
    written: bool = False


class Publisher(Protocol):
    """The one way to publish: `publish(event)` adds the event to the outbox of the
    transaction that makes the change it reports, so it is sent if and only if that
    transaction commits. A command's unit of work (shared/commands.py), an event
    handler's `EventContext` and `Outbox.publisher(session)` (seeds, workers) are
    publishers; a store helper that publishes takes one."""

    def publish(self, event: Event) -> None: ...


@dataclass(frozen=True)
class SessionPublisher(Publisher):
    """The outbox of one session's transaction, as a `Publisher`."""

    outbox: Outbox
    session: AsyncSession

    def publish(self, event: Event) -> None:
        self.outbox.add(self.session, event)


class Outbox:
    """Adds events to a unit of work, stamped with this service as their source."""

    def __init__(self, source: str, clock: Clock | None = None) -> None:
        self.source = source
        self.clock = clock or SystemClock()
        self._wake: Callable[[], None] | None = None

    def on_commit(self, wake: Callable[[], None]) -> None:
        """Call `wake` after every commit that wrote outbox rows (the relay's doorbell)."""
        self._wake = wake

    def publisher(self, session: AsyncSession) -> Publisher:
        """Where the events of `session`'s transaction go (for seeds and workers)."""
        return SessionPublisher(self, session)

    def add(self, session: AsyncSession, event: Event, *, cause: Envelope | None = None) -> str:
        event_id = str(uuid.uuid4())
        now = self.clock.now()
        self._keep(
            session,
            {
                "event_id": event_id,
                "topic": event.topic,
                "key": event.key(),
                "event_type": event.type,
                "source": self.source,
                "subject": event.subject(),
                "occurred_at": now,
                "correlation_id": cause.correlation_id if cause else event_id,
                "causation_id": cause.id if cause else None,
                "payload": event.model_dump_json(),
                "traceparent": current_traceparent(),
                "created_at": now,
            },
        )
        return event_id

    def add_raw(self, session: AsyncSession, message: OutboxMessage) -> None:
        """Add a prepared record (used for dead letters, which keep the original body)."""
        # Only the columns it fills: a JSON column given None would store JSON null.
        row = {name: getattr(message, name) for name in COLUMNS}
        self._keep(session, {name: value for name, value in row.items() if value is not None})

    def _keep(self, session: AsyncSession, row: dict[str, Any]) -> None:
        sync_session = session.sync_session
        info: dict[str, Any] = sync_session.info
        unwritten: _Unwritten = info.setdefault(_UNWRITTEN, _Unwritten())
        unwritten.rows.append((sync_session.get_nested_transaction(), row))
        if self._wake is not None:
            info[_WAKE] = self._wake


@sa_event.listens_for(Session, "before_commit")
def _write_rows(session: Session) -> None:
    """Insert the kept rows in one statement, inside the committing transaction
    (for a savepoint: inside it, so they stay part of its outer transaction)."""
    unwritten: _Unwritten | None = session.info.get(_UNWRITTEN)
    if unwritten is None or not unwritten.rows:
        return
    # A bulk INSERT takes rows of one shape (an event's, or a dead letter's), so each
    # run of rows with the same columns is one statement; runs keep the order the
    # rows were added in (their `seq`, the order the relay publishes them in).
    rows = [row for _, row in unwritten.rows]
    unwritten.rows.clear()
    for _shape, run in groupby(rows, key=tuple):
        session.execute(_INSERT, list(run))
    unwritten.written = True


@sa_event.listens_for(Session, "after_transaction_end")
def _forget_rows(session: Session, transaction: SessionTransaction) -> None:
    """A transaction that ended without committing takes its unwritten rows along;
    the outermost one ending clears everything."""
    unwritten: _Unwritten | None = session.info.get(_UNWRITTEN)
    if unwritten is None:
        return
    if transaction.parent is None:
        session.info.pop(_UNWRITTEN, None)
        return
    unwritten.rows = [
        (owner, row) for owner, row in unwritten.rows if not began_within(owner, transaction)
    ]


@sa_event.listens_for(Session, "after_commit")
def _wake_relay(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint released: the rows are not visible until the outer commit
    unwritten: _Unwritten | None = session.info.get(_UNWRITTEN)
    if unwritten is not None and unwritten.written:
        unwritten.written = False
        wake = session.info.get(_WAKE)
        if wake is not None:
            wake()
