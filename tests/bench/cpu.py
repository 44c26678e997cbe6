"""CPU time each process used over a span: where a workload's time went."""

from __future__ import annotations

import os
import time
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# Idle: no process used more than this share of a core over a second.
IDLE_CPU_SHARE = 0.10


class CpuMeter:
    def __init__(self, pids: dict[str, int]) -> None:
        self._pids = pids
        self._started_wall = time.monotonic()
        self._started = {name: _cpu_s(pid) for name, pid in pids.items()}

    def used_s(self) -> dict[str, float]:
        """CPU seconds (user + system) per process since the meter was made."""
        return {name: _cpu_s(pid) - self._started[name] for name, pid in self._pids.items()}

    @property
    def wall_s(self) -> float:
        return time.monotonic() - self._started_wall


def wait_until_idle(pids: dict[str, int], max_wait_s: float = 120.0) -> tuple[float, bool]:
    """Wait (bounded) until every process is idle; return the wait and whether it was."""
    started = time.monotonic()
    while time.monotonic() - started < max_wait_s:
        meter = CpuMeter(pids)
        time.sleep(1.0)
        if max(meter.used_s().values()) < IDLE_CPU_SHARE * meter.wall_s:
            return time.monotonic() - started, True
    return time.monotonic() - started, False


def _cpu_s(pid: int) -> float:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    # Fields after the command name (which may hold spaces): utime and stime are
    # the 14th and 15th fields of the line, the 12th and 13th after the ')'.
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
