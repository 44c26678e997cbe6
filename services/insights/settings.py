"""Settings of the insights service (`ONEDOOR_*` variables)."""

from __future__ import annotations

from shared.settings import BatchWaitMs, ServiceSettings


class InsightsSettings(ServiceSettings):
    service_name: str = "insights"
    consumer_batch_wait_ms: BatchWaitMs = 500  # off a request's path (ServiceSettings)
    port: int = 8106
