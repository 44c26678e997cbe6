"""The lessons service: one repository of lessons learned for every entity."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.lessons.handlers import handlers
from services.lessons.models import LessonsTable
from services.lessons.routes import commands, feeds, queries
from services.lessons.search import include_name
from services.lessons.settings import LessonsSettings
from shared.clock import Clock
from shared.service import ServiceDefinition, create_service_app

__all__ = ["DEFINITION", "LessonsSettings", "create_app"]

DEFINITION = ServiceDefinition(
    name="lessons",
    title="Lessons learned",
    metadata=LessonsTable.metadata,
    migrations_dir=Path(__file__).parent / "migrations",
    routers=[commands.router, queries.router, feeds.router],
    handlers=handlers,
    include_name=include_name,
)


def create_app(settings: LessonsSettings | None = None, clock: Clock | None = None) -> FastAPI:
    return create_service_app(DEFINITION, settings or LessonsSettings(), clock=clock)
