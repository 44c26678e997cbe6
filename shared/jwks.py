"""An OIDC issuer's signing keys (JWKS), fetched off the event loop and cached.

- fetched with httpx's async client and a timeout, so a slow identity provider
  delays only the requests that need a key, never `/healthz` or anything else;
- cached for `jwt_jwks_cache_s`; a token signed with a key id the cache does not
  know (the issuer rotated its keys) refetches at once, but at most every
  `jwt_jwks_refetch_interval_s`, so a flood of forged key ids cannot hammer it;
- when a refetch fails, the keys already known stay in use;
- the JWKS address is `jwt_jwks_url`, or found through OIDC discovery
  (`<issuer>/.well-known/openid-configuration`, its `jwks_uri`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import httpx
import jwt

from shared.settings import PlatformSettings

log = logging.getLogger(__name__)


class JwksUnavailable(RuntimeError):
    pass


class JwksKeys:
    def __init__(self, settings: PlatformSettings) -> None:
        self._settings = settings
        self._jwks_url = settings.jwt_jwks_url
        self._keys: dict[str | None, jwt.PyJWK] = {}
        self._fetched_at = -float("inf")
        self._attempted_at = -float("inf")
        self._lock = asyncio.Lock()
        self.fetches = 0

    async def key(self, kid: str | None) -> jwt.PyJWK:
        """The signing key `kid` names (a JWKS of one key also serves tokens without one)."""
        if self._find(kid) is None or self._expired():
            await self._refresh(kid)
        found = self._find(kid)
        if found is None:
            raise jwt.InvalidKeyError(f"the issuer has no signing key '{kid}'")
        return found

    def _find(self, kid: str | None) -> jwt.PyJWK | None:
        if kid is None and len(self._keys) == 1:
            return next(iter(self._keys.values()))
        return self._keys.get(kid)

    def _expired(self) -> bool:
        return time.monotonic() - self._fetched_at > self._settings.jwt_jwks_cache_s

    async def _refresh(self, kid: str | None) -> None:
        # One fetch at a time: a request that arrives while another fetches waits for
        # that fetch (its key is then usually known) instead of failing or fetching again.
        async with self._lock:
            if self._find(kid) is not None and not self._expired():
                return  # another request refreshed while this one waited
            since_attempt = time.monotonic() - self._attempted_at
            if since_attempt < self._settings.jwt_jwks_refetch_interval_s:
                return  # rate limit: unknown key ids cannot make us hammer the issuer
            self._attempted_at = time.monotonic()
            try:
                keys = await self._fetch()
            except (httpx.HTTPError, ValueError, jwt.PyJWTError) as error:
                reason = self._reason(error)
                if not self._keys:
                    raise JwksUnavailable(f"signing keys unavailable: {reason}") from error
                log.warning(
                    "JWKS refetch failed, keeping %d known keys: %s", len(self._keys), reason
                )
                return
            self._keys, self._fetched_at = keys, time.monotonic()

    def _reason(self, error: Exception) -> str:
        # httpx's timeouts say nothing by themselves ("ReadTimeout('')").
        if isinstance(error, httpx.TimeoutException):
            timeout = self._settings.jwt_jwks_timeout_s
            return f"{error.request.url} did not answer within {timeout:g} s"
        return repr(error)

    async def _fetch(self) -> dict[str | None, jwt.PyJWK]:
        self.fetches += 1
        async with httpx.AsyncClient(timeout=self._settings.jwt_jwks_timeout_s) as http:
            url = self._jwks_url or await self._discover(http)
            response = await http.get(url)
            response.raise_for_status()
            document: dict[str, Any] = response.json()
        signing = [key for key in document.get("keys", []) if key.get("use", "sig") == "sig"]
        keys = jwt.PyJWKSet.from_dict({"keys": signing}).keys
        log.info("fetched %d signing keys from %s", len(keys), url)
        return {key.key_id: key for key in keys}

    async def _discover(self, http: httpx.AsyncClient) -> str:
        issuer = self._settings.jwt_issuer
        response = await http.get(issuer.rstrip("/") + "/.well-known/openid-configuration")
        response.raise_for_status()
        configuration: dict[str, Any] = response.json()
        if configuration.get("issuer") != issuer:
            raise ValueError(f"discovery names issuer {configuration.get('issuer')!r}")
        self._jwks_url = str(configuration["jwks_uri"])
        return self._jwks_url
