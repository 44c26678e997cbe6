"""A periodic worker keeps ticking after a failed tick and reports the failure; a delivery
queue's rows back off, then die, after failed attempts."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from contracts.enums import DeliveryStatus
from services.notifications.models import MAIL_DEAD, MAIL_PENDING
from shared.clock import ManualClock
from shared.settings import ServiceSettings
from shared.workers import (
    DEAD,
    PENDING,
    DeliveryPolicy,
    PeriodicWorker,
    RunningWorker,
    WorkerContext,
    lease,
    retry_delay,
    settle,
)

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


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


@dataclass
class Row:
    status: str = PENDING
    attempts: int = 0
    next_attempt_at: datetime = NOW
    last_error: str | None = None
    created_at: datetime = NOW


POLICY = DeliveryPolicy(
    batch_size=10, lease_s=120, max_attempts=3, backoff_base_s=5, backoff_cap_s=60
)


def test_a_failed_delivery_backs_off_then_is_dead_after_its_last_attempt() -> None:
    row = Row()
    lease(row, POLICY, NOW)
    assert row.next_attempt_at == NOW + timedelta(seconds=120)
    assert settle(row, "HTTP 503", POLICY, NOW) == "retrying"
    assert (row.attempts, row.status, row.last_error) == (1, PENDING, "HTTP 503")
    assert row.next_attempt_at == NOW + timedelta(seconds=5)
    assert settle(row, "HTTP 503", POLICY, NOW) == "retrying"
    assert row.next_attempt_at == NOW + timedelta(seconds=10)
    assert settle(row, "refused", POLICY, NOW) == "dead"
    assert (row.attempts, row.status, row.last_error) == (3, DEAD, "refused")


def test_a_delivered_row_forgets_its_last_error_and_keeps_its_status_for_the_caller() -> None:
    row = Row(attempts=1, last_error="timeout")
    assert settle(row, None, POLICY, NOW) == "delivered"
    assert (row.attempts, row.status, row.last_error) == (2, PENDING, None)


def test_both_delivery_queues_use_the_shared_statuses() -> None:
    assert (MAIL_PENDING, MAIL_DEAD) == (PENDING, DEAD)
    assert (DeliveryStatus.pending.value, DeliveryStatus.dead.value) == (PENDING, DEAD)
