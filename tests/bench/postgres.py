"""The throw-away PostgreSQL a benchmark measures its second engine on."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from shared.testing.databases import Databases
from shared.testing.postgres import PostgresServer, PostgresUnavailable


@asynccontextmanager
async def throwaway_postgres(work_dir: Path, notes: list[str]) -> AsyncIterator[Databases | None]:
    """Databases on a PostgreSQL started for the benchmark and stopped after it; None
    (and a note saying why) on a machine without PostgreSQL's server."""
    try:
        server = PostgresServer.start()
    except PostgresUnavailable as missing:
        notes.append(f"PostgreSQL not measured: {missing}")
        yield None
        return
    databases = Databases("postgresql", work_dir, server)
    try:
        yield databases
    finally:
        await databases.drop_all()
        server.stop()
