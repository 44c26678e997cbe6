"""A service's messaging at run time: topics, relay, consumer and the broker watch.

Start-up order matters:
1. create the topics explicitly;
2. compare the broker's cluster id with the one this database last saw: a new
   broker lost everything the old one held, so re-publish the retained outbox
   (the consumers' inboxes discard what they already applied);
3. start the relay, then the consumer, then the watch.

The watch treats a replaced broker as fatal: producers of the embedded broker
keep getting acks for records nobody can read after a restart, so limping on
would lose data silently. `fatal` is set and the process owner exits, so the
supervisor restarts the service against the new broker.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy.ext.asyncio import async_sessionmaker

from contracts import TOPICS
from shared.clock import Clock
from shared.db import AsyncSession, is_sqlite
from shared.messaging import broker
from shared.messaging.consumer import EventConsumer, EventHandlers
from shared.messaging.models import PlatformState
from shared.messaging.outbox import Outbox
from shared.messaging.relay import OutboxRelay
from shared.settings import ServiceSettings

log = logging.getLogger(__name__)

CLUSTER_ID_KEY = "broker.cluster_id"
STOP_TIMEOUT_S = 5.0


class MessagingRuntime:
    def __init__(
        self,
        settings: ServiceSettings,
        sessions: async_sessionmaker[AsyncSession],
        outbox: Outbox,
        handlers: EventHandlers,
        clock: Clock,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.outbox = outbox
        self.handlers = handlers
        self.clock = clock
        self.fatal = asyncio.Event()
        self.fatal_reason = ""
        self.cluster_id = ""
        self.broker_reachable = False
        self.republished = 0
        self._admin: AIOKafkaAdminClient | None = None
        self._producer: AIOKafkaProducer | None = None
        self.relay: OutboxRelay | None = None
        self.consumer: EventConsumer | None = None
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        settings = self.settings
        self._admin = broker.admin_client(settings)
        await self._admin.start()
        topics = [*TOPICS, settings.dead_letter_topic]
        await broker.ensure_topics(
            self._admin, settings, [settings.physical_topic(t) for t in topics]
        )
        self.cluster_id = await broker.cluster_id(self._admin)
        self.broker_reachable = True

        self._producer = broker.producer(settings)
        await self._producer.start()
        self.relay = OutboxRelay(
            self.sessions,
            self._producer,
            self.clock,
            batch_size=settings.outbox_batch_size,
            poll_interval_s=settings.outbox_poll_interval_s,
            retention=timedelta(hours=settings.outbox_retention_hours),
            topic_name=settings.physical_topic,
            hold_claims=not is_sqlite(settings.resolved_database_url),
        )
        self.outbox.on_commit(self.relay.wake)
        if await self._broker_is_new():
            started = time.monotonic()
            self.republished = await self.relay.republish_recent(
                timedelta(seconds=settings.outbox_republish_window_s),
                settings.outbox_republish_max_rows,
            )
            log.warning(
                "new broker %s: re-publishing %d events sent in the last %.0fs (marked in %.2fs)",
                self.cluster_id,
                self.republished,
                settings.outbox_republish_window_s,
                time.monotonic() - started,
            )
        self._spawn("outbox-relay", self.relay.run())

        if self.handlers:
            self.consumer = EventConsumer(
                broker.consumer(
                    settings, settings.consumer_group, batch_wait_ms=settings.consumer_batch_wait_ms
                ),
                group=settings.consumer_group,
                mode=settings.kafka_consumer_mode,
                handlers=self.handlers,
                topics=[settings.physical_topic(topic) for topic in self.handlers.topics],
                sessions=self.sessions,
                outbox=self.outbox,
                clock=self.clock,
                dead_letter_topic=settings.dead_letter_topic,
                max_attempts=settings.consumer_max_attempts,
                retry_backoff_s=settings.consumer_retry_backoff_s,
                batch_size=settings.consumer_batch_size,
                fetch_waits=broker.fetch_waits(settings),
            )
            await self.consumer.start()
            self._spawn("event-consumer", self.consumer.run())
        self._spawn("broker-watch", self._watch_broker())
        freeze_start_up_heap()

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            # Bounded: a task stuck in a driver call must not hang the shutdown.
            _done, stuck = await asyncio.wait(self._tasks, timeout=STOP_TIMEOUT_S)
            for task in stuck:
                log.error(
                    "%s did not stop within %ss: %s",
                    task.get_name(),
                    STOP_TIMEOUT_S,
                    task.get_stack(),
                )
        self._tasks.clear()
        for client in (self.consumer, self._producer, self._admin):
            if client is not None:
                try:
                    await asyncio.wait_for(_stop(client), STOP_TIMEOUT_S)
                except Exception:
                    log.warning("could not stop %s cleanly", type(client).__name__, exc_info=True)

    @property
    def ready(self) -> bool:
        relay_ok = self.relay is not None and self.relay.healthy
        consumer_ok = self.consumer is None or self.consumer.healthy
        return self.broker_reachable and relay_ok and consumer_ok and not self.fatal.is_set()

    def status(self) -> dict[str, Any]:
        return {
            "broker_reachable": self.broker_reachable,
            "cluster_id": self.cluster_id,
            "relay_healthy": bool(self.relay and self.relay.healthy),
            "consumer_healthy": self.consumer.healthy if self.consumer else None,
            "unhandled_records": dict(self.consumer.unhandled) if self.consumer else {},
            "fatal": self.fatal_reason or None,
        }

    async def _broker_is_new(self) -> bool:
        """Remember this broker's id; True if the database last saw a different one."""
        async with self.sessions() as session, session.begin():
            state = await session.get(PlatformState, CLUSTER_ID_KEY)
            if state is None:
                session.add(PlatformState(key=CLUSTER_ID_KEY, value=self.cluster_id))
                return False
            if state.value == self.cluster_id:
                return False
            state.value = self.cluster_id
            return True

    async def _watch_broker(self) -> None:
        assert self._admin is not None
        while True:
            await asyncio.sleep(self.settings.broker_watch_interval_s)
            try:
                current = await broker.cluster_id(self._admin)
            except Exception as error:
                if self.broker_reachable:
                    log.error("broker unreachable: %s", error)
                self.broker_reachable = False
                continue
            self.broker_reachable = True
            if current != self.cluster_id:
                self._die(f"broker replaced (cluster id {self.cluster_id} -> {current})")
                return

    def _spawn(self, name: str, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work, name=name)
        task.add_done_callback(self._on_task_done)
        self._tasks.append(task)

    def _on_task_done(self, task: asyncio.Task[None]) -> None:
        if task.cancelled():
            return
        error = task.exception()
        self._die(f"{task.get_name()} stopped: {error!r}" if error else f"{task.get_name()} ended")

    def _die(self, reason: str) -> None:
        if not self.fatal.is_set():
            log.critical("messaging is dead, the service must restart: %s", reason)
            self.fatal_reason = reason
            self.fatal.set()


_frozen = False


def freeze_start_up_heap() -> None:
    """Move what start-up left alive (modules, classes, compiled statements, schemas:
    ~160 000 objects) out of the garbage collector's sight, once per process.

    Every event allocates some containers, so the collector runs all the time while
    events flow, and each full collection walked the whole start-up heap again: 13-20 µs
    of an event's ~105 µs in the pipeline bench. A frozen object is never freed, so the
    garbage start-up made is collected first; what is frozen lives as long as the
    process anyway."""
    global _frozen
    if _frozen:
        return
    _frozen = True
    gc.collect()
    gc.freeze()


async def _stop(client: Any) -> None:
    if isinstance(client, AIOKafkaAdminClient):
        await client.close()
    else:
        await client.stop()
