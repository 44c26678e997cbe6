"""Alembic, per service: each service has `migrations/` whose env.py calls `run_env`.

Migrations run on the service's own async engine (aiosqlite or asyncpg), with
batch mode so SQLite can alter tables.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db import create_engine

# Any constant: the lock is per database, and each service has its own database.
MIGRATION_LOCK = 0x0_0E_D0_0A


def alembic_config(migrations_dir: Path, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", database_url)
    return config


async def upgrade(engine: AsyncEngine, migrations_dir: Path, revision: str = "head") -> None:
    config = alembic_config(migrations_dir, engine.url.render_as_string(hide_password=False))

    def _upgrade(connection: Connection) -> None:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Replicas starting together (Kubernetes init containers) upgrade one at a
            # time; the others then find the schema at head. Released with the transaction.
            await connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
            )
        await connection.run_sync(_upgrade)


def run_env(
    context: Any,
    target_metadata: Sequence[MetaData],
    include_name: Callable[[str | None, str, Any], bool] | None = None,
) -> None:
    """The body of every service's migrations/env.py."""
    config = context.config
    options: dict[str, Any] = {
        "target_metadata": list(target_metadata),
        "render_as_batch": True,
        "compare_type": True,
    }
    if include_name is not None:
        options["include_name"] = include_name
    if context.is_offline_mode():
        context.configure(
            url=config.get_main_option("sqlalchemy.url"), literal_binds=True, **options
        )
        with context.begin_transaction():
            context.run_migrations()
        return

    def _run(connection: Connection) -> None:
        context.configure(connection=connection, **options)
        with context.begin_transaction():
            context.run_migrations()

    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return

    async def _run_async() -> None:
        engine = create_engine(config.get_main_option("sqlalchemy.url"))
        async with engine.begin() as async_connection:
            await async_connection.run_sync(_run)
        await engine.dispose()

    asyncio.run(_run_async())
