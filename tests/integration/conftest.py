"""Desks and products running in-process on the real broker and a real database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from services.desks.app import DEFINITION as DESKS
from services.desks.app import DesksSettings
from services.desks.app import create_app as create_desks
from services.desks.models import CatalogProduct
from services.products.app import DEFINITION as PRODUCTS
from services.products.app import ProductsSettings
from services.products.app import create_app as create_products
from services.products.seed import CATALOG
from shared.settings import PlatformSettings, ServiceSettings
from shared.testing.databases import Databases
from shared.testing.services import FAST_RETRY, RunningService, running_service
from shared.testing.waiting import eventually


@pytest.fixture
async def probe_settings(platform: PlatformSettings, databases: Databases) -> ServiceSettings:
    """A service of its own (a probe of handlers a test defines) on a fresh database."""
    return ServiceSettings(
        **platform.model_dump(),
        **{**FAST_RETRY, "broker_watch_interval_s": 0.2},
        service_name="probe",
        database_url=await databases.new("probe"),
        consumer_max_attempts=3,
    )


@dataclass
class DesksAndProducts:
    desks: RunningService
    products: RunningService
    platform: PlatformSettings


@pytest.fixture
async def stack(
    platform: PlatformSettings, databases: Databases
) -> AsyncIterator[DesksAndProducts]:
    common = {**platform.model_dump(), **FAST_RETRY}
    products_settings = ProductsSettings(**common, database_url=await databases.migrated(PRODUCTS))
    desks_settings = DesksSettings(**common, database_url=await databases.migrated(DESKS))
    async with (
        running_service(
            PRODUCTS, create_products, products_settings, prepare_database=False
        ) as products,
        running_service(DESKS, create_desks, desks_settings, prepare_database=False) as desks,
    ):

        async def catalog_arrived() -> bool:
            async with desks.sessions() as session, session.begin():
                replicated = await session.scalar(select(func.count()).select_from(CatalogProduct))
            return replicated == len(CATALOG)

        await eventually(catalog_arrived)
        yield DesksAndProducts(desks, products, platform)
