"""The desks service: unified regional desks own the client's service request."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import func, select

from services.desks.attachments import attachment_storage
from services.desks.handlers import handlers
from services.desks.metrics import sla_breaches
from services.desks.models import CatalogProduct, DesksTable
from services.desks.routes import (
    admin,
    approvals,
    attachments,
    calendars,
    commands,
    exports,
    intake,
    links,
    queries,
)
from services.desks.search import include_name
from services.desks.seed import seed_reference_data
from services.desks.settings import DesksSettings
from services.desks.workers import SLA_RETARGET, SLA_SCHEDULER, SLA_WARNER
from shared.clock import Clock
from shared.db import AsyncSession
from shared.service import ServiceDefinition, create_service_app

__all__ = ["DEFINITION", "DesksSettings", "create_app"]


async def catalog_is_loaded(session: AsyncSession) -> str | None:
    """Intake validates products against the local catalog copy; without it, not ready."""
    count = await session.scalar(select(func.count()).select_from(CatalogProduct))
    return None if count else "product catalog not received yet"


DEFINITION = ServiceDefinition(
    name="desks",
    title="Regional desks",
    metadata=DesksTable.metadata,
    migrations_dir=Path(__file__).parent / "migrations",
    routers=[
        intake.router,
        queries.router,
        commands.router,
        approvals.router,
        admin.router,
        exports.router,
        calendars.router,
        links.router,
        attachments.router,
    ],
    handlers=handlers,
    seed=seed_reference_data,
    readiness_checks=[catalog_is_loaded],
    workers=[SLA_SCHEDULER, SLA_WARNER, SLA_RETARGET],
    metrics=[sla_breaches],
    include_name=include_name,
    resources=[attachment_storage],
)


def create_app(settings: DesksSettings | None = None, clock: Clock | None = None) -> FastAPI:
    return create_service_app(DEFINITION, settings or DesksSettings(), clock=clock)
