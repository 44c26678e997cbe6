"""Signed dev tokens for tests, from the key pair under a test's var/ directory."""

from __future__ import annotations

from typing import Any

from shared.auth import Role, issue_dev_token
from shared.settings import PlatformSettings


def bearer(settings: PlatformSettings, role: Role, **tenant: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_dev_token(settings, role=role, **tenant)}"}
