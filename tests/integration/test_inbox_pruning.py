"""The inbox keeps an event's idempotency record for its retention, then forgets it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from services.products.app import DEFINITION as ANY_SCHEMA  # every schema has the inbox
from shared.clock import ManualClock
from shared.db import create_engine, session_factory
from shared.manage import migrate
from shared.messaging import InboxEntry, Outbox
from shared.messaging.inbox import prune_inbox
from shared.settings import ServiceSettings
from shared.testing.databases import Databases
from shared.workers import WorkerContext


async def test_the_inbox_forgets_events_older_than_its_retention(databases: Databases) -> None:
    settings = ServiceSettings(service_name="probe", database_url=await databases.new("probe"))
    await migrate(ANY_SCHEMA, settings)
    engine = create_engine(settings.resolved_database_url)
    sessions = session_factory(engine)
    clock = ManualClock()
    retention = timedelta(hours=settings.inbox_retention_hours)
    try:
        async with sessions() as session, session.begin():
            for event_id, age in (
                ("old", retention + timedelta(minutes=1)),
                ("recent", retention - timedelta(minutes=1)),
            ):
                session.add(
                    InboxEntry(
                        consumer="probe",
                        event_id=event_id,
                        event_type="t",
                        outcome="applied",
                        processed_at=clock.now() - age,
                    )
                )
        context = WorkerContext(settings, sessions, Outbox("/onedoor/probe"), clock)
        assert await prune_inbox(context) == 1
        async with sessions() as session, session.begin():
            left = (await session.scalars(select(InboxEntry.event_id))).all()
        assert left == ["recent"]
    finally:
        await engine.dispose()


def test_the_inbox_may_not_forget_before_the_outbox_does() -> None:
    with pytest.raises(ValidationError, match="INBOX_RETENTION"):
        ServiceSettings(outbox_retention_hours=48, inbox_retention_hours=24)
