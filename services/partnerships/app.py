"""The partnerships service: joint assessments with the AU, the World Bank and others."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.partnerships.handlers import handlers
from services.partnerships.metrics import webhook_deliveries
from services.partnerships.models import PartnershipsTable
from services.partnerships.routes import admin, commands, queries
from services.partnerships.seed import seed_partners
from services.partnerships.settings import PartnershipsSettings
from services.partnerships.workers import WEBHOOK_DISPATCHER
from shared.clock import Clock
from shared.service import ServiceDefinition, create_service_app

__all__ = ["DEFINITION", "PartnershipsSettings", "create_app"]

DEFINITION = ServiceDefinition(
    name="partnerships",
    title="Partnerships",
    metadata=PartnershipsTable.metadata,
    migrations_dir=Path(__file__).parent / "migrations",
    routers=[commands.router, queries.router, admin.router],
    handlers=handlers,
    seed=seed_partners,
    workers=[WEBHOOK_DISPATCHER],
    metrics=[webhook_deliveries],
)


def create_app(settings: PartnershipsSettings | None = None, clock: Clock | None = None) -> FastAPI:
    return create_service_app(DEFINITION, settings or PartnershipsSettings(), clock=clock)
