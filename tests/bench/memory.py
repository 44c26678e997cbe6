"""Idle memory of the embedded stack: the sum of every process's resident set."""

from __future__ import annotations

import time
from pathlib import Path

from tests.bench.cpu import wait_until_idle
from tests.bench.results import BenchmarkResult, Metric, at_most
from tests.bench.stack import BenchStack

PROC = Path("/proc")
TARGET_MB = 600


def idle_rss(stack: BenchStack, *, settle_s: float, label: str) -> BenchmarkResult:
    # Let start-up or the last workload's backlog (relays, consumers, SQLite
    # checkpoints) finish first, so the figure is the idle footprint.
    time.sleep(settle_s)
    waited_s, idle = wait_until_idle(stack.process_ids())
    by_process = {name: _tree_kb(pid, "VmRSS") for name, pid in sorted(stack.process_ids().items())}
    proportional = {name: _tree_kb(pid, "Pss") for name, pid in sorted(stack.process_ids().items())}
    total_mb = sum(by_process.values()) / 1024
    pss_mb = sum(proportional.values()) / 1024
    return BenchmarkResult(
        name=f"idle RSS ({label})",
        metrics=[
            Metric(
                "sum of VmRSS, broker + 4 services + gateway", total_mb, "MB", at_most(TARGET_MB)
            ),
            Metric("sum of PSS (shared pages counted once)", pss_mb, "MB"),
            *(Metric(f"RSS: {name}", kb / 1024, "MB") for name, kb in by_process.items()),
        ],
        notes=[
            ", ".join(f"{name} {kb / 1024:.0f}" for name, kb in by_process.items()) + " (MB RSS)",
            f"measured after {settle_s + waited_s:.0f} s of settling"
            + ("" if idle else ", though the stack was still busy"),
        ],
        details={
            "waited_s": waited_s,
            "idle": idle,
            "rss_mb_by_process": {name: kb / 1024 for name, kb in by_process.items()},
            "pss_mb_by_process": {name: kb / 1024 for name, kb in proportional.items()},
        },
    )


def _tree_kb(pid: int, field: str) -> int:
    """`field` (kB) of a process and all its descendants."""
    return sum(_field_kb(member, field) for member in _process_tree(pid))


def _process_tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in PROC.glob("[0-9]*/stat"):
        try:
            # The command name may hold spaces; the parent pid follows the last ')'.
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(stat.parent.name))
    tree, pending = [], [root]
    while pending:
        pid = pending.pop()
        tree.append(pid)
        pending.extend(children.get(pid, []))
    return tree


def _field_kb(pid: int, field: str) -> int:
    source = "smaps_rollup" if field == "Pss" else "status"
    try:
        lines = (PROC / str(pid) / source).read_text().splitlines()
    except OSError:
        return 0  # exited, or not ours to read
    for line in lines:
        name, _, value = line.partition(":")
        if name == field:
            return int(value.split()[0])
    return 0
