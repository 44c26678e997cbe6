"""Background work a service runs beside its HTTP routes and event consumer.

A periodic worker is one `tick` function run every `interval_s` seconds (the SLA
scheduler, a webhook dispatcher, ...). The tick gets the service's sessions,
outbox and clock, does one bounded unit of work in its own transaction, and
returns. Tests call the tick directly with a manual clock, so time-based rules
are tested without sleeping; the loop around it only adds the waiting, the
logging of a failed tick, and a health flag for `/readyz`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol, TypeVar

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col

from shared.clock import Clock
from shared.db import AsyncSession
from shared.messaging import Outbox
from shared.settings import ServiceSettings

log = logging.getLogger(__name__)


def retry_delay(attempts: int, base_s: float, cap_s: float) -> timedelta:
    """How long a worker waits after the n-th failed attempt (1-based) of a delivery it
    retries (a webhook, an e-mail): base * 2^(n-1), capped."""
    return timedelta(seconds=min(base_s * 2 ** max(attempts - 1, 0), cap_s))


# A delivery queue: rows a worker sends to the outside world and retries (the mail
# sender's e-mails, the webhook dispatcher's deliveries). Each row is written in the
# transaction of the change it reports, claimed by one tick under a lease (so a second
# worker, or a tick after a crash mid-send, skips it until the lease ends), sent outside
# any transaction, then settled: delivered, due again after a back-off, or dead.
PENDING, DEAD = "pending", "dead"


class Deliverable(Protocol):
    """The columns a delivery queue's rows share."""

    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime


DueQuery = TypeVar("DueQuery", bound=Select[*tuple[Any, ...]])


@dataclass(frozen=True)
class DeliveryPolicy:
    batch_size: int
    lease_s: float
    max_attempts: int
    backoff_base_s: float
    backoff_cap_s: float


def due_deliveries(
    query: DueQuery, table: type[Deliverable], policy: DeliveryPolicy, now: datetime
) -> DueQuery:
    """`query` (selecting `table`'s rows, with what the sender joins to them) narrowed to
    the batch that is due, oldest first, locked and skipping rows another worker holds."""
    return (
        query.where(col(table.status) == PENDING, col(table.next_attempt_at) <= now)
        .order_by(col(table.next_attempt_at), col(table.created_at))
        .limit(policy.batch_size)
        .with_for_update(skip_locked=True, of=table)
    )


def lease(row: Deliverable, policy: DeliveryPolicy, now: datetime) -> None:
    """Hide a claimed row from other ticks until it is settled or the lease ends."""
    row.next_attempt_at = now + timedelta(seconds=policy.lease_s)


Settled = Literal["delivered", "retrying", "dead"]


def settle(row: Deliverable, error: str | None, policy: DeliveryPolicy, now: datetime) -> Settled:
    """Record one attempt's outcome on a pending row. Delivered: the caller sets its own
    delivered status and time. Failed: due again after a back-off, or dead after the
    last attempt."""
    row.attempts += 1
    row.last_error = error
    if error is None:
        return "delivered"
    if row.attempts >= policy.max_attempts:
        row.status = DEAD
        return "dead"
    row.next_attempt_at = now + retry_delay(
        row.attempts, policy.backoff_base_s, policy.backoff_cap_s
    )
    return "retrying"


def revive(row: Deliverable, now: datetime) -> None:
    """Give a dead row a fresh round of attempts, due now (an admin's retry, once the
    other side is mended). Its last error stays until the next attempt."""
    row.status, row.attempts, row.next_attempt_at = PENDING, 0, now


@dataclass(frozen=True)
class WorkerContext:
    settings: ServiceSettings
    sessions: async_sessionmaker[AsyncSession]
    outbox: Outbox
    clock: Clock


Tick = Callable[[WorkerContext], Awaitable[object]]


@dataclass(frozen=True)
class PeriodicWorker:
    name: str
    tick: Tick
    # Read from the settings, so deployments (and tests) choose the pace.
    interval_s: Callable[[ServiceSettings], float]


class RunningWorker:
    def __init__(self, worker: PeriodicWorker, context: WorkerContext) -> None:
        self.worker = worker
        self.context = context
        self.last_error: str | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name=f"worker:{self.worker.name}")

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(self._task, timeout=5)

    async def _loop(self) -> None:
        interval = self.worker.interval_s(self.context.settings)
        while True:
            try:
                await self.worker.tick(self.context)
                self.last_error = None
            except Exception as error:  # one failed tick must not end the worker
                self.last_error = f"{type(error).__name__}: {error}"
                log.exception("worker %s: tick failed", self.worker.name)
            await asyncio.sleep(interval)
