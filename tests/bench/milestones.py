"""When each request passed each step, read from the stack's own events.

Polling every request's status would add hundreds of reads a second to the very
services being measured. Instead this observer reads the events the services
publish anyway. A record's timestamp is set by the relay of the publishing
service as it sends the record, just after that service committed the change,
so the observer's own fetch delay does not count; both it and the submit time are
wall-clock milliseconds on this one machine.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from contracts.events import EngagementAccepted, RequestRouted, RequestStatusChanged
from tests.bench.stack import BenchStack

IN_PROGRESS = "in_progress"


class Milestones:
    def __init__(self, stack: BenchStack) -> None:
        # Routed and status-changed travel on the requests topic, accepted on engagements.
        self._topics = [
            stack.physical_topic(RequestRouted.topic),
            stack.physical_topic(EngagementAccepted.topic),
        ]
        # No group: this observer must not take part in, or disturb, any service's group.
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=stack.bootstrap_servers,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            # The services' idle wait, not a short one: the steps are read from the
            # records' own timestamps, so this fetch's delay does not count, while each
            # of its empty fetches costs the broker CPU the bench charges to the stack.
            fetch_max_wait_ms=500,
        )
        self._task: asyncio.Task[None] | None = None
        # Request id → record timestamp (ms) of the first event marking the step.
        self.routed: dict[str, int] = {}
        self.engagement_accepted: dict[str, int] = {}
        self.in_progress: dict[str, int] = {}
        # Distinct EngagementAccepted event ids per request: more than one is a
        # duplicated effect even if the databases hold one engagement.
        self.acceptance_event_ids: defaultdict[str, set[str]] = defaultdict(set)

    async def start(self) -> None:
        await self._consumer.start()
        await self._consumer.topics()
        self._consumer.assign(
            [
                TopicPartition(topic, partition)
                for topic in self._topics
                for partition in sorted(self._consumer.partitions_for_topic(topic) or ())
            ]
        )
        self._task = asyncio.create_task(self._follow(), name="bench-milestones")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._consumer.stop()

    async def _follow(self) -> None:
        while True:
            batches = await self._consumer.getmany(timeout_ms=200, max_records=2000)
            for records in batches.values():
                for record in records:
                    self._observe(record)

    def _observe(self, record: ConsumerRecord[bytes, bytes]) -> None:
        headers = {name: value.decode() for name, value in record.headers}
        event_type = headers.get("ce_type")
        if event_type not in (
            RequestRouted.type,
            EngagementAccepted.type,
            RequestStatusChanged.type,
        ):
            return
        data = json.loads(record.value or b"{}")
        request_id = data["request_id"]
        if event_type == RequestRouted.type:
            self.routed.setdefault(request_id, record.timestamp)
        elif event_type == EngagementAccepted.type:
            self.engagement_accepted.setdefault(request_id, record.timestamp)
            self.acceptance_event_ids[request_id].add(headers.get("ce_id", ""))
        elif data["to_status"] == IN_PROGRESS:
            self.in_progress.setdefault(request_id, record.timestamp)
