"""Idle memory of the embedded stack, per process and in total, three ways.

RSS counts every resident page in each process that maps it, so the seven interpreters'
shared pages (libpython, extension modules, and anything inherited copy-on-write) are
counted up to seven times in the RSS sum. PSS (from /proc/PID/smaps_rollup) divides each
shared page among the processes that map it, so the PSS sum is the memory the stack
really takes from the machine. USS (private pages only) is what stopping one process
would give back. The target stays judged on the RSS sum, the figure the target was set
in: judging it on PSS would move it closer without saving a byte. PSS and USS are
reported beside it, and they show what a change that shares pages (a fork server)
would really save.
"""

from __future__ import annotations

import time
from pathlib import Path

from tests.bench.cpu import wait_until_idle
from tests.bench.results import BenchmarkResult, Metric, at_most
from tests.bench.stack import BenchStack

PROC = Path("/proc")
TARGET_MB = 600
# (report name, source file in /proc/PID, fields summed)
MEASURES = {
    "RSS": ("status", ("VmRSS",)),
    "PSS": ("smaps_rollup", ("Pss",)),
    "USS": ("smaps_rollup", ("Private_Clean", "Private_Dirty")),
    # RSS split: anonymous pages (the interpreter's heaps: obmalloc arenas, malloc,
    # SQLite's page caches) and file pages (the python binary, shared libraries).
    "anon": ("status", ("RssAnon",)),
    "file": ("status", ("RssFile",)),
}


def idle_memory(stack: BenchStack, *, settle_s: float, label: str) -> BenchmarkResult:
    # Let start-up or the last workload's backlog (relays, consumers, SQLite
    # checkpoints) finish first, so the figure is the idle footprint.
    time.sleep(settle_s)
    waited_s, idle = wait_until_idle(stack.process_ids())
    pids = sorted(stack.process_ids().items())
    mb = {
        measure: {name: _tree_kb(pid, measure) / 1024 for name, pid in pids} for measure in MEASURES
    }
    totals = {measure: sum(by_process.values()) for measure, by_process in mb.items()}
    return BenchmarkResult(
        name=f"idle memory ({label})",
        metrics=[
            Metric(
                "sum of VmRSS, broker + services + gateway (shared pages in every process)",
                totals["RSS"],
                "MB",
                at_most(TARGET_MB),
            ),
            Metric("sum of PSS (shared pages divided among their processes)", totals["PSS"], "MB"),
            Metric("sum of USS (private pages only)", totals["USS"], "MB"),
            *(Metric(f"PSS: {name}", value, "MB") for name, value in mb["PSS"].items()),
        ],
        notes=[
            ", ".join(
                f"{name} {mb['RSS'][name]:.0f}/{mb['PSS'][name]:.0f}/{mb['USS'][name]:.0f}"
                for name, _ in pids
            )
            + " (MB RSS/PSS/USS)",
            ", ".join(f"{name} {mb['anon'][name]:.0f}/{mb['file'][name]:.0f}" for name, _ in pids)
            + " (MB of RSS anonymous/file-backed)",
            f"measured after {settle_s + waited_s:.0f} s of settling"
            + ("" if idle else ", though the stack was still busy"),
        ],
        details={
            "waited_s": waited_s,
            "idle": idle,
            **{
                f"{measure.lower()}_mb_by_process": by_process for measure, by_process in mb.items()
            },
        },
    )


def _tree_kb(pid: int, measure: str) -> int:
    """`measure` (kB) of a process and all its descendants."""
    return sum(_measure_kb(member, measure) for member in _process_tree(pid))


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


def _measure_kb(pid: int, measure: str) -> int:
    source, fields = MEASURES[measure]
    try:
        lines = (PROC / str(pid) / source).read_text().splitlines()
    except OSError:
        return 0  # exited, or not ours to read
    values = {}
    for line in lines:
        name, _, value = line.partition(":")
        if name in fields:
            values[name] = int(value.split()[0])
    return sum(values.values())
