"""Settings of the lessons service (`ONEDOOR_*` variables)."""

from __future__ import annotations

from shared.settings import ServiceSettings


class LessonsSettings(ServiceSettings):
    service_name: str = "lessons"
    port: int = 8103
