"""The CPU per event of the consumers a request's intake wakes in products, lessons and
partnerships: a stream of requests submitted, triaged and routed (one or two products
each; now and then one withdrawn), interleaved in time, applied by the platform's own
consumer (EventConsumer.apply: the inbox, the batch's savepoint, the handlers) in
batches. Products opens (and auto-accepts, proposes or declines) an engagement per
routed product; lessons keeps the request and ranks published lessons for it (a corpus
of them seeded first); partnerships keeps what its tenancy needs. Reporting only.

`python -m tests.bench.intake_apply --service products|lessons|partnerships
[--requests N] [--batch N] [--url URL] [--profile FILE]` runs it on a fresh SQLite store
(or `--url` an empty PostgreSQL database to use up); the first half of the stream warms
the store, the second half is measured: CPU, wall time and SQL statements per event.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from contracts.enums import ClientKind, Urgency
from contracts.events import Event, RequestRouted, RequestStatusChanged, RequestSubmitted
from services.lessons.app import DEFINITION as LESSONS
from services.lessons.handlers import handlers as lessons_handlers
from services.partnerships.app import DEFINITION as PARTNERSHIPS
from services.partnerships.handlers import handlers as partnerships_handlers
from services.products.app import DEFINITION as PRODUCTS
from services.products.handlers import handlers as products_handlers
from services.products.seed import seed_catalog
from shared.clock import SystemClock
from shared.db import create_engine, session_factory
from shared.messaging import EventHandlers
from shared.messaging.outbox import Outbox
from shared.migrations import upgrade
from tests.bench.consumer_apply import records, report, warm_then_measure
from tests.bench.corpus import PLACES, THEMES, seed_corpus

HOUR = timedelta(hours=1)
CLIENTS, DESKS = 60, 6
CORPUS = 2_000  # published lessons (mostly) the suggestions rank
BEGIN = datetime.fromisoformat("2027-01-01T00:00:00+00:00")
SERVICES: dict[str, tuple[Path, EventHandlers]] = {
    "products": (PRODUCTS.migrations_dir, products_handlers),
    "lessons": (LESSONS.migrations_dir, lessons_handlers),
    "partnerships": (PARTNERSHIPS.migrations_dir, partnerships_handlers),
}


def _request_events(rng: random.Random, number: int) -> list[tuple[datetime, Event]]:
    """One request's intake events, each with its time."""
    request_id = f"{number:08d}-1111-4000-8000-000000000000"
    client, desk = f"CLIENT_{rng.randrange(CLIENTS):02d}", f"DESK_{rng.randrange(DESKS)}"
    submitted = BEGIN + timedelta(minutes=rng.randrange(0, 60 * 24 * 60))
    officer = f"desk_officer:{desk}:amina"
    products = rng.sample(list(THEMES), rng.choice((1, 1, 2)))
    words = [word for product in products for word in rng.sample(THEMES[product], 6)]
    country, region, _name, _kind = rng.choice(PLACES)
    place: dict[str, Any] = {
        "client_kind": ClientKind.peacekeeping_operation,
        "country": country,
        "region": region,
        "title": " ".join(words[:5]),
        "description": " ".join(words),
    }
    on: dict[str, Any] = {"request_id": request_id, "client_code": client, "desk_code": desk}
    events: list[tuple[datetime, Event]] = [
        (
            submitted,
            RequestSubmitted(
                **on,
                **place,
                products=products,
                urgency=Urgency.priority,
                submitted_by=f"client:{client}:liaison",
                submitted_at=submitted,
            ),
        )
    ]

    def status(old: str, new: str, when: datetime) -> None:
        changed = RequestStatusChanged(
            **on, from_status=old, to_status=new, actor=officer, changed_at=when
        )
        events.append((when, changed))

    status("submitted", "triaged", submitted + HOUR)
    routed = submitted + 2 * HOUR
    for index, product in enumerate(products):
        routing = RequestRouted(
            **on,
            **place,
            routing_id=f"{request_id[:8]}-2222-4000-8000-00000000000{index}",
            product_code=product,
            urgency=Urgency.priority,
            details={},
            routed_by=officer,
            routed_at=routed,
        )
        events.append((routed, routing))
    status("triaged", "routed", routed)
    if rng.random() < 0.05:
        status("routed", "withdrawn", routed + 5 * HOUR)
    else:
        status("routed", "in_progress", routed + 5 * HOUR)
    return events


def event_stream(requests: int, seed: int = 7) -> list[tuple[datetime, Event]]:
    """The events of `requests` requests, in the order of their times (as they arrive)."""
    rng = random.Random(seed)
    timed = [pair for number in range(requests) for pair in _request_events(rng, number)]
    return sorted(timed, key=lambda pair: pair[0])


async def _prepare(service: str, url: str) -> None:
    """Migrate the service's store and give it what its handlers read."""
    engine = create_engine(url)
    await upgrade(engine, SERVICES[service][0])
    if service == "products":
        async with session_factory(engine)() as session, session.begin():
            await seed_catalog(session, Outbox("bench").publisher(session), SystemClock())
    await engine.dispose()
    if service == "lessons":
        await seed_corpus(url, CORPUS)


async def _run(service: str, url: str, requests: int, batch: int, profile: bool) -> str:
    timed = event_stream(requests)
    await _prepare(service, url)
    handlers = SERVICES[service][1]
    mine = [pair for pair in timed if handlers.lookup(pair[1].type)]
    measured, profiled = await warm_then_measure(
        url, f"{service}-bench", handlers, records(mine), batch, profile
    )
    report(measured, requests, len(mine))
    return profiled


async def _alone(service: str, url: str | None, requests: int, batch: int, profile: bool) -> str:
    if url is not None:
        return await _run(service, url, requests, batch, profile)
    with tempfile.TemporaryDirectory() as work:
        database = f"sqlite+aiosqlite:///{Path(work) / f'{service}.db'}"
        return await _run(service, database, requests, batch, profile)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--service", choices=sorted(SERVICES), required=True)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--url", default=None, help="an empty database (default: SQLite)")
    parser.add_argument("--profile", type=Path, default=None)
    args = parser.parse_args()
    profiled = asyncio.run(
        _alone(args.service, args.url, args.requests, args.batch, args.profile is not None)
    )
    if args.profile is not None:
        args.profile.write_text(profiled)


if __name__ == "__main__":
    main()
