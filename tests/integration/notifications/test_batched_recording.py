"""A batch of events recorded together tells the same people the same things as the
events applied one by one; what a rolled-back transaction or savepoint saw or recorded
leaves nothing behind (recording.py, known.py). The platform's own consumer on a real
database, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlmodel import col

from contracts.enums import FollowKind, NotificationKind
from services.notifications.app import DEFINITION
from services.notifications.domain import Draft, Term
from services.notifications.handlers import handlers
from services.notifications.known import RequestFacts, request_facts, seen
from services.notifications.models import KnownRequest, MailMessage, Notification, Person
from services.notifications.recording import record
from services.notifications.store import follow, followers_of, remember_terms
from shared.db import create_engine, session_factory
from shared.messaging.outbox import Outbox
from shared.testing.databases import Databases
from tests.bench.consumer_apply import apply_only_consumer, records
from tests.bench.notifications_apply import event_stream, seed_people

NOW = datetime(2027, 1, 1, tzinfo=UTC)


async def _told(url: str, batch: int) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Apply a stream of 30 requests' events in batches of `batch`; what was told (in
    the order recorded) and the e-mails (by the position of their notification)."""
    await seed_people(url)
    consumer, engine = apply_only_consumer(url, "notifications-test", handlers)
    sessions = session_factory(engine)
    stream = records(event_stream(30))
    try:
        for offset in range(0, len(stream), batch):
            await consumer.apply(stream[offset : offset + batch])
        async with sessions() as session:
            told = (
                await session.scalars(select(Notification).order_by(col(Notification.seq)))
            ).all()
            mails = (await session.scalars(select(MailMessage))).all()
    finally:
        await engine.dispose()
    position = {notification.id: index for index, notification in enumerate(told)}
    notifications = [
        (n.audience, n.kind, n.request_id, n.subject_id, n.title, n.params, n.link) for n in told
    ]
    sent = sorted(
        (position[m.notification_id], m.person_key, m.to_address, m.language, m.status)
        for m in mails
    )
    return notifications, sent


async def test_a_batch_tells_what_its_events_one_by_one_tell(databases: Databases) -> None:
    one_by_one = await _told(await databases.migrated(DEFINITION), batch=1)
    batched = await _told(await databases.migrated(DEFINITION), batch=20)
    assert batched == one_by_one
    notifications, mails = batched
    assert len(notifications) > 100 and len(mails) > 50  # the stream tells many people


async def test_what_a_rolled_back_transaction_saw_or_recorded_is_gone(
    databases: Databases,
) -> None:
    engine = create_engine(await databases.migrated(DEFINITION))
    sessions = session_factory(engine)
    outbox = Outbox("notifications-test")
    facts = RequestFacts("r-1", "MINUSMA", "AFRICA_II", "Seen, then undone", "MLI", "Africa")
    draft = Draft("client:MINUSMA", NotificationKind.public_comment, "A title", "/requests/r-1")
    try:
        async with sessions() as session:
            await session.begin()
            seen(session, facts)  # as if read, in a transaction that rolls back
            record(session, outbox.publisher(session), [draft], NOW)
            await session.rollback()
        async with sessions() as session, session.begin():
            nested = await session.begin_nested()
            record(session, outbox.publisher(session), [draft], NOW)
            await nested.rollback()
            record(session, outbox.publisher(session), [draft, draft], NOW)
            row = {**vars(facts), "title": "As committed", "owner": None}
            await session.execute(insert(KnownRequest), row)
        async with sessions() as session:
            told = (await session.scalars(select(Notification))).all()
            known = await request_facts(session, "r-1")
    finally:
        await engine.dispose()
    assert len(told) == 2  # the outer transaction's two, not the savepoint's one
    assert known is not None and known.title == "As committed"


async def test_a_follow_made_after_a_batch_counts_from_the_next_one(
    databases: Databases,
) -> None:
    url = await databases.migrated(DEFINITION)
    await seed_people(url)
    engine = create_engine(url)
    sessions = session_factory(engine)
    africa: list[Term] = [(FollowKind.region, "Africa")]
    try:
        async with sessions() as batch:
            async with batch.begin():
                before = await followers_of(batch, africa)
            async with sessions() as route, route.begin():  # another replica's route
                person = await route.get(Person, "client:CLIENT_00:p0")
                assert person is not None
                await remember_terms(route, africa)  # as a request in Africa would
                await follow(route, person, FollowKind.region, "Africa", NOW)
            async with batch.begin():  # the same session's next batch
                after = await followers_of(batch, africa)
    finally:
        await engine.dispose()
    assert len(before) == 10  # the seeded HQ analysts
    assert [f.key for f in after] == sorted([*(f.key for f in before), "client:CLIENT_00:p0"])
