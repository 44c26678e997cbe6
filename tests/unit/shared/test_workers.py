"""A periodic worker keeps ticking after a failed tick and reports the failure."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from shared.clock import ManualClock
from shared.settings import ServiceSettings
from shared.workers import PeriodicWorker, RunningWorker, WorkerContext, retry_delay


async def test_a_failed_tick_is_reported_and_the_worker_goes_on() -> None:
    ticks: list[int] = []

    async def tick(_context: WorkerContext) -> None:
        ticks.append(len(ticks))
        if len(ticks) == 1:
            raise RuntimeError("the partner system is down")

    worker = PeriodicWorker("flaky", tick, interval_s=lambda _settings: 0.01)
    context: Any = WorkerContext(ServiceSettings(), None, None, ManualClock())  # type: ignore[arg-type]
    running = RunningWorker(worker, context)
    running.start()
    await asyncio.sleep(0.005)
    assert running.last_error == "RuntimeError: the partner system is down"
    for _ in range(100):
        if len(ticks) >= 3:
            break
        await asyncio.sleep(0.01)
    await running.stop()
    assert len(ticks) >= 3
    assert running.last_error is None


def test_retry_delay_doubles_and_is_capped() -> None:
    webhooks = [retry_delay(n, base_s=2, cap_s=60) for n in range(1, 8)]
    assert webhooks == [timedelta(seconds=s) for s in (2, 4, 8, 16, 32, 60, 60)]
    mails = [retry_delay(n, base_s=5, cap_s=60) for n in range(1, 7)]
    assert mails == [timedelta(seconds=s) for s in (5, 10, 20, 40, 60, 60)]
