"""A throw-away PostgreSQL server for tests: initdb + pg_ctl in a temporary directory.

PostgreSQL refuses to run as root, so when the harness is root it runs the
server binaries as the `postgres` user. Durability is switched off (fsync,
synchronous_commit): the data dies with the test run anyway.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from shared.processes import free_port, wait_for_port

SERVER_USER = "postgres"


class PostgresUnavailable(RuntimeError):
    pass


def _binary(name: str) -> str:
    found = shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None
    )
    if not found:
        raise PostgresUnavailable(
            f"PostgreSQL server binary '{name}' not found (install postgresql)"
        )
    return found


@dataclass
class PostgresServer:
    directory: Path
    port: int
    pid: int

    @property
    def admin_url(self) -> str:
        return f"postgresql+asyncpg://{SERVER_USER}@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://{SERVER_USER}@127.0.0.1:{self.port}/{database}"

    @classmethod
    def start(cls) -> PostgresServer:
        as_server_user = _demote_to_server_user()
        directory = Path(tempfile.mkdtemp(prefix="onedoor-pg-"))
        if as_server_user is not None:
            os.chown(directory, as_server_user.pw_uid, as_server_user.pw_gid)
        data = directory / "data"
        prefix = ["runuser", "-u", SERVER_USER, "--"] if as_server_user else []
        port = free_port()
        _run(
            [
                *prefix,
                _binary("initdb"),
                "-D",
                str(data),
                "-U",
                SERVER_USER,
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
            ]
        )
        options = (
            f"-p {port} -k {directory} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        _run(
            [
                *prefix,
                _binary("pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-l",
                str(directory / "server.log"),
                "-w",
                "start",
            ]
        )
        pid = int((data / "postmaster.pid").read_text().splitlines()[0])
        wait_for_port(port, 30)
        return cls(directory=directory, port=port, pid=pid)

    def stop(self) -> None:
        """Fast shutdown of the postmaster we started, by its pid; then remove its files."""
        try:
            os.kill(self.pid, signal.SIGINT)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and _alive(self.pid):
            time.sleep(0.05)
        if _alive(self.pid):
            os.kill(self.pid, signal.SIGKILL)
        shutil.rmtree(self.directory, ignore_errors=True)


def _demote_to_server_user() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SERVER_USER)
    except KeyError as error:
        raise PostgresUnavailable(
            f"running as root but there is no '{SERVER_USER}' user"
        ) from error


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _run(args: list[str]) -> None:
    result = subprocess.run(args, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise PostgresUnavailable(
            f"{' '.join(args[:6])}... failed: {result.stderr or result.stdout}"
        )
