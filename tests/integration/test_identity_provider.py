"""Tokens from an OIDC-style issuer on loopback: discovery, JWKS, rotation, a slow issuer.

The issuer is a real HTTP server (standard discovery document and JWKS) in a thread;
the verifier and a real gateway process fetch its keys over HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from shared.auth import Role, TokenVerifier
from shared.errors import DomainError
from shared.processes import EmbeddedBroker, free_port, start_child, stop_process
from shared.settings import PlatformSettings

SigningKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


class LoopbackIssuer:
    """An identity provider's public face: discovery and a JWKS that can rotate or stall."""

    def __init__(self) -> None:
        self.keys: dict[str, SigningKey] = {}
        self.delay_s = 0.0
        self.jwks_requests = 0
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/.well-known/openid-configuration":
                    body = {"issuer": issuer.url, "jwks_uri": issuer.url + "/jwks"}
                elif self.path == "/jwks":
                    issuer.jwks_requests += 1
                    time.sleep(issuer.delay_s)
                    body = issuer.jwks()
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                with contextlib.suppress(ConnectionError):  # a client that gave up waiting
                    self.wfile.write(data)

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def jwks(self) -> dict[str, Any]:
        keys = []
        for kid, key in self.keys.items():
            algorithm = (
                jwt.algorithms.RSAAlgorithm
                if isinstance(key, rsa.RSAPrivateKey)
                else (jwt.algorithms.ECAlgorithm)
            )
            public = json.loads(algorithm.to_jwk(key.public_key()))
            keys.append({**public, "kid": kid, "use": "sig"})
        return {"keys": keys}

    def rotate(self, kid: str, key: SigningKey | None = None) -> None:
        """Publish only `kid` from now on (a fresh RSA key unless given one)."""
        self.keys = {kid: key or rsa.generate_private_key(public_exponent=65537, key_size=2048)}

    def token(self, kid: str, key: SigningKey | None = None, **claims: Any) -> str:
        key = key or self.keys[kid]
        algorithm = "RS256" if isinstance(key, rsa.RSAPrivateKey) else "ES256"
        now = int(time.time())
        payload = {"iss": self.url, "aud": "onedoor", "sub": "u-1", "iat": now, "exp": now + 300}
        return jwt.encode(payload | claims, key, algorithm=algorithm, headers={"kid": kid})

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def issuer() -> Iterator[LoopbackIssuer]:
    running = LoopbackIssuer()
    try:
        yield running
    finally:
        running.stop()


def settings_for(issuer: LoopbackIssuer, **changes: Any) -> PlatformSettings:
    return PlatformSettings(jwt_issuer=issuer.url, jwt_oidc_discovery=True, **changes)


async def test_requests_arriving_during_the_first_fetch_wait_for_it(
    issuer: LoopbackIssuer,
) -> None:
    """A page opens a websocket and posts a query at once: neither may fail because the
    other started fetching the keys (the rate limit must not refuse a waiting request)."""
    issuer.rotate("k1")
    issuer.delay_s = 0.3
    verifier = TokenVerifier(settings_for(issuer))
    tokens = [issuer.token("k1", role="hq_analyst", sub=f"u-{n}") for n in range(5)]
    principals = await asyncio.gather(*(verifier.verify(token) for token in tokens))
    assert [principal.subject for principal in principals] == [f"u-{n}" for n in range(5)]
    assert issuer.jwks_requests == 1


async def test_rs256_and_es256_tokens_verify_through_discovery(issuer: LoopbackIssuer) -> None:
    issuer.rotate("rsa-1")
    elliptic = ec.generate_private_key(ec.SECP256R1())
    issuer.keys["ec-1"] = elliptic
    verifier = TokenVerifier(settings_for(issuer))
    rsa_principal = await verifier.verify(issuer.token("rsa-1", role="admin"))
    ec_principal = await verifier.verify(issuer.token("ec-1", role="client", client="MINUSMA"))
    assert (rsa_principal.role, ec_principal.client) == (Role.admin, "MINUSMA")
    assert issuer.jwks_requests == 1, "the keys are cached"


async def test_a_rotated_key_is_fetched_once_and_unknown_key_ids_are_rate_limited(
    issuer: LoopbackIssuer,
) -> None:
    issuer.rotate("2026-01")
    verifier = TokenVerifier(settings_for(issuer, jwt_jwks_refetch_interval_s=1.5))
    await verifier.verify(issuer.token("2026-01", role="hq_analyst"))
    await asyncio.sleep(1.6)
    issuer.rotate("2026-02")
    rotated = issuer.token("2026-02", role="hq_analyst")
    assert (await verifier.verify(rotated)).role == Role.hq_analyst
    assert issuer.jwks_requests == 2
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    for attempt in range(20):
        with pytest.raises(DomainError, match="no signing key"):
            await verifier.verify(issuer.token(f"forged-{attempt}", key=stranger, role="admin"))
    assert issuer.jwks_requests == 2, "unknown key ids must not refetch within the interval"
    await verifier.verify(rotated)


async def test_a_refetch_that_fails_keeps_the_known_keys(issuer: LoopbackIssuer) -> None:
    issuer.rotate("k1")
    settings = settings_for(issuer, jwt_jwks_refetch_interval_s=0, jwt_jwks_timeout_s=0.3)
    verifier = TokenVerifier(settings)
    token = issuer.token("k1", role="admin")
    await verifier.verify(token)
    issuer.delay_s = 1.0
    with pytest.raises(DomainError, match="no signing key"):
        await verifier.verify(issuer.token("k2", key=issuer.keys["k1"], role="admin"))
    assert (await verifier.verify(token)).role == Role.admin


async def test_a_slow_jwks_endpoint_delays_only_the_requests_that_need_keys(
    issuer: LoopbackIssuer, broker: EmbeddedBroker, namespace: str, tmp_path: Path
) -> None:
    """A real gateway process behind a JWKS endpoint that answers after 6 s, with a 2 s
    timeout. Checked by what happened, not by wall time (a loaded machine stretches
    that): /healthz answered while the GraphQL request still waited for keys, and that
    request was refused because the fetch timed out (had it waited for the JWKS, the
    key would have been found and the query answered)."""
    issuer.rotate("slow")
    issuer.delay_s = 6.0
    port = free_port()
    env = {
        "ONEDOOR_PORT": str(port),
        "ONEDOOR_VAR_DIR": str(tmp_path),
        "ONEDOOR_KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers,
        "ONEDOOR_KAFKA_NAMESPACE": namespace,
        "ONEDOOR_JWT_ISSUER": issuer.url,
        "ONEDOOR_JWT_JWKS_URL": issuer.url + "/jwks",
        "ONEDOOR_JWT_JWKS_TIMEOUT_S": "2",
    }
    gateway = start_child([sys.executable, "-m", "gateway"], env, tmp_path / "gateway.log")
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            for _ in range(200):
                try:
                    if (await http.get(base + "/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            graphql = asyncio.create_task(
                http.post(
                    base + "/graphql",
                    json={"query": "{ products { code } }"},
                    headers={"Authorization": "Bearer " + issuer.token("slow", role="admin")},
                )
            )
            await asyncio.sleep(0.2)  # the gateway is now waiting for the JWKS
            latencies = []
            for _ in range(5):
                started = time.monotonic()
                assert (await http.get(base + "/healthz")).status_code == 200
                latencies.append(time.monotonic() - started)
            # A fetch on the event loop would have held these five behind it.
            health_answered_while_waiting = not graphql.done()
            answer = (await graphql).json()
    finally:
        stop_process(gateway)
    assert health_answered_while_waiting, "/healthz waited for the JWKS fetch"
    assert answer["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", answer
    message = answer["errors"][0]["message"]
    assert "signing keys unavailable" in message and "did not answer within 2 s" in message
    print(f"/healthz behind a 6 s JWKS: max {max(latencies) * 1000:.1f} ms")
