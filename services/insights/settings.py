"""Settings of the insights service (`ONEDOOR_*` variables)."""

from __future__ import annotations

from shared.settings import ServiceSettings


class InsightsSettings(ServiceSettings):
    service_name: str = "insights"
    port: int = 8106
