"""Deleting a test's topics from the session's broker once the test is done."""

from __future__ import annotations

from shared.messaging.broker import admin_client
from shared.processes import EmbeddedBroker
from shared.settings import PlatformSettings


async def delete_topics_of(broker: EmbeddedBroker, namespace: str) -> list[str]:
    """Delete every topic under `namespace.` (what the test's services created); return
    their names. A broker that died with the test has nothing left to delete."""
    if broker.process.poll() is not None:
        return []
    admin = admin_client(PlatformSettings(kafka_bootstrap_servers=broker.bootstrap_servers))
    await admin.start()
    try:
        topics = [topic for topic in await admin.list_topics() if topic.startswith(namespace + ".")]
        if topics:
            await admin.delete_topics(topics)
        return topics
    finally:
        await admin.close()
