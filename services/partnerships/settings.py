"""Settings of the partnerships service (`ONEDOOR_*` variables)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from pydantic import Field

from shared.settings import BatchWaitMs, ServiceSettings
from shared.workers import DeliveryPolicy


class PartnershipsSettings(ServiceSettings):
    service_name: str = "partnerships"
    consumer_batch_wait_ms: BatchWaitMs = 500  # off a request's path (ServiceSettings)
    port: int = 8104

    # The webhook dispatcher: how often it looks for due deliveries, how many it sends
    # at once, and how it backs off: base * 2^(attempt-1) seconds, capped, then dead.
    webhook_dispatch_interval_s: float = Field(default=1.0, gt=0)
    # Also run a dispatch right after a change that queued notifications commits, so a
    # partner hears of it at once rather than at the next tick.
    webhook_dispatch_on_commit: bool = True
    webhook_batch_size: int = Field(default=50, ge=1, le=500)
    webhook_timeout_s: float = Field(default=10.0, gt=0)
    webhook_backoff_base_s: float = Field(default=2.0, gt=0)
    webhook_backoff_cap_s: float = Field(default=900.0, gt=0)
    webhook_max_attempts: int = Field(default=12, ge=1)
    # A claimed delivery is hidden from other dispatchers this long; if the process dies
    # mid-send, the delivery is due again after it (at least once, never lost).
    webhook_lease_s: float = Field(default=120.0, gt=0)

    @property
    def webhook_delivery(self) -> DeliveryPolicy:
        return DeliveryPolicy(
            batch_size=self.webhook_batch_size,
            lease_s=self.webhook_lease_s,
            max_attempts=self.webhook_max_attempts,
            backoff_base_s=self.webhook_backoff_base_s,
            backoff_cap_s=self.webhook_backoff_cap_s,
        )

    # Webhooks may only reach public https addresses (services/partnerships/targets.py);
    # tests and labs with receivers on loopback or a private network turn this on.
    webhook_allow_private_targets: bool = False


def _settings(request: Request) -> PartnershipsSettings:
    settings: PartnershipsSettings = request.app.state.settings
    return settings


SettingsDep = Annotated[PartnershipsSettings, Depends(_settings)]
