from __future__ import annotations

import time
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from shared.auth import Principal, Role, TokenVerifier, issue_dev_token, principal_from_claims
from shared.errors import DomainError
from shared.settings import PlatformSettings


@pytest.fixture
def settings(keys_dir: Path) -> PlatformSettings:
    return PlatformSettings(var_dir=keys_dir)


async def test_a_dev_token_round_trips_to_the_principal(settings: PlatformSettings) -> None:
    token = issue_dev_token(settings, role=Role.client, client="MINUSMA", subject="amina")
    principal = await TokenVerifier(settings).verify(token)
    assert principal == Principal(subject="amina", role=Role.client, client="MINUSMA")
    assert principal.actor == "client:MINUSMA:amina"


async def test_provider_tokens_carry_their_products(settings: PlatformSettings) -> None:
    token = issue_dev_token(settings, role=Role.provider, products=["MEDIATION_SUPPORT"])
    assert (await TokenVerifier(settings).verify(token)).products == ("MEDIATION_SUPPORT",)


async def refusal(settings: PlatformSettings, header: str | None) -> str:
    with pytest.raises(DomainError) as refused:
        await TokenVerifier(settings).verify_header(header)
    assert refused.value.code == "UNAUTHENTICATED"
    return refused.value.message


async def test_missing_malformed_expired_and_forged_tokens_are_refused(
    settings: PlatformSettings,
) -> None:
    assert "missing" in await refusal(settings, None)
    assert "Bearer" in await refusal(settings, "Basic abc")
    expired = issue_dev_token(settings, role=Role.admin, ttl_s=-60)
    assert "expired" in await refusal(settings, f"Bearer {expired}")
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    forged = issue_dev_token(settings, role=Role.admin, private_key=other_key)
    assert "signature" in (await refusal(settings, f"Bearer {forged}")).lower()


async def test_tokens_for_another_audience_or_without_a_tenant_are_refused(
    settings: PlatformSettings,
) -> None:
    key = settings.private_key_path.read_bytes()
    claims = {"iss": settings.jwt_issuer, "sub": "x", "exp": 2_000_000_000, "role": "client"}
    wrong_audience = jwt.encode(
        {**claims, "aud": "elsewhere", "client": "MINUSMA"}, key, algorithm="RS256"
    )
    await refusal(settings, f"Bearer {wrong_audience}")
    no_tenant = jwt.encode({**claims, "aud": settings.jwt_audience}, key, algorithm="RS256")
    assert "client" in await refusal(settings, f"Bearer {no_tenant}")
    unsigned = jwt.encode(
        {**claims, "aud": settings.jwt_audience, "client": "M"}, None, algorithm="none"
    )
    await refusal(settings, f"Bearer {unsigned}")


def test_the_cli_refuses_to_mint_a_token_without_its_tenant(settings: PlatformSettings) -> None:
    with pytest.raises(DomainError):
        issue_dev_token(settings, role=Role.desk_officer)


def test_roles_are_checked(settings: PlatformSettings) -> None:
    principal = Principal(subject="s", role=Role.partner, partner="AU")
    with pytest.raises(DomainError) as refused:
        principal.require(Role.admin)
    assert refused.value.code == "FORBIDDEN"


def test_keycloak_style_claims_map_to_a_principal() -> None:
    claims = {
        "sub": "f3a1",
        "realm_access": {"roles": ["offline_access", "desk_officer", "uma_authorization"]},
        "onedoor_tenant": "AFRICA_II",
    }
    principal = principal_from_claims(claims, "realm_access.roles", "onedoor_tenant")
    assert principal == Principal(subject="f3a1", role=Role.desk_officer, desk="AFRICA_II")
    provider = {**claims, "realm_access": {"roles": ["provider"]}, "onedoor_tenant": "A B"}
    assert principal_from_claims(provider, "realm_access.roles", "onedoor_tenant").products == (
        "A",
        "B",
    )
    with pytest.raises(DomainError, match="several OneDoor roles"):
        principal_from_claims(
            {**claims, "realm_access": {"roles": ["admin", "client"]}}, "realm_access.roles"
        )
    with pytest.raises(DomainError, match="onedoor_tenant"):
        principal_from_claims(
            {**claims, "onedoor_tenant": None}, "realm_access.roles", "onedoor_tenant"
        )


async def test_clock_skew_within_the_leeway_is_accepted(settings: PlatformSettings) -> None:
    key = settings.private_key_path.read_bytes()
    now = int(time.time())
    claims = {"iss": settings.jwt_issuer, "aud": settings.jwt_audience, "sub": "s"}
    claims |= {"role": "admin", "exp": now + 60}
    # The issuer's clock runs 5 s ahead of ours: the token is not valid yet, here.
    ahead = jwt.encode({**claims, "iat": now + 5, "nbf": now + 5}, key, algorithm="RS256")
    assert (await TokenVerifier(settings).verify(ahead)).role == Role.admin
    strict = settings.model_copy(update={"jwt_leeway_s": 0})
    with pytest.raises(DomainError, match="not yet valid"):
        await TokenVerifier(strict).verify(ahead)


async def test_any_configured_audience_is_accepted(settings: PlatformSettings) -> None:
    key = settings.private_key_path.read_bytes()
    claims = {"iss": settings.jwt_issuer, "sub": "s", "role": "admin", "exp": 2_000_000_000}
    keycloak_default = jwt.encode({**claims, "aud": ["account"]}, key, algorithm="RS256")
    both = settings.model_copy(update={"jwt_audience": "onedoor, account"})
    assert (await TokenVerifier(both).verify(keycloak_default)).role == Role.admin
    with pytest.raises(DomainError, match="Audience"):
        await TokenVerifier(settings).verify(keycloak_default)


class CountingDecode:
    """jwt.decode, counting the tokens it verified in full."""

    def __init__(self) -> None:
        self.calls = 0
        self._decode = jwt.decode

    def __call__(self, *args: object, **kwargs: object) -> object:
        self.calls += 1
        return self._decode(*args, **kwargs)  # type: ignore[arg-type]


async def test_a_verified_token_is_remembered_until_it_expires(
    settings: PlatformSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings.model_copy(update={"jwt_leeway_s": 0})
    decode = CountingDecode()
    monkeypatch.setattr(jwt, "decode", decode)
    verifier = TokenVerifier(settings)
    token = issue_dev_token(settings, role=Role.client, client="MINUSMA", ttl_s=5)
    first = await verifier.verify(token)
    assert await verifier.verify(token) == first
    assert decode.calls == 1, "the same token again is not verified again"
    # Six seconds later the token has expired: it is not answered from memory.
    later = time.time() + 6, time.monotonic() + 6
    monkeypatch.setattr(
        "shared.auth.time",
        type("Later", (), {"time": lambda: later[0], "monotonic": lambda: later[1]}),
    )
    await verifier.verify(token)
    assert decode.calls == 2


async def test_a_refused_token_is_never_remembered(
    settings: PlatformSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    decode = CountingDecode()
    monkeypatch.setattr(jwt, "decode", decode)
    verifier = TokenVerifier(settings)
    expired = issue_dev_token(settings, role=Role.admin, ttl_s=-60)
    for _ in range(2):
        with pytest.raises(DomainError, match="expired"):
            await verifier.verify(expired)
    assert decode.calls == 2
