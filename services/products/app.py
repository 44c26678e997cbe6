"""The products service: system-wide service providers, their catalog and engagements."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.products.handlers import handlers
from services.products.models import ProductsTable
from services.products.routes import admin, commands, exports, queries
from services.products.seed import seed_catalog
from services.products.settings import ProductsSettings
from shared.clock import Clock
from shared.service import ServiceDefinition, create_service_app

__all__ = ["DEFINITION", "ProductsSettings", "create_app"]

DEFINITION = ServiceDefinition(
    name="products",
    title="Service-provider products",
    metadata=ProductsTable.metadata,
    migrations_dir=Path(__file__).parent / "migrations",
    routers=[admin.router, queries.router, commands.router, exports.router],
    handlers=handlers,
    seed=seed_catalog,
)


def create_app(settings: ProductsSettings | None = None, clock: Clock | None = None) -> FastAPI:
    return create_service_app(DEFINITION, settings or ProductsSettings(), clock=clock)
