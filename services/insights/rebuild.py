"""`python -m services.insights rebuild`: recompute every projection from the topics.

The projections are derived from the events alone, so they can be thrown away and
built again: with the service stopped, `rebuild` empties the projection tables and
this consumer's inbox, and moves the consumer group's offsets back to the beginning of
every topic it reads; the next `serve` replays the whole event log into the empty
store and reaches the same figures. The topics must keep their events for this
(the production topics are created with unlimited retention, deploy/README.md).

Every other command is the platform's (shared/manage.py).
"""

from __future__ import annotations

import asyncio
import logging

from aiokafka import TopicPartition
from sqlalchemy import delete

from services.insights.handlers import handlers
from services.insights.models import InsightsTable
from shared.db import create_engine, session_factory
from shared.logging import configure_logging
from shared.manage import main as platform_main
from shared.messaging import broker
from shared.messaging.models import INBOX
from shared.service import ServiceDefinition
from shared.settings import ServiceSettings

log = logging.getLogger("insights.rebuild")


async def rebuild(settings: ServiceSettings) -> int:
    """Empty the projections and rewind the consumer; return the partitions rewound."""
    engine = create_engine(settings.resolved_database_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            for table in reversed(InsightsTable.metadata.sorted_tables):
                await session.execute(delete(table))
            await session.execute(delete(INBOX).where(INBOX.c.consumer == settings.consumer_group))
    finally:
        await engine.dispose()
    consumer = broker.consumer(settings, settings.consumer_group)
    await consumer.start()
    try:
        topics = [settings.physical_topic(topic) for topic in handlers.topics]
        await consumer.topics()
        partitions = [
            TopicPartition(topic, partition)
            for topic in topics
            for partition in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        consumer.assign(partitions)
        beginnings = await consumer.beginning_offsets(partitions)
        await consumer.commit({partition: offset for partition, offset in beginnings.items()})
    finally:
        await consumer.stop()
    log.warning("insights projections emptied; %d partitions rewound", len(partitions))
    return len(partitions)


def main(definition: ServiceDefinition, settings: ServiceSettings, argv: list[str]) -> int:
    if argv == ["rebuild"]:
        configure_logging(settings.log_level, settings.log_format)
        asyncio.run(rebuild(settings))
        return 0
    return platform_main(definition, settings, argv)
