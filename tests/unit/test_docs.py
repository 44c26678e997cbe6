"""The repository documents itself: links resolve, and nothing points outside it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def tracked_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout.split()
    return [ROOT / name for name in listed if (ROOT / name).is_file()]


def test_nothing_refers_to_a_design_document_outside_the_repository() -> None:
    outside = "DESIGN" + ".md"  # spelled apart so this file does not name it
    referring = [
        path.relative_to(ROOT)
        for path in tracked_files()
        if outside in path.read_text(errors="ignore")
    ]
    assert not referring


def test_markdown_links_resolve_inside_the_repository() -> None:
    documents = [
        ROOT / "README.md",
        *sorted((ROOT / "docs").glob("*.md")),
        ROOT / "deploy" / "README.md",
    ]
    for document in documents:
        for target in LINK.findall(document.read_text()):
            if "://" in target:
                continue
            resolved = (document.parent / target).resolve()
            assert resolved.is_relative_to(ROOT), f"{document.name} links outside: {target}"
            assert resolved.exists(), f"{document.name} links to missing {target}"


def test_the_readme_links_the_architecture() -> None:
    assert "docs/architecture.md" in (ROOT / "README.md").read_text()
