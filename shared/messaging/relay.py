"""The outbox relay: publishes committed outbox rows in order and marks them sent.

Rows are claimed in `seq` order in batches. With `hold_claims` (PostgreSQL) the
claim is `FOR UPDATE SKIP LOCKED`, held until the broker acknowledged, so several
replicas can share the work. Without it (SQLite: one relay per database file) the
rows are read in a read-only transaction (which does not queue for the write lock),
published, and then marked sent in a short write transaction, so the database's single
write lock is never held while waiting for the broker. Either
way nothing is marked sent before the broker acknowledged it (acks=all); a
failure leaves the rows unsent and the relay retries with exponential backoff.
A batch is read with one query, sent as one Kafka batch per partition and marked
sent with one UPDATE.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from aiokafka import AIOKafkaProducer
from opentelemetry.trace import SpanKind
from sqlalchemy import Select, bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col

from shared.clock import Clock
from shared.db import READ_ONLY, AsyncSession
from shared.messaging.broker import OutgoingRecord, send_in_batches
from shared.messaging.deadletter import dead_letter_record, is_dead_letter
from shared.messaging.envelope import to_headers
from shared.messaging.models import OUTBOX, OutboxMessage
from shared.messaging.tracing import batch_span

log = logging.getLogger(__name__)

MAX_BACKOFF_S = 5.0
PRUNE_EVERY_S = 600.0


class RelayedRow(NamedTuple):
    """What the relay reads of an outbox row: what it publishes, and `seq` to mark it
    sent. A plain tuple, not SQLAlchemy's `Row`: a `Row` attribute costs a few
    microseconds each, and the relay reads a dozen per event."""

    seq: int
    event_id: str
    topic: str
    key: str
    event_type: str
    source: str
    subject: str | None
    occurred_at: datetime
    correlation_id: str
    causation_id: str | None
    payload: str
    extra_headers: dict[str, str] | None
    traceparent: str | None


RELAYED = [OUTBOX.c[name] for name in RelayedRow._fields]
# Built once: each batch binds its rows' `seq`s as one list parameter.
_MARK_SENT = (
    update(OUTBOX)
    .where(OUTBOX.c.seq.in_(bindparam("seqs", expanding=True)))
    .values(sent_at=bindparam("now"))
)


def _claim_query(batch_size: int, *, hold_claims: bool) -> Select[Any]:
    """The oldest unsent rows, built once per relay: a statement built for each batch
    cost its construction and its cache key every time."""
    query = (
        select(*RELAYED).where(OUTBOX.c.sent_at.is_(None)).order_by(OUTBOX.c.seq).limit(batch_size)
    )
    return query.with_for_update(skip_locked=True) if hold_claims else query


class OutboxRelay:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        producer: AIOKafkaProducer,
        clock: Clock,
        *,
        batch_size: int,
        poll_interval_s: float,
        retention: timedelta,
        topic_name: Callable[[str], str] = str,
        hold_claims: bool = True,
    ) -> None:
        self._sessions = sessions
        self._producer = producer
        self._clock = clock
        self._batch_size = batch_size
        self._poll_interval_s = poll_interval_s
        self._retention = retention
        self._topic_name = topic_name
        self._hold_claims = hold_claims
        self._claim_query = _claim_query(batch_size, hold_claims=hold_claims)
        self._doorbell = asyncio.Event()
        self.published = 0
        self.healthy = True

    def wake(self) -> None:
        """Called after a commit that wrote outbox rows; safe from any task of this loop."""
        self._doorbell.set()

    async def run(self) -> None:
        backoff = 0.0
        last_prune = 0.0
        loop = asyncio.get_running_loop()
        while True:
            try:
                # Cleared before the reads, not after the wait: a commit rung before
                # them is taken by them (no extra read of an emptied outbox), and one
                # rung during them rings again for the next pass.
                self._doorbell.clear()
                # A partial batch took every row committed before its query, and a
                # commit since then rang the doorbell: only a full one can have left
                # rows behind, so only then is the outbox read again at once.
                while await self.publish_batch() == self._batch_size:
                    pass
                self.healthy, backoff = True, 0.0
                if loop.time() - last_prune > PRUNE_EVERY_S:
                    await self.prune()
                    last_prune = loop.time()
            except asyncio.CancelledError:
                raise
            except Exception:
                self.healthy = False
                backoff = min(max(backoff * 2, 0.1), MAX_BACKOFF_S)
                log.exception("outbox relay failed; retrying in %.1fs", backoff)
                await asyncio.sleep(backoff)
                continue
            await self._wait_for_work()

    async def _wait_for_work(self) -> None:
        try:
            await asyncio.wait_for(self._doorbell.wait(), self._poll_interval_s)
        except TimeoutError:
            pass

    async def publish_batch(self) -> int:
        """Publish one batch of unsent rows; return how many were sent."""
        if self._hold_claims:
            async with self._sessions() as session, session.begin():
                rows = await self._claim(session)
                await self._publish(rows)
                await self._mark_sent(session, rows)
        else:
            async with self._sessions(execution_options=READ_ONLY) as reader, reader.begin():
                rows = await self._claim(reader)
            await self._publish(rows)
            async with self._sessions() as session, session.begin():
                await self._mark_sent(session, rows)
        self.published += len(rows)
        return len(rows)

    async def _claim(self, session: AsyncSession) -> list[RelayedRow]:
        # Plain rows, not ORM objects: the relay only reads them and marks them sent.
        return [RelayedRow._make(row) for row in await session.execute(self._claim_query)]

    async def _publish(self, rows: list[RelayedRow]) -> None:
        if not rows:
            return
        # Each record carries its writer's traceparent (see shared.messaging.tracing).
        traceparents = [row.traceparent for row in rows]
        with batch_span("publish outbox batch", SpanKind.PRODUCER, traceparents, len(rows)):
            await send_in_batches(self._producer, [self._record(row) for row in rows])

    async def _mark_sent(self, session: AsyncSession, rows: list[RelayedRow]) -> None:
        if rows:
            await session.execute(
                _MARK_SENT, {"seqs": [row.seq for row in rows], "now": self._clock.now()}
            )

    def _record(self, row: RelayedRow) -> OutgoingRecord:
        topic = self._topic_name(row.topic)
        if is_dead_letter(row):
            key, value, headers = dead_letter_record(row)
            return OutgoingRecord(topic, key, value, headers)
        headers = to_headers(
            event_id=row.event_id,
            event_type=row.event_type,
            source=row.source,
            time=row.occurred_at,
            correlation_id=row.correlation_id,
            subject=row.subject,
            causation_id=row.causation_id,
            traceparent=row.traceparent,
            extra=row.extra_headers,
        )
        return OutgoingRecord(topic, row.key.encode(), row.payload.encode(), headers)

    async def republish_recent(self, window: timedelta, max_rows: int) -> int:
        """Mark the rows sent within `window` (the newest `max_rows` of them) unsent
        again, for a broker that lost them; unsent rows go out anyway."""
        cutoff = self._clock.now() - window
        recent = (
            select(col(OutboxMessage.seq))
            .where(col(OutboxMessage.sent_at).is_not(None))
            .where(col(OutboxMessage.sent_at) >= cutoff)
            .order_by(col(OutboxMessage.seq).desc())
            .limit(max_rows)
        )
        async with self._sessions() as session, session.begin():
            result = await session.execute(
                update(OutboxMessage)
                .where(col(OutboxMessage.seq).in_(recent.scalar_subquery()))
                .values(sent_at=None)
            )
        count = int(result.rowcount or 0)  # type: ignore[attr-defined]
        if count:
            self.wake()
        return count

    async def prune(self) -> int:
        cutoff = self._clock.now() - self._retention
        async with self._sessions() as session, session.begin():
            result = await session.execute(
                delete(OutboxMessage)
                .where(col(OutboxMessage.sent_at).is_not(None))
                .where(col(OutboxMessage.created_at) < cutoff)
            )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def backlog(self) -> tuple[int, float]:
        """How many rows are unpublished, and the oldest one's age in seconds."""
        async with self._sessions(execution_options=READ_ONLY) as session, session.begin():
            unsent = await session.scalar(
                select(func.count()).where(col(OutboxMessage.sent_at).is_(None))
            )
        return int(unsent or 0), await self.oldest_unsent_age_s()

    async def oldest_unsent_age_s(self) -> float:
        """Age of the oldest unpublished row: the relay's lag, exposed as a metric."""
        async with self._sessions(execution_options=READ_ONLY) as session, session.begin():
            oldest: datetime | None = await session.scalar(
                select(func.min(col(OutboxMessage.created_at))).where(
                    col(OutboxMessage.sent_at).is_(None)
                )
            )
        if oldest is None:
            return 0.0
        if oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=self._clock.now().tzinfo)
        return max((self._clock.now() - oldest).total_seconds(), 0.0)
