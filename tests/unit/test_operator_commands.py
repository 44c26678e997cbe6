"""What one sees from the command line: the version, and the progress of a long seed
(the benchmark's lesson corpus)."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_onedoor_prints_its_version() -> None:
    done = subprocess.run(
        [str(Path(sys.executable).parent / "onedoor"), "--version"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
        cwd=ROOT,
    )
    assert done.stdout.strip() == f"onedoor {version('onedoor')}"


def test_seeding_the_lesson_corpus_reports_its_progress(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'lessons.db'}"
    command = ["--count", "4000", "--database-url", url]
    done = subprocess.run(
        [sys.executable, "-m", "tests.bench.corpus", *command],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd=ROOT,
    )
    progress = [line.split()[0] for line in done.stderr.splitlines() if "lessons," in line]
    assert progress[-1] == "4000" and len(progress) >= 2, done.stderr
    assert "inserted 4000 lessons" in done.stdout
