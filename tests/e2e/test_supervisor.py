"""The `onedoor run` supervisor as an operator meets it: killed -9, nothing it started
survives and a new run starts at once, ports and all; stopped with two SIGTERMs in a
row (make forwards one), the stop still stops everything."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from shared.processes import free_port, free_port_block, port_is_free
from shared.runner import SERVICES

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the process tree from /proc"),
]


def children_of(pid: int) -> set[int]:
    """Every live descendant of `pid`, from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z":
                parents[int(entry.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


class Run:
    """One `onedoor run` on its own ports and var/ directory."""

    def __init__(self, var_dir: Path, ports: dict[str, int]) -> None:
        self.ports = ports
        env = {
            **os.environ,
            "ONEDOOR_VAR_DIR": str(var_dir),
            "ONEDOOR_GATEWAY_PORT": str(ports["gateway"]),
            "ONEDOOR_SERVICE_BASE_PORT": str(ports["services"]),
            "ONEDOOR_BROKER_PORT": str(ports["broker"]),
            "ONEDOOR_SMTP_SINK_PORT": str(ports["smtp"]),
        }
        env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
        self.log = var_dir.parent / f"run-{time.monotonic_ns()}.log"
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(
                [str(Path(sys.executable).parent / "onedoor"), "run"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def all_ports(self) -> list[int]:
        base = self.ports["services"]
        services = [base + offset for offset in range(len(SERVICES))]
        return [self.ports["gateway"], self.ports["broker"], self.ports["smtp"], *services]

    def wait_up(self, timeout_s: float = 120) -> float:
        started = time.monotonic()
        url = f"http://127.0.0.1:{self.ports['gateway']}/readyz"
        while time.monotonic() - started < timeout_s:
            assert self.process.poll() is None, self.log.read_text()
            try:
                if httpx.get(url, timeout=1).status_code == 200:
                    return time.monotonic() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"not up after {timeout_s}s: {self.log.read_text()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(60)


def wait_until(condition: object, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def ports() -> dict[str, int]:
    return {
        "gateway": free_port(),
        "broker": free_port(),
        "smtp": free_port(),
        "services": free_port_block(len(SERVICES)),
    }


def test_a_killed_supervisor_takes_its_stack_with_it(tmp_path: Path, ports: dict[str, int]) -> None:
    first = Run(tmp_path / "var", ports)
    try:
        first.wait_up()
        stack = children_of(first.process.pid)
        assert len(stack) >= 1 + len(SERVICES) + 1  # broker, services, gateway

        os.kill(first.process.pid, signal.SIGKILL)
        first.process.wait(10)
        assert wait_until(lambda: not any(alive(pid) for pid in stack), 10), [
            pid for pid in stack if alive(pid)
        ]

        # Right away, on the same ports (some in TIME-WAIT) and the same var/.
        second = Run(tmp_path / "var", ports)
        try:
            second.wait_up()
            stack = children_of(second.process.pid)
            # Two SIGTERMs in a row: the second must not cut the stop short.
            second.process.send_signal(signal.SIGTERM)
            time.sleep(0.05)
            second.process.send_signal(signal.SIGTERM)
            # 0, or killed by the second signal once the stop was done and Python exiting.
            assert second.process.wait(60) in (0, -signal.SIGTERM), second.log.read_text()
            assert wait_until(lambda: not any(alive(pid) for pid in stack), 5)
            assert all(port_is_free(port) for port in second.all_ports())
        finally:
            second.stop()
    finally:
        first.stop()
