"""The partnerships service: joint assessments with the AU, the World Bank and others."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.partnerships.api import router
from services.partnerships.models import PartnershipsTable
from services.partnerships.seed import seed_partners
from shared.clock import Clock
from shared.service import ServiceDefinition, create_service_app
from shared.settings import ServiceSettings


class PartnershipsSettings(ServiceSettings):
    service_name: str = "partnerships"
    port: int = 8104


DEFINITION = ServiceDefinition(
    name="partnerships",
    title="Partnerships",
    metadata=PartnershipsTable.metadata,
    migrations_dir=Path(__file__).parent / "migrations",
    routers=[router],
    seed=seed_partners,
)


def create_app(settings: PartnershipsSettings | None = None, clock: Clock | None = None) -> FastAPI:
    return create_service_app(DEFINITION, settings or PartnershipsSettings(), clock=clock)
