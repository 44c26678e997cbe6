"""A real OpenID provider on loopback for tests: `oidc-provider` (a certified Node.js
implementation, in the portal's committed package lock) run by portal/oidc/provider.mjs.

It issues RS256 JWT access tokens for one resource (resource indicators) whose claims
the platform accepts: `iss`, `aud` (= the audience given, the platform's jwt_audience),
`sub`, `exp`, `role` and the tenant claim of each account. Start it, then give every
process it should trust `platform_env()` (ONEDOOR_JWT_JWKS_URL / _ISSUER / _AUDIENCE):

    with OidcProvider(audience="urn:onedoor:gateway",
                      accounts={"liaison": {"role": "client", "client": "GOV_SIERRA_LEONE"}},
                      redirect_uris=["http://127.0.0.1:8000/auth/callback"]) as provider:
        env = provider.platform_env()

Its login page (the provider's development interaction) takes any password.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from shared.processes import free_port, stop_process, wait_for_port

PORTAL_DIR = Path(__file__).resolve().parents[2] / "portal"
SCRIPT = PORTAL_DIR / "oidc" / "provider.mjs"


class OidcProvider:
    def __init__(
        self,
        *,
        audience: str,
        accounts: Mapping[str, Mapping[str, Any]],
        redirect_uris: Sequence[str] = (),
        client_id: str = "onedoor-portal",
        access_token_ttl_s: int = 3600,
        log_path: Path | None = None,
    ) -> None:
        self.audience = audience
        self.client_id = client_id
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.jwks_url = f"{self.issuer}/jwks"
        self._args = [
            shutil.which("node") or "node",
            str(SCRIPT),
            "--port",
            str(self.port),
            "--audience",
            audience,
            "--client-id",
            client_id,
            "--accounts",
            json.dumps(accounts),
            "--access-token-ttl",
            str(access_token_ttl_s),
            *(part for uri in redirect_uris for part in ("--redirect", uri)),
        ]
        self._log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> OidcProvider:
        if not (PORTAL_DIR / "node_modules" / "oidc-provider").is_dir():
            raise RuntimeError("oidc-provider is not installed: run `make portal` (npm ci)")
        output = self._log_path.open("ab") if self._log_path else None
        with output or contextlib.nullcontext():  # the child keeps its own copy of the file
            self._process = subprocess.Popen(
                self._args,
                cwd=PORTAL_DIR,
                stdout=output or subprocess.DEVNULL,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for_port(self.port, timeout_s=20, process=self._process)
        return self

    def stop(self) -> None:
        if self._process is not None:
            stop_process(self._process)
            self._process = None

    def platform_env(self) -> dict[str, str]:
        """What a gateway or service needs to verify this provider's tokens."""
        return {
            "ONEDOOR_JWT_JWKS_URL": self.jwks_url,
            "ONEDOOR_JWT_ISSUER": self.issuer,
            "ONEDOOR_JWT_AUDIENCE": self.audience,
            "ONEDOOR_PORTAL_OIDC_CLIENT_ID": self.client_id,
        }

    def __enter__(self) -> OidcProvider:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
