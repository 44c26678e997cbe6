"""What one bench request costs the desks process, broker-less: the stack bench's submit
(the gateway's `submitRequest` as the desks route gets it: MINUSMA, one product round
robin over the five, the same look-alike title and description, so overlap detection
flags the newest look-alikes) through the desks app's routes in-process (httpx on ASGI,
no lifespan, as tests/bench/desks_growth.py), then the provider's answer the stack
sends back for each (`EngagementAccepted`, products auto-accepting) applied by the
platform's consumer (EventConsumer.apply: the inbox, the batch's savepoint, the
handler) in batches. Reporting only.

`python -m tests.bench.desks_request [--requests N] [--batch N] [--url URL]` runs it on
a fresh SQLite store (or `--url` an empty PostgreSQL database, migrated and seeded
here); the first half of each phase warms, the second is measured: this process's CPU
(on SQLite all of the database's work too), wall time and SQL statements per submit
and per answer. Neither the relay nor the consumer's broker fetches are in it.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from contracts.events import EngagementAccepted, Event
from services.desks.app import DEFINITION as DESKS
from services.desks.handlers import handlers
from services.desks.models import Routing
from shared.auth import Role
from shared.testing.databases import Databases
from shared.testing.tokens import bearer
from tests.bench.consumer_apply import apply_cpu, records
from tests.bench.desks_growth import Desks, add_catalog, desks_app
from tests.bench.door import CLIENT, PRODUCTS, request_input


async def submits(desks: Desks, numbers: range) -> dict[str, float]:
    """The bench's submits, one after another: CPU, wall and statements per submit."""
    headers = bearer(desks.settings, Role.client, client=CLIENT, subject="minusma-focal")
    bodies = [_body(number) for number in numbers]
    counted = desks.statements.count
    started_cpu, started = time.process_time(), time.perf_counter()
    for body in bodies:
        response = await desks.http.post("/requests", json=body, headers=headers)
        if response.status_code != 201:
            raise RuntimeError(f"submit answered {response.status_code}: {response.text}")
    cpu_s, wall_s = time.process_time() - started_cpu, time.perf_counter() - started
    return {
        "submits": len(bodies),
        "cpu_ms_per_submit": round(cpu_s * 1000 / len(bodies), 3),
        "wall_ms_per_submit": round(wall_s * 1000 / len(bodies), 3),
        "statements_per_submit": round((desks.statements.count - counted) / len(bodies), 2),
    }


def _body(number: int) -> dict[str, Any]:
    # The gateway sends the contract's enum values (lower case) to the desks route.
    made = request_input(PRODUCTS[number % len(PRODUCTS)], number)
    return {**made, "urgency": made["urgency"].lower()}


async def answers(desks: Desks, url: str) -> list[tuple[datetime, Event]]:
    """The products service's auto-acceptance of every routing, as it publishes it."""
    async with desks.app.state.sessions() as session:
        routings = (await session.scalars(select(Routing).order_by(col(Routing.routed_at)))).all()
    now = datetime.now(UTC)
    return [
        (
            now,
            EngagementAccepted(
                engagement_id=str(uuid.uuid4()),
                request_id=routing.request_id,
                routing_id=routing.id,
                product_code=routing.product_code,
                accepted_by="products:auto",
                accepted_at=now,
            ),
        )
        for routing in routings
    ]


async def run(url: str, var_dir: Path, requests: int, batch: int) -> None:
    desks = desks_app(url, var_dir)
    try:
        await add_catalog(desks.engine)
        half = requests // 2
        await submits(desks, range(half))
        print("submit:", await submits(desks, range(half, requests)))
        stream = records(await answers(desks, url))
    finally:
        await desks.http.aclose()
        await desks.engine.dispose()
    await apply_cpu(url, "desks-bench", handlers, stream[:half], batch)
    print(
        "EngagementAccepted:", await apply_cpu(url, "desks-bench", handlers, stream[half:], batch)
    )


async def _alone(url: str | None, requests: int, batch: int) -> None:
    with tempfile.TemporaryDirectory() as work:
        migrated = url or await Databases("sqlite", Path(work), None).migrated(DESKS)
        await run(migrated, Path(work) / "var", requests, batch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--url", default=None, help="a migrated, seeded desks database")
    args = parser.parse_args()
    asyncio.run(_alone(args.url, args.requests, args.batch))


if __name__ == "__main__":
    main()
