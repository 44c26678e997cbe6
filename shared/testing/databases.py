"""Fresh databases per test: a SQLite file, or a new database on the test PostgreSQL.

A service's database can also come already migrated and seeded: the first test of a
worker that asks migrates and seeds a template once, every later one gets a copy of it
(a file copy on SQLite, `CREATE DATABASE … TEMPLATE` on PostgreSQL). That is the same
schema and reference data as running the migrations again, without running them for
every test (tests/integration/test_migrations.py runs them for real, twice).
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

from sqlalchemy import text

from shared.db import create_engine
from shared.manage import migrate, seed
from shared.service import ServiceDefinition
from shared.settings import ServiceSettings
from shared.testing.postgres import PostgresServer


class DatabaseTemplates:
    """One migrated, seeded template per service and kind of database, for one worker."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._made: set[tuple[str, str]] = set()

    async def sqlite(self, definition: ServiceDefinition) -> Path:
        path = self.directory / f"{definition.name}.db"
        if (definition.name, "sqlite") not in self._made:
            await _migrate_and_seed(definition, f"sqlite+aiosqlite:///{path}")
            self._made.add((definition.name, "sqlite"))
        return path

    async def postgresql(self, definition: ServiceDefinition, server: PostgresServer) -> str:
        name = f"template_{definition.name}"
        if (definition.name, f"postgresql:{server.port}") not in self._made:
            await _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await _admin(server, f'CREATE DATABASE "{name}"')
            await _migrate_and_seed(definition, server.url(name))
            self._made.add((definition.name, f"postgresql:{server.port}"))
        return name


class Databases:
    """Makes fresh databases of one kind for a test; drops them afterwards."""

    def __init__(
        self,
        kind: str,
        tmp_path: Path,
        server: PostgresServer | None,
        templates: DatabaseTemplates | None = None,
    ) -> None:
        self.kind = kind
        self._tmp_path = tmp_path
        self._server = server
        self._templates = templates or DatabaseTemplates(tmp_path)
        self._created: list[str] = []

    async def new(self, name: str) -> str:
        """An empty database."""
        return await self._create(name, template=None)

    async def migrated(self, definition: ServiceDefinition) -> str:
        """A database of `definition`'s service at its latest migration, seeded."""
        if self._server is None:
            path = self._tmp_path / f"{definition.name}-{uuid.uuid4().hex[:8]}.db"
            shutil.copyfile(await self._templates.sqlite(definition), path)
            return f"sqlite+aiosqlite:///{path}"
        template = await self._templates.postgresql(definition, self._server)
        return await self._create(definition.name, template=template)

    async def drop_all(self) -> None:
        if self._server is None:
            return
        for database in self._created:
            await _admin(self._server, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')

    async def _create(self, name: str, template: str | None) -> str:
        if self._server is None:
            return f"sqlite+aiosqlite:///{self._tmp_path / (name + '.db')}"
        database = f"t_{name}_{uuid.uuid4().hex[:12]}"
        from_template = f' TEMPLATE "{template}"' if template else ""
        await _admin(self._server, f'CREATE DATABASE "{database}"{from_template}')
        self._created.append(database)
        return self._server.url(database)


async def _migrate_and_seed(definition: ServiceDefinition, url: str) -> None:
    settings = ServiceSettings(service_name=definition.name, database_url=url)
    await migrate(definition, settings)
    await seed(definition, settings)


async def _admin(server: PostgresServer, statement: str) -> None:
    engine = create_engine(server.admin_url).execution_options(isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()
