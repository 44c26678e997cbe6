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

Its login page (the provider's development interaction) takes any password;
`await provider.sign_in("liaison")` walks the authorization code flow with PKCE over
HTTP (no browser) and returns an access token. `rotate()` rotates its signing keys and
`jwks_delay_s` makes its JWKS endpoint slow.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import html
import json
import re
import secrets
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

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
        key_ids: Sequence[str] = ("key-1",),
        jwks_delay_s: float = 0.0,
        log_path: Path | None = None,
    ) -> None:
        self.audience = audience
        self.client_id = client_id
        self.redirect_uris = list(redirect_uris)
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.jwks_url = f"{self.issuer}/jwks"
        # Throwaway keys made here (not in the provider) so a rotation keeps the old ones.
        self.keys = {kid: _new_key() for kid in key_ids}
        self.signing_kid = key_ids[0]
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
            "--jwks-delay-ms",
            str(round(jwks_delay_s * 1000)),
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
                [*self._args, *self._key_args()],
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

    def rotate(self, signing_kid: str, *, retire: Sequence[str] = ()) -> None:
        """Rotate keys as an identity provider does: publish a new key `signing_kid`
        beside the old ones (less `retire`) and sign with it from now on. The provider
        restarts on the same address, so its sessions (not its issued tokens) are lost."""
        self.keys = {kid: key for kid, key in self.keys.items() if kid not in retire}
        self.keys[signing_kid] = _new_key()
        self.signing_kid = signing_kid
        self.stop()
        self.start()

    def _key_args(self) -> list[str]:
        private_jwks = [
            {**jwt.algorithms.RSAAlgorithm.to_jwk(key, as_dict=True), "kid": kid}
            for kid, key in self.keys.items()
        ]
        return ["--keys", json.dumps({"keys": private_jwks}), "--signing-kid", self.signing_kid]

    async def sign_in(self, login: str, *, redirect_uri: str | None = None) -> str:
        """An access token for `login`, got as the portal gets it (authorization code
        flow with PKCE, through the provider's login form) but driven by httpx."""
        redirect_uri = redirect_uri or self.redirect_uris[0]
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        state = secrets.token_urlsafe(16)
        async with httpx.AsyncClient(base_url=self.issuer, timeout=10) as http:
            login_page = await _follow(
                http,
                await http.get(
                    "/auth",
                    params={
                        "client_id": self.client_id,
                        "response_type": "code",
                        "redirect_uri": redirect_uri,
                        "scope": "openid",
                        "state": state,
                        "code_challenge": challenge.rstrip(b"=").decode(),
                        "code_challenge_method": "S256",
                    },
                ),
                redirect_uri,
            )
            form = re.search(r'<form[^>]*action="([^"]+)"', login_page.text)
            if form is None:
                raise RuntimeError(f"no login form at {login_page.url}: {login_page.text[:300]}")
            submitted = await http.post(
                urljoin(str(login_page.url), html.unescape(form[1])),
                data={"prompt": "login", "login": login, "password": "any"},
            )
            callback = (await _follow(http, submitted, redirect_uri)).headers.get("location", "")
            if not callback.startswith(redirect_uri):
                raise RuntimeError(f"the sign-in of {login!r} ended away from {redirect_uri}")
            answer = parse_qs(urlsplit(callback).query)
            if answer.get("state") != [state] or "code" not in answer:
                raise RuntimeError(f"the provider refused the sign-in: {answer}")
            token = await http.post(
                "/token",
                data={
                    "grant_type": "authorization_code",
                    "code": answer["code"][0],
                    "redirect_uri": redirect_uri,
                    "client_id": self.client_id,
                    "code_verifier": verifier,
                },
            )
            token.raise_for_status()
            return str(token.json()["access_token"])

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


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


async def _follow(
    http: httpx.AsyncClient, response: httpx.Response, redirect_uri: str, hops: int = 10
) -> httpx.Response:
    """Follow the provider's redirects (keeping its cookies) up to a page, or up to the
    redirect to `redirect_uri` (returned unfollowed: nothing listens there)."""
    for _ in range(hops):
        location = response.headers.get("location")
        if not response.is_redirect or location is None:
            response.raise_for_status()
            return response
        if location.startswith(redirect_uri):
            return response
        response = await http.get(urljoin(str(response.url), location))
    raise RuntimeError(f"more than {hops} redirects from the provider")
