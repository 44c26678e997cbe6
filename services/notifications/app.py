"""The notifications service: who should be told what, in-app and by e-mail."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.notifications.handlers import handlers
from services.notifications.metrics import mail_messages
from services.notifications.models import NotificationsTable
from services.notifications.routes import admin, commands, follows, queries
from services.notifications.settings import NotificationsSettings
from services.notifications.workers import MAIL_SENDER
from shared.clock import Clock
from shared.service import ServiceDefinition, create_service_app

__all__ = ["DEFINITION", "NotificationsSettings", "create_app"]

DEFINITION = ServiceDefinition(
    name="notifications",
    title="Notifications",
    metadata=NotificationsTable.metadata,
    migrations_dir=Path(__file__).parent / "migrations",
    routers=[commands.router, queries.router, follows.router, admin.router],
    handlers=handlers,
    workers=[MAIL_SENDER],
    metrics=[mail_messages],
)


def create_app(
    settings: NotificationsSettings | None = None, clock: Clock | None = None
) -> FastAPI:
    return create_service_app(DEFINITION, settings or NotificationsSettings(), clock=clock)
