"""Settings of the insights service (`ONEDOOR_*` variables)."""

from __future__ import annotations

from pydantic import Field

from shared.settings import ServiceSettings


class InsightsSettings(ServiceSettings):
    service_name: str = "insights"
    port: int = 8106
    # Rows an export streams per chunk (one database fetch, one write to the socket).
    export_chunk_rows: int = Field(default=500, ge=1, le=10_000)
