"""Writing events: the transactional outbox.

`Outbox.add` puts the event into the caller's session; it is published only if
and when that session's transaction commits. After a commit that wrote outbox
rows, the relay of this process is woken so the event leaves at once rather than
at the next poll.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from contracts import Event
from shared.clock import Clock, SystemClock
from shared.db import AsyncSession
from shared.messaging.envelope import Envelope
from shared.messaging.models import OutboxMessage
from shared.telemetry import current_traceparent

_PENDING = "onedoor.outbox_pending"
_WAKE = "onedoor.outbox_wake"


class Outbox:
    """Adds events to a unit of work, stamped with this service as their source."""

    def __init__(self, source: str, clock: Clock | None = None) -> None:
        self.source = source
        self.clock = clock or SystemClock()
        self._wake: Callable[[], None] | None = None

    def on_commit(self, wake: Callable[[], None]) -> None:
        """Call `wake` after every commit that wrote outbox rows (the relay's doorbell)."""
        self._wake = wake

    def add(self, session: AsyncSession, event: Event, *, cause: Envelope | None = None) -> str:
        event_id = str(uuid.uuid4())
        now = self.clock.now()
        session.add(
            OutboxMessage(
                event_id=event_id,
                topic=event.topic,
                key=event.key(),
                event_type=event.type,
                source=self.source,
                subject=event.subject(),
                occurred_at=now,
                correlation_id=cause.correlation_id if cause else event_id,
                causation_id=cause.id if cause else None,
                payload=event.model_dump_json(),
                traceparent=current_traceparent(),
                created_at=now,
            )
        )
        self._ring_after_commit(session)
        return event_id

    def add_raw(self, session: AsyncSession, message: OutboxMessage) -> None:
        """Add a prepared record (used for dead letters, which keep the original body)."""
        session.add(message)
        self._ring_after_commit(session)

    def _ring_after_commit(self, session: AsyncSession) -> None:
        info: dict[str, Any] = session.sync_session.info
        info[_PENDING] = True
        if self._wake is not None:
            info[_WAKE] = self._wake


@sa_event.listens_for(Session, "after_commit")
def _wake_relay(session: Session) -> None:
    if session.info.pop(_PENDING, False):
        wake = session.info.get(_WAKE)
        if wake is not None:
            wake()


@sa_event.listens_for(Session, "after_rollback")
def _forget_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)
