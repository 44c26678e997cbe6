from __future__ import annotations

from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from shared.auth import Principal, Role, TokenVerifier, issue_dev_token
from shared.errors import DomainError
from shared.settings import PlatformSettings


@pytest.fixture
def settings(keys_dir: Path) -> PlatformSettings:
    return PlatformSettings(var_dir=keys_dir)


def test_a_dev_token_round_trips_to_the_principal(settings: PlatformSettings) -> None:
    token = issue_dev_token(settings, role=Role.client, client="MINUSMA", subject="amina")
    principal = TokenVerifier(settings).verify(token)
    assert principal == Principal(subject="amina", role=Role.client, client="MINUSMA")
    assert principal.actor == "client:MINUSMA:amina"


def test_provider_tokens_carry_their_products(settings: PlatformSettings) -> None:
    token = issue_dev_token(settings, role=Role.provider, products=["MEDIATION_SUPPORT"])
    assert TokenVerifier(settings).verify(token).products == ("MEDIATION_SUPPORT",)


def refusal(settings: PlatformSettings, header: str | None) -> str:
    with pytest.raises(DomainError) as refused:
        TokenVerifier(settings).verify_header(header)
    assert refused.value.code == "UNAUTHENTICATED"
    return refused.value.message


def test_missing_malformed_expired_and_forged_tokens_are_refused(
    settings: PlatformSettings,
) -> None:
    assert "missing" in refusal(settings, None)
    assert "Bearer" in refusal(settings, "Basic abc")
    expired = issue_dev_token(settings, role=Role.admin, ttl_s=-60)
    assert "expired" in refusal(settings, f"Bearer {expired}")
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    forged = issue_dev_token(settings, role=Role.admin, private_key=other_key)
    assert "signature" in refusal(settings, f"Bearer {forged}").lower()


def test_tokens_for_another_audience_or_without_a_tenant_are_refused(
    settings: PlatformSettings,
) -> None:
    key = settings.private_key_path.read_bytes()
    claims = {"iss": settings.jwt_issuer, "sub": "x", "exp": 2_000_000_000, "role": "client"}
    wrong_audience = jwt.encode(
        {**claims, "aud": "elsewhere", "client": "MINUSMA"}, key, algorithm="RS256"
    )
    refusal(settings, f"Bearer {wrong_audience}")
    no_tenant = jwt.encode({**claims, "aud": settings.jwt_audience}, key, algorithm="RS256")
    assert "client" in refusal(settings, f"Bearer {no_tenant}")
    unsigned = jwt.encode(
        {**claims, "aud": settings.jwt_audience, "client": "M"}, None, algorithm="none"
    )
    refusal(settings, f"Bearer {unsigned}")


def test_the_cli_refuses_to_mint_a_token_without_its_tenant(settings: PlatformSettings) -> None:
    with pytest.raises(DomainError):
        issue_dev_token(settings, role=Role.desk_officer)


def test_roles_are_checked(settings: PlatformSettings) -> None:
    principal = Principal(subject="s", role=Role.partner, partner="AU")
    with pytest.raises(DomainError) as refused:
        principal.require(Role.admin)
    assert refused.value.code == "FORBIDDEN"
