"""The insights consumer's CPU per event: a realistic stream of the other services' events
(requests submitted, triaged, routed, engaged, delivered, closed; declines and unmet
demand, joint assessments, SLA breaches), interleaved in time across requests as they
would arrive, applied by the platform's own consumer (EventConsumer.apply: the inbox, the
batch's savepoint, the handlers) in batches of a given size. Reporting only.

`python -m tests.bench.insights_apply [--requests N] [--batch N] [--url URL] [--profile
FILE]` runs it alone on a fresh SQLite store (or `--url` an empty PostgreSQL database to
use up; the first half of the stream warms the store, the second half is measured); the insights bench (insights.py) runs it on its 100 000
requests, as a store in service has them.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from contracts.enums import ClientKind, DeclineReason, SlaClock, Urgency
from contracts.events import (
    AssessmentOpened,
    AssessmentStatusChanged,
    EngagementAccepted,
    EngagementDeclined,
    EngagementDelivered,
    EngagementProposed,
    EngagementStatusChanged,
    Event,
    RequestSlaBreached,
    RequestStatusChanged,
    RequestSubmitted,
    UnmetDemandRecorded,
)
from services.insights.app import DEFINITION as INSIGHTS
from services.insights.handlers import handlers
from shared.db import create_engine
from shared.migrations import upgrade
from tests.bench.consumer_apply import records, report, warm_then_measure

HOUR = timedelta(hours=1)
PRODUCTS = ("ELECTORAL_ASSISTANCE", "RULE_OF_LAW", "MEDIATION_SUPPORT", "HUMAN_RIGHTS")
PARTNERS = ("AU", "WB", "EU")
BEGIN = datetime.fromisoformat("2027-01-01T00:00:00+00:00")


def _request_events(rng: random.Random, number: int) -> list[Event]:
    """One request's events, each at its time."""
    request_id = f"{number:08d}-1111-4000-8000-000000000000"
    client, country = (
        f"CLIENT_{rng.randrange(60):02d}",
        f"C{chr(65 + rng.randrange(20))}{chr(65 + rng.randrange(2))}",
    )
    desk = f"DESK_{rng.randrange(6)}"
    submitted = BEGIN + timedelta(minutes=rng.randrange(0, 60 * 24 * 60))
    products = rng.sample(PRODUCTS, rng.choice((1, 1, 2, 2, 3)))
    officer = f"desk_officer:{desk}:amina"

    def status(old: str, new: str, when: datetime) -> RequestStatusChanged:
        return RequestStatusChanged(
            request_id=request_id,
            client_code=client,
            desk_code=desk,
            from_status=old,
            to_status=new,
            actor=officer,
            changed_at=when,
        )

    events: list[Event] = [
        RequestSubmitted(
            request_id=request_id,
            client_code=client,
            client_kind=ClientKind.peacekeeping_operation,
            country=country,
            region="Africa",
            desk_code=desk,
            title="Support",
            description="",
            products=products,
            urgency=Urgency.priority,
            submitted_by=f"client:{client}:liaison",
            submitted_at=submitted,
        ),
        status("submitted", "triaged", submitted + HOUR),
        status("triaged", "routed", submitted + 2 * HOUR),
    ]
    routed = submitted + 2 * HOUR
    for index, product in enumerate(products):
        engagement: dict[str, Any] = {
            "engagement_id": f"{request_id[:8]}-e{index}",
            "request_id": request_id,
            "routing_id": f"{request_id[:8]}-r{index}",
            "product_code": product,
        }
        events.append(EngagementProposed(**engagement, proposed_at=routed))
        answered = routed + HOUR * rng.randrange(1, 48)
        if rng.random() < 0.2:
            events.append(
                EngagementDeclined(
                    **engagement,
                    reason_code=DeclineReason.capacity,
                    reason="no one free",
                    declined_by=f"provider:{product}:ola",
                    declined_at=answered,
                )
            )
            events.append(
                UnmetDemandRecorded(
                    request_id=request_id,
                    product_code=product,
                    client_code=client,
                    client_kind=ClientKind.peacekeeping_operation,
                    country=country,
                    region="Africa",
                    desk_code=desk,
                    reason_code=DeclineReason.capacity,
                    note="",
                    recorded_by=officer,
                    recorded_at=answered + HOUR,
                )
            )
            continue
        events.append(EngagementAccepted(**engagement, accepted_by="system", accepted_at=answered))
        at = answered
        for old, new in (("accepted", "planning"), ("planning", "deployed")):
            at += HOUR * rng.randrange(24, 240)
            events.append(
                EngagementStatusChanged(
                    **engagement, from_status=old, to_status=new, actor="provider", changed_at=at
                )
            )
        events.append(
            EngagementDelivered(
                **engagement,
                provider_unit=f"{product} unit",
                client_code=client,
                client_kind=ClientKind.peacekeeping_operation,
                country=country,
                region="Africa",
                desk_code=desk,
                title="Support",
                deliverables=[],
                delivered_by="provider",
                delivered_at=at + HOUR * rng.randrange(24, 240),
            )
        )
    events.append(status("routed", "in_progress", routed + HOUR))
    if rng.random() < 1 / 7:
        assessment_id = f"{request_id[:8]}-a"
        opened = routed + HOUR * rng.randrange(2, 100)
        events.append(
            AssessmentOpened(
                assessment_id=assessment_id,
                request_id=request_id,
                desk_code=desk,
                partners=rng.sample(PARTNERS, rng.choice((1, 2))),
                scope="joint",
                opened_by=officer,
                opened_at=opened,
            )
        )
        for old, new, after in (("proposed", "active", 24), ("active", "concluded", 400)):
            events.append(
                AssessmentStatusChanged(
                    assessment_id=assessment_id,
                    request_id=request_id,
                    from_status=old,
                    to_status=new,
                    actor=officer,
                    changed_at=opened + HOUR * after,
                )
            )
    if rng.random() < 0.2:
        events.append(
            RequestSlaBreached(
                request_id=request_id,
                client_code=client,
                desk_code=desk,
                clock=SlaClock.triage,
                urgency=Urgency.priority,
                due_at=submitted + HOUR,
                breached_at=submitted + 3 * HOUR,
                escalated_to="hq",
            )
        )
    ended = max(_moment(event) for event in events)
    events.append(status("in_progress", "delivered", ended + HOUR))
    events.append(status("delivered", "closed", ended + 48 * HOUR))
    return events


def _moment(event: Event) -> datetime:
    for name in (
        "submitted_at",
        "changed_at",
        "proposed_at",
        "accepted_at",
        "declined_at",
        "delivered_at",
        "recorded_at",
        "opened_at",
        "breached_at",
    ):
        value = getattr(event, name, None)
        if isinstance(value, datetime):
            return value
    raise ValueError(f"no time on {event.type}")


def event_stream(requests: int, seed: int = 7) -> list[Event]:
    """The events of `requests` requests, in the order of their times (as they arrive)."""
    rng = random.Random(seed)
    events = [event for number in range(requests) for event in _request_events(rng, number)]
    return sorted(events, key=_moment)


async def _run(url: str, requests: int, batch: int, profile: bool) -> str:
    """Apply the stream to the empty store at `url`; the profile of the measured half
    (if asked)."""
    stream = event_stream(requests)
    made = records([(_moment(event), event) for event in stream])
    engine = create_engine(url)
    await upgrade(engine, INSIGHTS.migrations_dir)
    await engine.dispose()
    measured, profiled = await warm_then_measure(
        url, "insights-bench", handlers, made, batch, profile
    )
    report(measured, requests, len(stream))
    return profiled


async def _alone(url: str | None, requests: int, batch: int, profile: bool) -> str:
    if url is not None:
        return await _run(url, requests, batch, profile)
    with tempfile.TemporaryDirectory() as work:
        sqlite = f"sqlite+aiosqlite:///{Path(work) / 'insights.db'}"
        return await _run(sqlite, requests, batch, profile)


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
