"""The notifications consumer's CPU per event: a realistic stream of a request's life
(submitted, assigned, triaged, routed, engagements proposed, accepted and delivered,
comments, an SLA warning or breach now and then, closed), interleaved in time across
requests, applied by the platform's own consumer (EventConsumer.apply: the inbox, the
batch's savepoint, the handlers) in batches, to a store whose people read the requests'
clients and desks (some by e-mail) and follow their countries and region. Reporting only.

`python -m tests.bench.notifications_apply [--requests N] [--batch N] [--profile FILE]`
runs it on a fresh SQLite store (or `--url` a PostgreSQL database to use up); the first
half of the stream warms the store, the second half is measured. It also counts the SQL
statements per event.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from contracts.enums import ClientKind, SlaClock, Urgency
from contracts.events import (
    EngagementAccepted,
    EngagementDelivered,
    EngagementProposed,
    Event,
    RequestAssigned,
    RequestCommentAdded,
    RequestSlaAtRisk,
    RequestSlaBreached,
    RequestStatusChanged,
    RequestSubmitted,
)
from services.notifications.app import DEFINITION as NOTIFICATIONS
from services.notifications.domain import ALL_KINDS
from services.notifications.handlers import handlers
from services.notifications.models import Follow, Person, PersonAudience
from shared.db import create_engine
from shared.migrations import upgrade
from tests.bench.consumer_apply import records, report, warm_then_measure

HOUR = timedelta(hours=1)
PRODUCTS = ("ELECTORAL_ASSISTANCE", "RULE_OF_LAW", "MEDIATION_SUPPORT", "HUMAN_RIGHTS")
CLIENTS, DESKS = 60, 6
BEGIN = datetime.fromisoformat("2027-01-01T00:00:00+00:00")


def _country(number: int) -> str:
    return f"C{chr(65 + number % 20)}{chr(65 + number % 2)}"


def _request_events(rng: random.Random, number: int) -> list[tuple[datetime, Event]]:
    """One request's events, each with its time."""
    request_id = f"{number:08d}-1111-4000-8000-000000000000"
    client, desk = f"CLIENT_{rng.randrange(CLIENTS):02d}", f"DESK_{rng.randrange(DESKS)}"
    submitted = BEGIN + timedelta(minutes=rng.randrange(0, 60 * 24 * 60))
    officer = f"desk_officer:{desk}:amina"
    on: dict[str, Any] = {"request_id": request_id, "client_code": client, "desk_code": desk}
    events: list[tuple[datetime, Event]] = []

    def status(old: str, new: str, when: datetime) -> None:
        events.append(
            (
                when,
                RequestStatusChanged(
                    **on, from_status=old, to_status=new, actor=officer, changed_at=when
                ),
            )
        )

    def comment(index: int, when: datetime) -> None:
        role, author = rng.choice((("client", f"client:{client}:liaison"), ("desk", officer)))
        events.append(
            (
                when,
                RequestCommentAdded(
                    **on,
                    comment_id=f"{request_id[:8]}-c{index}",
                    author=author,
                    author_role=role,
                    added_at=when,
                ),
            )
        )

    events.append(
        (
            submitted,
            RequestSubmitted(
                **on,
                client_kind=ClientKind.peacekeeping_operation,
                country=_country(number),
                region="Africa",
                title=f"Support {number}",
                description="",
                products=list(PRODUCTS[:1]),
                urgency=Urgency.priority,
                submitted_by=f"client:{client}:liaison",
                submitted_at=submitted,
            ),
        )
    )
    assigned = submitted + HOUR / 2
    events.append(
        (assigned, RequestAssigned(**on, owner=officer, assigned_by=officer, assigned_at=assigned))
    )
    status("submitted", "triaged", submitted + HOUR)
    status("triaged", "routed", submitted + 2 * HOUR)
    routed = submitted + 2 * HOUR
    comment(0, routed + HOUR / 3)
    products = rng.sample(PRODUCTS, rng.choice((1, 1, 2)))
    ended = routed
    for index, product in enumerate(products):
        engagement: dict[str, Any] = {
            "engagement_id": f"{request_id[:8]}-e{index}",
            "request_id": request_id,
            "routing_id": f"{request_id[:8]}-r{index}",
            "product_code": product,
        }
        events.append((routed, EngagementProposed(**engagement, proposed_at=routed)))
        accepted = routed + HOUR * rng.randrange(1, 48)
        events.append(
            (accepted, EngagementAccepted(**engagement, accepted_by="system", accepted_at=accepted))
        )
        delivered = accepted + HOUR * rng.randrange(24, 240)
        events.append(
            (
                delivered,
                EngagementDelivered(
                    **engagement,
                    provider_unit=f"{product} unit",
                    client_code=client,
                    client_kind=ClientKind.peacekeeping_operation,
                    country=_country(number),
                    region="Africa",
                    desk_code=desk,
                    title=f"Support {number}",
                    deliverables=[],
                    delivered_by="provider",
                    delivered_at=delivered,
                ),
            )
        )
        ended = max(ended, delivered)
    status("routed", "in_progress", routed + HOUR)
    comment(1, routed + 30 * HOUR)
    if rng.random() < 0.2:
        sla: dict[str, Any] = {
            **on,
            "clock": SlaClock.triage,
            "urgency": Urgency.priority,
            "escalated_to": "hq",
        }
        warned = submitted + HOUR / 2
        events.append((warned, RequestSlaAtRisk(**sla, due_at=submitted + HOUR, warned_at=warned)))
        breached = submitted + HOUR * 3
        events.append(
            (breached, RequestSlaBreached(**sla, due_at=submitted + HOUR, breached_at=breached))
        )
    status("in_progress", "delivered", ended + HOUR)
    status("delivered", "closed", ended + 48 * HOUR)
    return events


def event_stream(requests: int, seed: int = 7) -> list[tuple[datetime, Event]]:
    """The events of `requests` requests, in the order of their times (as they arrive)."""
    rng = random.Random(seed)
    timed = [pair for number in range(requests) for pair in _request_events(rng, number)]
    return sorted(timed, key=lambda pair: pair[0])


async def seed_people(url: str) -> None:
    """Two people per client (one by e-mail), three officers per desk (one by e-mail),
    and ten HQ analysts following a country each and the region."""
    engine = create_engine(url)
    now = BEGIN
    people: list[dict[str, Any]] = []
    audiences: list[dict[str, Any]] = []
    follows: list[dict[str, Any]] = []

    def person(key: str, role: str, email: bool, of: list[str]) -> None:
        people.append(
            {
                "key": key,
                "role": role,
                "kinds": [kind.value for kind in ALL_KINDS],
                "email_enabled": email,
                "email_address": f"{len(people)}@example.org" if email else None,
                "language": "en",
                "read_through_seq": 0,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
        audiences.extend({"person_key": key, "audience": a} for a in [*of, f"person:{key}"])

    for number in range(CLIENTS):
        code = f"CLIENT_{number:02d}"
        for index in range(2):
            person(f"client:{code}:p{index}", "client", index == 0, [f"client:{code}"])
    for number in range(DESKS):
        desk = f"DESK_{number}"
        for name in ("amina", "bo", "chen"):
            of = [f"desk:{desk}", f"desk:{desk}:desk_officer:{desk}:{name}"]
            person(f"desk_officer:{desk}:{name}", "desk_officer", name == "amina", of)
    for number in range(10):
        key = f"hq_analyst:HQ:a{number}"
        person(key, "hq_analyst", number % 2 == 0, [])
        for kind, code in (("country", _country(number)), ("region", "Africa")):
            follows.append({"person_key": key, "kind": kind, "code": code, "created_at": now})
    async with engine.begin() as connection:
        await connection.execute(insert(Person), people)
        await connection.execute(insert(PersonAudience), audiences)
        await connection.execute(insert(Follow), follows)
    await engine.dispose()


async def _run(url: str, requests: int, batch: int, profile: bool) -> str:
    timed = event_stream(requests)
    engine = create_engine(url)
    await upgrade(engine, NOTIFICATIONS.migrations_dir)
    await engine.dispose()
    await seed_people(url)
    measured, profiled = await warm_then_measure(
        url, "notifications-bench", handlers, records(timed), batch, profile
    )
    report(measured, requests, len(timed))
    return profiled


async def _alone(url: str | None, requests: int, batch: int, profile: bool) -> str:
    if url is not None:
        return await _run(url, requests, batch, profile)
    with tempfile.TemporaryDirectory() as work:
        return await _run(
            f"sqlite+aiosqlite:///{Path(work) / 'notifications.db'}", requests, batch, profile
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--url", default=None, help="an empty database (default: SQLite)")
    parser.add_argument("--profile", type=Path, default=None)
    args = parser.parse_args()
    profiled = asyncio.run(_alone(args.url, args.requests, args.batch, args.profile is not None))
    if args.profile is not None:
        args.profile.write_text(profiled)


if __name__ == "__main__":
    main()
