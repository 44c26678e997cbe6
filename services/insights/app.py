"""The insights service: views computed from the event log (who does what where)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.insights.handlers import handlers
from services.insights.models import InsightsTable
from services.insights.routes import exports, queries
from services.insights.settings import InsightsSettings
from shared.clock import Clock
from shared.service import ServiceDefinition, create_service_app

__all__ = ["DEFINITION", "InsightsSettings", "create_app"]

DEFINITION = ServiceDefinition(
    name="insights",
    title="Insights",
    metadata=InsightsTable.metadata,
    migrations_dir=Path(__file__).parent / "migrations",
    routers=[queries.router, exports.router],
    handlers=handlers,
)


def create_app(settings: InsightsSettings | None = None, clock: Clock | None = None) -> FastAPI:
    return create_service_app(DEFINITION, settings or InsightsSettings(), clock=clock)
