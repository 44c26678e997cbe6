"""Consuming events: typed handlers, an idempotent inbox, retries, a dead-letter topic.

A service registers one handler per event type:

    handlers = EventHandlers()

    @handlers.on(RequestRouted)
    async def on_request_routed(event: RequestRouted, context: EventContext) -> None: ...

The consumer applies what one fetch returned (up to `consumer_batch_size`
records, each partition's in order) in one transaction, each event checked
against the inbox with one query and its "already handled" mark written with one
INSERT in that same transaction, so an effect and its mark commit together. A
failing handler is retried with backoff; after the last attempt the event goes
to the service's dead-letter topic (through the outbox, so even that is not
lost) and the consumer goes on. Offsets are committed after the database commit,
at most once a second while records flow: a crash in between only redelivers
events the inbox then skips.

While records flow the consumer asks the broker to hold its fetches only briefly
(`FetchWaits.busy_ms`), after a second without any for long (`idle_ms`): the
embedded broker answers a fetch only after part of its wait, even one that found
records, so a short wait is what keeps a hop fast, and a long one what keeps an
idle stack cheap. A batching consumer (`consumer_batch_wait_ms`, the services off a
request's path) instead keeps one wait, and the broker gathers its events for all of it.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from opentelemetry.trace import SpanKind
from pydantic import ValidationError
from sqlalchemy import String, bindparam, func, insert, literal_column, select, true, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import async_sessionmaker

from contracts import Event
from contracts.events import event_model
from shared.clock import Clock
from shared.db import AsyncSession
from shared.messaging.broker import FetchWaits, set_fetch_wait
from shared.messaging.deadletter import dead_letter_row
from shared.messaging.envelope import Envelope, MalformedEvent, event_type, from_record
from shared.messaging.models import INBOX
from shared.messaging.outbox import Outbox, Publisher
from shared.messaging.tracing import TraceRuns, batch_span
from shared.settings import ConsumerMode
from shared.telemetry import span_from

log = logging.getLogger(__name__)

E = TypeVar("E", bound=Event)
MAX_INFRA_BACKOFF_S = 10.0
# A fetch loop this long without a record means idle: the long fetch wait again.
IDLE_AFTER_MS = 1000
# Applied offsets are committed at most this often while records flow (`_commit_if_due`).
COMMIT_EVERY_S = 1.0
PROCESS_ATTRIBUTES = {"messaging.system": "kafka", "messaging.operation": "process"}


@dataclass
class EventContext(Publisher):
    """What a handler gets besides the event: its unit of work, and a `Publisher` whose
    events carry the handled event as their cause."""

    session: AsyncSession
    envelope: Envelope
    outbox: Outbox
    clock: Clock

    def publish(self, event: Event) -> None:
        self.outbox.add(self.session, event, cause=self.envelope)


Handler = Callable[[Any, EventContext], Awaitable[None]]


class EventHandlers:
    """The registry of a service's handlers, one per event type."""

    def __init__(self) -> None:
        self._by_type: dict[str, tuple[type[Event], Handler]] = {}

    def on(self, model: type[E]) -> Callable[[Callable[[E, EventContext], Awaitable[None]]], Any]:
        def register(handler: Callable[[E, EventContext], Awaitable[None]]) -> Any:
            if model.type in self._by_type:
                raise ValueError(f"two handlers for {model.type}")
            self._by_type[model.type] = (model, handler)
            return handler

        return register

    def lookup(self, event_type: str) -> tuple[type[Event], Handler] | None:
        return self._by_type.get(event_type)

    def registered(self, event_type: str) -> tuple[type[Event], Handler]:
        return self._by_type[event_type]

    @property
    def topics(self) -> list[str]:
        return sorted({model.topic for model, _ in self._by_type.values()})

    def __bool__(self) -> bool:
        return bool(self._by_type)


class PoisonEvent(Exception):
    """An event that no retry can fix (unreadable or invalid): dead-letter it at once."""


class EventConsumer:
    def __init__(
        self,
        consumer: AIOKafkaConsumer,
        *,
        group: str,
        mode: ConsumerMode,
        handlers: EventHandlers,
        topics: list[str],
        sessions: async_sessionmaker[AsyncSession],
        outbox: Outbox,
        clock: Clock,
        dead_letter_topic: str,
        max_attempts: int,
        retry_backoff_s: float,
        batch_size: int,
        fetch_waits: FetchWaits | None = None,
    ) -> None:
        self._consumer = consumer
        self._group = group
        self._mode = mode
        self._handlers = handlers
        self._topics = topics
        self._sessions = sessions
        self._outbox = outbox
        self._clock = clock
        self._dead_letter_topic = dead_letter_topic
        self._max_attempts = max_attempts
        self._retry_backoff_s = retry_backoff_s
        self._batch_size = batch_size
        self._fetch_waits = fetch_waits
        self._busy = False  # the consumer was built with the idle wait
        # Next offset per partition, applied but not committed yet (`_commit_if_due`).
        self._uncommitted: dict[TopicPartition, int] = {}
        self._committed_at = 0.0
        self.applied = 0
        self.dead_lettered = 0
        # Records skipped because no handler here takes their type, per type.
        self.unhandled: Counter[str] = Counter()
        self.healthy = True

    async def start(self) -> None:
        await self._consumer.start()
        topics = self._topics
        if self._mode == "group":
            self._consumer.subscribe(topics)
            return
        # Assigned mode: take every partition ourselves and keep offsets under the
        # group id; the embedded broker's group membership cannot be relied on.
        await self._consumer.topics()
        partitions = [
            TopicPartition(topic, partition)
            for topic in topics
            for partition in sorted(self._consumer.partitions_for_topic(topic) or ())
        ]
        missing = [topic for topic in topics if not self._consumer.partitions_for_topic(topic)]
        if missing:
            raise RuntimeError(f"topics have no partitions: {', '.join(missing)}")
        self._consumer.assign(partitions)

    async def stop(self) -> None:
        if self._uncommitted:
            try:
                await self._commit_uncommitted()
            except Exception:
                # The inbox skips what a restart redelivers; the stop goes on.
                log.warning("consumer %s: offsets not committed at stop", self._group)
        await self._consumer.stop()

    async def lag(self) -> dict[str, int]:
        """Records not yet applied, per topic: the end of each partition as last fetched
        minus this consumer's position (a metric; partitions not fetched yet count 0)."""
        behind: dict[str, int] = {}
        for partition in self._consumer.assignment():
            end = self._consumer.highwater(partition)
            position = await self._consumer.position(partition) if end is not None else 0
            gap = max((end or 0) - position, 0)
            behind[partition.topic] = behind.get(partition.topic, 0) + gap
        return behind

    async def run(self) -> None:
        backoff = 0.0
        while True:
            batches = await self._consumer.getmany(
                timeout_ms=IDLE_AFTER_MS, max_records=self._batch_size
            )
            self._pace(busy=bool(batches))
            records = [record for partition in batches.values() for record in partition]
            offsets = {partition: fetched[-1].offset + 1 for partition, fetched in batches.items()}
            while True:
                try:
                    if records:
                        await self.apply(records)
                        self._uncommitted.update(offsets)
                        records = []  # applied: a failing commit does not apply it again
                    await self._commit_if_due(idle=not batches)
                    self.healthy, backoff = True, 0.0
                    break
                except asyncio.CancelledError:
                    raise
                except Exception:
                    # The database or broker failed, not one event: nothing of the
                    # batch committed, so retry it whole until the part recovers.
                    self.healthy = False
                    backoff = min(max(backoff * 2, 0.1), MAX_INFRA_BACKOFF_S)
                    log.exception("consumer %s: batch failed; retry in %.1fs", self._group, backoff)
                    await asyncio.sleep(backoff)

    async def _commit_if_due(self, *, idle: bool) -> None:
        """Commit the offsets of the batches applied since the last commit, at most once
        per `COMMIT_EVERY_S` while records flow, and at once when a fetch came back empty.

        Offsets only say where a restarted consumer starts reading: the inbox is what
        makes an event apply once, so committing later redelivers at most the last
        second's events after a crash, which the inbox then skips. Committed after every
        batch, they were one broker request per batch (5.7 per bench request at 25 req/s
        over the stack's consumers), and each one held up the next batch by a round trip."""
        if not self._uncommitted:
            return
        now = asyncio.get_running_loop().time()
        if not idle and now - self._committed_at < COMMIT_EVERY_S:
            return
        await self._commit_uncommitted()
        self._committed_at = now

    async def _commit_uncommitted(self) -> None:
        # Only partitions still assigned: a group rebalance may have moved one away
        # (its new owner starts from the last commit, and the inbox skips the rest).
        assigned = self._consumer.assignment()
        offsets = {tp: offset for tp, offset in self._uncommitted.items() if tp in assigned}
        if offsets:
            await self._consumer.commit(offsets)
        self._uncommitted = {}

    def _pace(self, *, busy: bool) -> None:
        """Switch between the busy and the idle fetch wait. Called right after
        `getmany`, before the fetcher sends its next request, so that one has it."""
        if self._fetch_waits is None or busy == self._busy:
            return
        self._busy = busy
        waits = self._fetch_waits
        set_fetch_wait(self._consumer, waits.busy_ms if busy else waits.idle_ms)

    async def apply(self, records: Sequence[ConsumerRecord[bytes, bytes]]) -> None:
        """Apply one fetched batch (each partition's records in their order) in one
        transaction, its inbox rows written with one statement at the end.

        The common case first: every event of the batch in one transaction. If
        anything fails, that transaction is rolled back and the batch is applied again
        in a new one with a savepoint per event, so retries and the dead letter touch
        only the failing event.
        """
        batch = [(record, _read(record)) for record in records if self._handled_here(record)]
        if not batch:
            return  # nothing here for this service; the caller still commits the offsets
        traceparents = [env.traceparent for _r, env in batch if isinstance(env, Envelope)]
        with batch_span("process batch", SpanKind.CONSUMER, traceparents, len(batch)):
            if not await self._apply_together(batch):
                await self._apply_isolated(batch)

    async def _apply_together(
        self, batch: Sequence[tuple[ConsumerRecord[bytes, bytes], Read]]
    ) -> bool:
        """The whole batch in one transaction, each event once in its writer's trace;
        False (nothing committed, counters as before) if any part of it failed.

        No savepoint around the batch: before its events the transaction has only read
        the inbox, so rolling it all back loses nothing, and a batch that succeeds (the
        common case) spares the SAVEPOINT and RELEASE statements."""
        counters = (self.applied, self.dead_lettered)
        traces = TraceRuns()
        try:
            async with self._sessions() as session, session.begin():
                inbox = _InboxRows(
                    self._group, self._clock.now(), await self._already_handled(session, batch)
                )
                for record, envelope in batch:
                    await self._apply_one(session, record, envelope, inbox, traces)
                traces.leave()
                await inbox.write(session)
            return True
        except Exception:
            self.applied, self.dead_lettered = counters
            return False
        finally:
            traces.leave()

    async def _apply_isolated(
        self, batch: Sequence[tuple[ConsumerRecord[bytes, bytes], Read]]
    ) -> None:
        """The batch again, in a new transaction (the inbox read again too: what the
        failed one would have changed is not there), each event in its own savepoint
        and span, with retries and a dead letter."""
        async with self._sessions() as session, session.begin():
            inbox = _InboxRows(
                self._group, self._clock.now(), await self._already_handled(session, batch)
            )
            for record, envelope in batch:
                await self._apply_one(session, record, envelope, inbox, None)
            await inbox.write(session)

    async def _already_handled(
        self, session: AsyncSession, batch: Sequence[tuple[ConsumerRecord[bytes, bytes], Read]]
    ) -> dict[str, str]:
        """The inbox's outcome for each event of the batch it already holds."""
        ids = {envelope.id for _record, envelope in batch if isinstance(envelope, Envelope)}
        return await handled_outcomes(session, self._group, list(ids))

    async def _apply_one(
        self,
        session: AsyncSession,
        record: ConsumerRecord[bytes, bytes],
        envelope: Read,
        inbox: _InboxRows,
        traces: TraceRuns | None,
    ) -> None:
        """Apply one event: with the batch's `traces`, once, in its writer's trace,
        letting a failure abort the whole batch; without (isolated), in its own span
        and savepoint, with retries and a dead letter."""
        if isinstance(envelope, MalformedEvent):
            self._dead_letter(session, record, None, f"malformed event: {envelope}", attempts=0)
            return
        if not inbox.first_time(envelope.id):
            return  # already applied
        model, handler = self._handlers.registered(envelope.type)
        if traces is None:
            with span_from(
                f"process {envelope.type}",
                envelope.traceparent,
                SpanKind.CONSUMER,
                PROCESS_ATTRIBUTES,
            ):
                failure, attempts = await self._attempt(session, envelope, model, handler)
        else:
            traces.enter(envelope.traceparent)
            await handler(self._validated(envelope, model), self._context(session, envelope))
            failure, attempts = None, 1
        if failure is None:
            inbox.record(envelope, "applied", None)
            self.applied += 1
        else:
            inbox.record(envelope, "dead_lettered", failure)
            self._dead_letter(session, record, envelope, failure, attempts=attempts)

    async def _attempt(
        self, session: AsyncSession, envelope: Envelope, model: type[Event], handler: Handler
    ) -> tuple[str | None, int]:
        """Run the handler until it succeeds or attempts run out; return the last error
        (None on success) and the number of attempts made."""
        context = self._context(session, envelope)
        last_error = ""
        for attempt in range(1, self._max_attempts + 1):
            try:
                async with session.begin_nested():
                    await handler(self._validated(envelope, model), context)
                return None, attempt
            except PoisonEvent as poison:
                return str(poison), attempt
            except Exception as error:
                last_error = "".join(traceback.format_exception_only(error)).strip()
                log.warning(
                    "consumer %s: %s %s failed (attempt %d/%d): %s",
                    self._group,
                    envelope.type,
                    envelope.id,
                    attempt,
                    self._max_attempts,
                    last_error,
                )
                if attempt < self._max_attempts:
                    await asyncio.sleep(self._retry_backoff_s * 2 ** (attempt - 1))
        return last_error, self._max_attempts

    def _handled_here(self, record: ConsumerRecord[bytes, bytes]) -> bool:
        """False for a record of a type no handler here takes (counted, then skipped,
        its body never parsed); a record without a type is malformed, ours to
        dead-letter."""
        record_type = event_type(record.headers)
        if record_type is None or self._handlers.lookup(record_type):
            return True
        self._count_unhandled(record_type)
        return False

    def _count_unhandled(self, event_type: str) -> None:
        """Topics carry several types, not all for this service: count, never drop
        silently. A type no contract defines is worth a warning (once per type)."""
        self.unhandled[event_type] += 1
        if self.unhandled[event_type] == 1:
            known = event_model(event_type) is not None
            log.log(
                logging.INFO if known else logging.WARNING,
                "consumer %s: skipping %s records (%s)",
                self._group,
                event_type,
                "handled elsewhere" if known else "a type no contract defines",
            )

    @staticmethod
    def _validated(envelope: Envelope, model: type[Event]) -> Event:
        try:
            return model.model_validate(envelope.data)
        except ValidationError as invalid:
            raise PoisonEvent(f"invalid {envelope.type}: {invalid}") from invalid

    def _context(self, session: AsyncSession, envelope: Envelope) -> EventContext:
        return EventContext(session, envelope, self._outbox, self._clock)

    def _dead_letter(
        self,
        session: AsyncSession,
        record: ConsumerRecord[bytes, bytes],
        envelope: Envelope | None,
        error: str,
        *,
        attempts: int,
    ) -> None:
        log.error("consumer %s: dead-lettering %s: %s", self._group, record.topic, error)
        row = dead_letter_row(
            record,
            envelope,
            error=error,
            consumer=self._group,
            attempts=attempts,
            dead_letter_topic=self._dead_letter_topic,
            now=self._clock.now(),
        )
        self._outbox.add_raw(session, row)
        self.dead_lettered += 1


Read = Envelope | MalformedEvent
# Built once: each batch only binds its consumer and event ids (one list parameter).
_HANDLED_IN_LIST = select(INBOX.c.event_id, INBOX.c.outcome).where(
    INBOX.c.consumer == bindparam("consumer"),
    INBOX.c.event_id.in_(bindparam("ids", expanding=True)),
)
# PostgreSQL plans "event_id IN (500 ids)" on an inbox it has not analysed yet
# (autoanalyze lags by about a minute, and a young inbox grows fast) as a scan of
# the group's rows with the ids as a filter: it guesses the group holds 0.5 % of
# them, and every row is read, 105 ms a batch at 20 000 rows. A plain join of the
# ids keeps that guess. Here each id is its own primary-key lookup (the lateral
# subquery, fenced by OFFSET 0 so it is not flattened back into a join), which
# costs the same with statistics or without: under 2 ms a batch at 20 000 rows.
_WANTED = (
    func.unnest(bindparam("ids", type_=postgresql.ARRAY(String)))
    .table_valued("event_id")
    .render_derived(name="wanted")
)
_ONE_LOOKUP = (
    select(INBOX.c.event_id, INBOX.c.outcome)
    .where(INBOX.c.consumer == bindparam("consumer"), INBOX.c.event_id == _WANTED.c.event_id)
    .offset(literal_column("0"))
    .lateral("handled")
)
_HANDLED_ON_POSTGRES = select(_ONE_LOOKUP.c.event_id, _ONE_LOOKUP.c.outcome).select_from(
    _WANTED.join(_ONE_LOOKUP, true())
)


async def handled_outcomes(
    session: AsyncSession, consumer: str, event_ids: list[str]
) -> dict[str, str]:
    """The inbox's outcome for each of these events that the consumer group has handled."""
    if not event_ids:
        return {}
    on_postgres = session.get_bind().dialect.name == "postgresql"
    statement = _HANDLED_ON_POSTGRES if on_postgres else _HANDLED_IN_LIST
    found = await session.execute(statement, {"consumer": consumer, "ids": event_ids})
    return {event_id: outcome for event_id, outcome in found}


_INSERT_INBOX = insert(INBOX)


def _read(record: ConsumerRecord[bytes, bytes]) -> Read:
    try:
        return from_record(record.headers, record.value)
    except MalformedEvent as error:
        return error


class _InboxRows:
    """The inbox rows of one batch, written together: one INSERT for the new ones,
    an UPDATE for a dead letter an operator replayed (its row exists already)."""

    def __init__(self, consumer: str, now: datetime, handled: dict[str, str]) -> None:
        self._consumer = consumer
        self._now = now
        # Only applied events count as seen: a replayed dead letter is handled again.
        self._seen = {event_id for event_id, outcome in handled.items() if outcome == "applied"}
        self._dead_before = set(handled) - self._seen
        self._new: list[dict[str, Any]] = []
        self._replayed: list[dict[str, Any]] = []

    def first_time(self, event_id: str) -> bool:
        """True once per event id not applied before (a redelivery in the same batch too)."""
        if event_id in self._seen:
            return False
        self._seen.add(event_id)
        return True

    def record(self, envelope: Envelope, outcome: str, error: str | None) -> None:
        row = {
            "consumer": self._consumer,
            "event_id": envelope.id,
            "event_type": envelope.type,
            "outcome": outcome,
            "error": error,
            "processed_at": self._now,
        }
        (self._replayed if envelope.id in self._dead_before else self._new).append(row)

    async def write(self, session: AsyncSession) -> None:
        if self._new:
            await session.execute(_INSERT_INBOX, self._new)
        for row in self._replayed:
            await session.execute(
                update(INBOX)
                .where(INBOX.c.consumer == row["consumer"], INBOX.c.event_id == row["event_id"])
                .values(row)
            )
