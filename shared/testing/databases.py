"""Fresh databases per test: a SQLite file, or a new database on the test PostgreSQL."""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy import text

from shared.db import create_engine
from shared.testing.postgres import PostgresServer


class Databases:
    """Makes fresh, empty databases of one kind for a test; drops them afterwards."""

    def __init__(self, kind: str, tmp_path: Path, server: PostgresServer | None) -> None:
        self.kind = kind
        self._tmp_path = tmp_path
        self._server = server
        self._created: list[str] = []

    async def new(self, name: str) -> str:
        if self._server is None:
            return f"sqlite+aiosqlite:///{self._tmp_path / (name + '.db')}"
        database = f"t_{name}_{uuid.uuid4().hex[:12]}"
        await self._admin(f'CREATE DATABASE "{database}"')
        self._created.append(database)
        return self._server.url(database)

    async def drop_all(self) -> None:
        for database in self._created:
            await self._admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')

    async def _admin(self, statement: str) -> None:
        assert self._server is not None
        engine = create_engine(self._server.admin_url).execution_options(
            isolation_level="AUTOCOMMIT"
        )
        try:
            async with engine.connect() as connection:
                await connection.execute(text(statement))
        finally:
            await engine.dispose()
