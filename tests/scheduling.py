"""How `make test` spreads the suite over its two workers (`-n 2 --dist loadfile`).

- **Units of work.** A test file is one unit, so its module fixtures (a stack, a
  browser) start once; the e2e modules that share a stack (`SHARED_STACK = "<name>"`)
  are one unit together, so one worker runs them one after the other and starts their
  stack once (handed out file by file, they met on a worker only by chance and started
  it up to six times). The controller decides before any module is imported, so the
  declaration is read from the modules' source rather than their attributes.
- **Heaviest first.** The units are handed out longest first, by the seconds each took
  in a recorded run (`tests/durations.json`), so the run does not end with one worker
  finishing a long unit while the other idles. A unit the record does not know counts
  its tests at the recorded mean per test. `pytest --record-durations` writes the
  seconds of the units it ran into the record (`make test-durations`: all of them).
"""

from __future__ import annotations

import json
import re
import statistics
from collections import defaultdict
from pathlib import Path

import pytest
from xdist.scheduler import LoadFileScheduling

TESTS_DIR = Path(__file__).parent
E2E_DIR = TESTS_DIR / "e2e"
DURATIONS_FILE = TESTS_DIR / "durations.json"
# `SHARED_STACK = "<name>"` in an e2e module: the stack it can share (tests/e2e/conftest.py).
SHARED_STACK_DECLARATION = re.compile(r'^SHARED_STACK = "(?P<name>[a-z0-9_-]+)"$', re.M)


def _stack_of_file() -> dict[str, str]:
    return {
        f"tests/e2e/{module.name}": f"stack:{found['name']}"
        for module in sorted(E2E_DIR.glob("test_*.py"))
        if (found := SHARED_STACK_DECLARATION.search(module.read_text()))
    }


class WorkUnits:
    """Which unit of work a test belongs to (its file, or its shared stack)."""

    def __init__(self) -> None:
        self._stack_of_file = _stack_of_file()

    def of(self, nodeid: str) -> str:
        file = nodeid.split("::", 1)[0]
        return self._stack_of_file.get(file, file)


def recorded_durations() -> dict[str, float]:
    if not DURATIONS_FILE.is_file():
        return {}
    recorded: dict[str, float] = json.loads(DURATIONS_FILE.read_text())
    return recorded


def heaviest_first(nodeids: list[str], units: WorkUnits, seconds: dict[str, float]) -> list[str]:
    """The tests in collection order within a unit, the units longest first."""
    tests_per_unit: dict[str, int] = defaultdict(int)
    for nodeid in nodeids:
        tests_per_unit[units.of(nodeid)] += 1
    known = [seconds[unit] / count for unit, count in tests_per_unit.items() if unit in seconds]
    per_test = statistics.fmean(known) if known else 1.0

    def cost(unit: str) -> float:
        return seconds.get(unit, tests_per_unit[unit] * per_test)

    position = {nodeid: index for index, nodeid in enumerate(nodeids)}
    return sorted(nodeids, key=lambda nodeid: (-cost(units.of(nodeid)), position[nodeid]))


class SharedStackScheduling(LoadFileScheduling):
    """`--dist loadfile` over the units above, handed out heaviest first."""

    def __init__(self, config: pytest.Config, log: object = None) -> None:
        super().__init__(config, log)
        self._units = WorkUnits()
        # Our order replaces xdist's (most tests first), which knows nothing of seconds.
        config.option.loadscopereorder = False

    def _split_scope(self, nodeid: str) -> str:
        return self._units.of(nodeid)

    def schedule(self) -> None:
        if self.collection is None and self.collection_is_completed:
            seconds = recorded_durations()
            # Every worker collected the same tests (xdist checks), so one order serves all.
            for node, collected in self.registered_collections.items():
                self.registered_collections[node] = heaviest_first(
                    list(collected), self._units, seconds
                )
        super().schedule()


class DurationRecorder:
    """Sums each unit's setup, call and teardown seconds and writes them at the end."""

    def __init__(self) -> None:
        self._units = WorkUnits()
        self._seconds: dict[str, float] = defaultdict(float)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self._seconds[self._units.of(report.nodeid)] += report.duration

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if exitstatus == pytest.ExitCode.INTERRUPTED or not self._seconds:
            return  # an interrupted run saw its last units only in part
        # The units this run saw replace their entries; the others stay while they exist,
        # so recording a few files updates those.
        kept = {unit: s for unit, s in recorded_durations().items() if _exists(unit)}
        merged = kept | {unit: round(seconds, 1) for unit, seconds in self._seconds.items()}
        ordered = dict(sorted(merged.items(), key=lambda item: -item[1]))
        DURATIONS_FILE.write_text(json.dumps(ordered, indent=1) + "\n")


def _exists(unit: str) -> bool:
    return unit.startswith("stack:") or (TESTS_DIR.parent / unit).is_file()
