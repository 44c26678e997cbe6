"""Alembic, per service: each service has `migrations/` whose env.py calls `run_env`.

A service's database has two branches of revisions: the service's own (in
`services/<name>/migrations/versions`, labelled with the service's name) and the
`platform` branch (in `shared/platform_migrations`), the outbox, inbox and
platform-state tables every service holds. Every service's migrations include
the platform branch, so a new service gets those tables without copying them,
and a change to them is one revision in one place. Upgrading means all heads.

Migrations run on the service's own async engine (aiosqlite or asyncpg), with
batch mode so SQLite can alter tables.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db import create_engine

PLATFORM_MIGRATIONS = Path(__file__).parent / "platform_migrations"
PLATFORM_BRANCH = "platform"

# Any constant: the lock is per database, and each service has its own database.
MIGRATION_LOCK = 0x0_0E_D0_0A


def alembic_config(migrations_dir: Path, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("path_separator", "os")
    config.set_main_option(
        "version_locations",
        os.pathsep.join([str(migrations_dir / "versions"), str(PLATFORM_MIGRATIONS)]),
    )
    config.set_main_option("sqlalchemy.url", database_url)
    return config


async def upgrade(engine: AsyncEngine, migrations_dir: Path, revision: str = "heads") -> None:
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


def autogenerate_revision(
    migrations_dir: Path, database_url: str, branch: str, message: str
) -> None:
    """Write the next revision of `branch` (a service's name, or `platform`) from what the
    models declare beyond the database; the database must be at every head."""
    config = alembic_config(migrations_dir, database_url)
    labels = {
        label
        for script in ScriptDirectory.from_config(config).walk_revisions()
        for label in script.branch_labels
    }
    in_platform = branch == PLATFORM_BRANCH
    command.revision(
        config,
        message=message,
        autogenerate=True,
        # A service's first revision starts its branch and names it.
        head=f"{branch}@head" if branch in labels else "base",
        branch_label=None if branch in labels else branch,
        version_path=str(PLATFORM_MIGRATIONS if in_platform else migrations_dir / "versions"),
    )


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
