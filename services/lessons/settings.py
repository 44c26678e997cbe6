"""Settings of the lessons service (`ONEDOOR_*` variables)."""

from __future__ import annotations

from shared.settings import BatchWaitMs, ServiceSettings


class LessonsSettings(ServiceSettings):
    service_name: str = "lessons"
    consumer_batch_wait_ms: BatchWaitMs = 500  # off a request's path (ServiceSettings)
    port: int = 8103
