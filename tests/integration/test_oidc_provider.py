"""Tokens from a real OpenID provider on loopback (oidc-provider, the one the portal's
tests use), got through its authorization code flow with PKCE over HTTP, no browser:
the verifier finds the keys by OIDC discovery, follows a key rotation, and gives up on
a slow JWKS endpoint in time without blocking the event loop."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from shared.auth import Principal, Role, TokenVerifier
from shared.errors import DomainError
from shared.settings import PlatformSettings
from shared.testing.oidc import OidcProvider

AUDIENCE = "urn:onedoor:gateway"
ACCOUNTS = {
    "liaison": {"role": "client", "client": "GOV_SIERRA_LEONE"},
    "officer": {"role": "desk_officer", "desk": "AFRICA_II"},
}
# Never contacted: the code is read from the provider's redirect to it.
REDIRECT_URI = "http://127.0.0.1:9/auth/callback"


def provider_with(**options: Any) -> OidcProvider:
    return OidcProvider(
        audience=AUDIENCE, accounts=ACCOUNTS, redirect_uris=[REDIRECT_URI], **options
    )


@pytest.fixture
def provider() -> Iterator[OidcProvider]:
    with provider_with(key_ids=["2026-01"]) as started:
        yield started


def verifier_for(provider: OidcProvider, **changes: Any) -> TokenVerifier:
    """Configured as a deployer would: issuer and audience, keys found by discovery."""
    settings = {"jwt_audience": provider.audience, **changes}
    return TokenVerifier(
        PlatformSettings(jwt_issuer=provider.issuer, jwt_oidc_discovery=True, **settings)
    )


def kid_of(token: str) -> str:
    return str(jwt.get_unverified_header(token)["kid"])


def forged(token: str, kid: str, **claims: Any) -> str:
    """The token's claims (changed by `claims`) signed by a key the provider never had."""
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    payload = jwt.decode(token, options={"verify_signature": False}) | claims
    return jwt.encode(payload, stranger, algorithm="RS256", headers={"kid": kid})


def tampered(token: str, **claims: Any) -> str:
    """The provider's own signature over claims it never signed."""
    header, payload, signature = token.split(".")
    changed = json.loads(base64.urlsafe_b64decode(payload + "==")) | claims
    encoded = base64.urlsafe_b64encode(json.dumps(changed).encode()).rstrip(b"=").decode()
    return f"{header}.{encoded}.{signature}"


async def refused(verifier: TokenVerifier, token: str) -> str:
    with pytest.raises(DomainError) as refusal:
        await verifier.verify(token)
    assert refusal.value.code == "UNAUTHENTICATED"
    return str(refusal.value)


async def test_a_code_flow_token_verifies_through_discovery(provider: OidcProvider) -> None:
    verifier = verifier_for(provider)
    liaison = await provider.sign_in("liaison")
    officer = await provider.sign_in("officer")
    assert await verifier.verify(liaison) == Principal(
        subject="liaison", role=Role.client, client="GOV_SIERRA_LEONE"
    )
    assert await verifier.verify(officer) == Principal(
        subject="officer", role=Role.desk_officer, desk="AFRICA_II"
    )
    assert verifier.jwks is not None and verifier.jwks.fetches == 1, "the keys are cached"

    other_audience = verifier_for(provider, jwt_audience="urn:onedoor:elsewhere")
    assert "audience" in (await refused(other_audience, liaison)).lower()
    escalated = tampered(liaison, role="admin")
    assert "signature" in (await refused(verifier, escalated)).lower()


async def test_a_rotated_signing_key_is_refetched_and_unknown_keys_refused(
    provider: OidcProvider,
) -> None:
    verifier = verifier_for(provider, jwt_jwks_refetch_interval_s=0)
    before = await provider.sign_in("liaison")
    assert kid_of(before) == "2026-01"
    await verifier.verify(before)  # caches the key set {2026-01}

    provider.rotate("2026-02")
    after = await provider.sign_in("liaison")
    assert kid_of(after) == "2026-02"
    assert (await verifier.verify(after)).client == "GOV_SIERRA_LEONE"
    assert (await verifier.verify(before)).client == "GOV_SIERRA_LEONE", "old key still published"
    assert verifier.jwks is not None and verifier.jwks.fetches == 2, "one refetch, on the new kid"

    assert "no signing key" in await refused(verifier, forged(after, "2026-03"))
    assert "signature" in (await refused(verifier, forged(after, "2026-02"))).lower()
    provider.rotate("2026-03", retire=["2026-01"])
    fresh = verifier_for(provider)
    assert (await fresh.verify(await provider.sign_in("officer"))).desk == "AFRICA_II"
    assert "no signing key '2026-01'" in await refused(fresh, before), "a retired key is unknown"


async def test_a_slow_jwks_endpoint_times_out_without_blocking_the_loop() -> None:
    with provider_with(jwks_delay_s=5.0) as slow:
        token = await slow.sign_in("liaison")  # only the JWKS is slow, not the sign-in
        verifier = verifier_for(slow, jwt_jwks_timeout_s=0.5)
        # Turns the event loop takes while the verification waits on the JWKS. A fetch
        # that blocked the loop would allow none; counting turns rather than timing the
        # gaps between them keeps the test meaningful on a loaded machine.
        turns = 0

        async def turn_the_loop() -> None:
            nonlocal turns
            while True:
                turns += 1
                await asyncio.sleep(0)

        ticker = asyncio.create_task(turn_the_loop())
        await asyncio.sleep(0)
        turns_before = turns
        started = time.monotonic()
        try:
            reason = await refused(verifier, token)
        finally:
            ticker.cancel()
        waited = time.monotonic() - started
    assert "did not answer within 0.5 s" in reason, reason
    assert 0.5 <= waited < 5.0, f"gave up after {waited:.2f}s, not before the JWKS (5 s) answered"
    assert turns - turns_before >= 10, f"the loop turned {turns - turns_before} times while waiting"
