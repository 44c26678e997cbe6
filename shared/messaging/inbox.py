"""Pruning the inbox: the idempotency records of handled events do not grow forever.

An inbox entry is needed only while its event can still arrive again: a producer
re-publishes its retained outbox (`outbox_retention_hours`) to a new broker, so
entries are kept for `inbox_retention_hours`, which must be at least that long
(the default is twice the outbox's).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import delete
from sqlmodel import col

from shared.messaging.models import InboxEntry
from shared.workers import PeriodicWorker, WorkerContext

log = logging.getLogger(__name__)


async def prune_inbox(context: WorkerContext) -> int:
    cutoff = context.clock.now() - timedelta(hours=context.settings.inbox_retention_hours)
    async with context.sessions() as session, session.begin():
        result = await session.execute(
            delete(InboxEntry).where(col(InboxEntry.processed_at) < cutoff)
        )
    pruned = int(result.rowcount or 0)  # type: ignore[attr-defined]
    if pruned:
        log.info("pruned %d inbox entries older than %s", pruned, cutoff.isoformat())
    return pruned


INBOX_PRUNER = PeriodicWorker(
    "inbox-pruner", prune_inbox, lambda settings: settings.inbox_prune_interval_s
)
