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
from datetime import timedelta

from sqlalchemy.ext.asyncio import async_sessionmaker

from shared.clock import Clock
from shared.db import AsyncSession
from shared.messaging import Outbox
from shared.settings import ServiceSettings

log = logging.getLogger(__name__)


def retry_delay(attempts: int, base_s: float, cap_s: float) -> timedelta:
    """How long a worker waits after the n-th failed attempt (1-based) of a delivery it
    retries (a webhook, an e-mail): base * 2^(n-1), capped."""
    return timedelta(seconds=min(base_s * 2 ** max(attempts - 1, 0), cap_s))


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
