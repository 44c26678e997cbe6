"""Each service's Alembic migrations build exactly the schema its models declare,
on SQLite and on PostgreSQL, and can run twice."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from services.desks.app import DEFINITION as DESKS
from services.lessons.app import DEFINITION as LESSONS
from services.partnerships.app import DEFINITION as PARTNERSHIPS
from services.products.app import DEFINITION as PRODUCTS
from shared.db import create_engine
from shared.migrations import upgrade
from shared.service import ServiceDefinition
from shared.testing.databases import Databases


@pytest.mark.parametrize(
    "definition", [DESKS, PRODUCTS, LESSONS, PARTNERSHIPS], ids=lambda d: d.name
)
async def test_migrations_match_the_models(
    definition: ServiceDefinition, databases: Databases
) -> None:
    engine = create_engine(await databases.new(definition.name))
    try:
        await upgrade(engine, definition.migrations_dir)
        await upgrade(engine, definition.migrations_dir)  # idempotent: already at head
        async with engine.connect() as connection:
            differences = await connection.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(
                        sync,
                        opts={"compare_type": True, "include_name": definition.include_name},
                    ),
                    definition.all_metadata,
                )
            )
        assert differences == [], "run `python -m services.<name> revision -m '...'`"
    finally:
        await engine.dispose()
