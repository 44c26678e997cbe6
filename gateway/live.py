"""Live events for GraphQL subscriptions.

Each gateway instance tails the topics subscriptions need with a consumer group
of its own (a fresh id per instance), starting at the end: every instance sees
every new event, and nothing is committed because a subscription only ever
wants what happens from now on. Events are fanned out in-process to bounded
per-subscriber queues; a subscriber that falls too far behind is ended with a
clear error rather than slowing everyone else down or growing without limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError
from pydantic import ValidationError

from contracts import Event, event_model
from gateway.metrics import LIVE_SUBSCRIBERS, LIVE_SUBSCRIPTIONS
from shared.messaging.broker import admin_client, consumer, ensure_topics
from shared.messaging.envelope import MalformedEvent, event_type, from_record
from shared.settings import PlatformSettings

log = logging.getLogger(__name__)

EventFilter = Callable[[Event], bool]


class SubscriptionOverflow(Exception):
    """The subscriber read events more slowly than they arrived and was dropped."""


@dataclass(eq=False)
class Subscriber:
    event_types: frozenset[str]
    accepts: EventFilter
    queue: asyncio.Queue[Event]
    overflowed: bool = False
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    def offer(self, event: Event) -> None:
        if event.type not in self.event_types or self.overflowed or not self.accepts(event):
            return
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.overflowed = True
        self.wake.set()

    async def events(self) -> AsyncIterator[Event]:
        while True:
            while not self.queue.empty():
                yield self.queue.get_nowait()
            if self.overflowed:
                raise SubscriptionOverflow("the subscription fell behind the event stream")
            self.wake.clear()
            await self.wake.wait()


class LiveEvents:
    def __init__(
        self,
        settings: PlatformSettings,
        topics: Sequence[str],
        *,
        queue_size: int = 1000,
        instance_id: str | None = None,
    ) -> None:
        self._settings = settings
        self._topics = [settings.physical_topic(topic) for topic in topics]
        self._queue_size = queue_size
        self.group_id = settings.physical_topic(f"onedoor.gateway.{instance_id or uuid.uuid4()}")
        self._subscribers: set[Subscriber] = set()
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None
        self.ready = asyncio.Event()

    async def start(self) -> None:
        admin = admin_client(self._settings)
        await admin.start()
        try:
            await ensure_topics(admin, self._settings, self._topics)
        finally:
            await admin.close()
        self._consumer = consumer(self._settings, self.group_id)
        await self._consumer.start()
        await self._consumer.topics()
        partitions = [
            TopicPartition(topic, partition)
            for topic in self._topics
            for partition in sorted(self._consumer.partitions_for_topic(topic) or ())
        ]
        # Own group per instance, so every instance gets every partition: assign them
        # directly (the embedded broker's group membership is unreliable anyway).
        self._consumer.assign(partitions)
        await self._consumer.seek_to_end(*partitions)
        for partition in partitions:
            await self._consumer.position(partition)
        self._task = asyncio.create_task(self._run(), name="gateway-live-events")
        self.ready.set()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._consumer is not None:
            await self._consumer.stop()

    @contextlib.asynccontextmanager
    async def subscribe(
        self, event_types: Sequence[type[Event]], accepts: EventFilter = lambda _event: True
    ) -> AsyncIterator[AsyncIterator[Event]]:
        """Events of the given types that pass `accepts`, from the moment of subscribing."""
        subscriber = Subscriber(
            event_types=frozenset(model.type for model in event_types),
            accepts=accepts,
            queue=asyncio.Queue(self._queue_size),
        )
        self._subscribers.add(subscriber)
        LIVE_SUBSCRIPTIONS.inc()
        LIVE_SUBSCRIBERS.inc()
        try:
            yield subscriber.events()
        finally:
            self._subscribers.discard(subscriber)
            LIVE_SUBSCRIBERS.dec()

    @property
    def healthy(self) -> bool:
        """Started, and the task that feeds the subscriptions still runs."""
        return self.ready.is_set() and self._task is not None and not self._task.done()

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    async def _run(self) -> None:
        assert self._consumer is not None
        while True:
            try:
                batches = await self._consumer.getmany(timeout_ms=1000, max_records=500)
            except KafkaError as error:
                log.warning("live events: fetch failed, retrying: %s", error)
                await asyncio.sleep(1.0)
                continue
            for records in batches.values():
                for record in records:
                    self._dispatch(record.headers, record.value)

    def _dispatch(self, headers: Sequence[tuple[str, bytes]] | None, value: bytes | None) -> None:
        # Decide from the type header before decoding: with nobody subscribed, or for a
        # type no contract defines, the body is never parsed.
        model = event_model(event_type(headers) or "")
        if model is None or not self._subscribers:
            return
        try:
            envelope = from_record(headers, value)
        except MalformedEvent:
            return  # the owning service's consumer dead-letters it; a live feed skips it
        try:
            event = model.model_validate(envelope.data)
        except ValidationError:
            log.warning(
                "live events: %s %s does not match its contract", envelope.type, envelope.id
            )
            return
        for subscriber in list(self._subscribers):
            subscriber.offer(event)
