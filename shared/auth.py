"""Authentication and the caller's identity.

Bearer JWTs. In the embedded mode a dev key pair is generated into `var/keys`
on first run and `onedoor token` signs tokens with it (RS256); in production
tokens come from an OIDC issuer and are verified against its JWKS (RS256 or
ES256, `shared/jwks.py`). Issuer, audiences, clock leeway and where the role and
the tenant sit in the claims are settings (`ONEDOOR_JWT_*`, deploy/README.md).
Every service verifies the token itself: the gateway is not the only guard.
"""

from __future__ import annotations

import functools
import os
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import Depends, Request

from shared.errors import DomainError
from shared.jwks import JwksKeys, JwksUnavailable
from shared.settings import PlatformSettings

ALGORITHM = "RS256"
# Verified tokens remembered per process: a caller sends the same token with every
# request, and checking its signature again costs about 0.5 ms each time. An entry
# lasts until the token expires, and at most VERIFIED_TTL_S, so a key the issuer
# withdraws stops being honoured soon after; a token not remembered is verified in full.
VERIFIED_TOKENS = 4096
VERIFIED_TTL_S = 60.0


class Role(StrEnum):
    client = "client"
    desk_officer = "desk_officer"
    provider = "provider"
    partner = "partner"
    hq_analyst = "hq_analyst"
    admin = "admin"


_ROLE_NAMES = frozenset(role.value for role in Role)
HQ_ROLES = frozenset({Role.desk_officer, Role.provider, Role.hq_analyst, Role.admin})


@dataclass(frozen=True)
class Principal:
    """Who is calling, and the tenant they are bound to."""

    subject: str
    role: Role
    client: str | None = None
    desk: str | None = None
    products: tuple[str, ...] = field(default_factory=tuple)
    partner: str | None = None

    @property
    def actor(self) -> str:
        """How the caller appears in timelines: role, tenant and subject."""
        tenant = self.client or self.desk or self.partner or ",".join(self.products)
        return (
            f"{self.role.value}:{tenant}:{self.subject}"
            if tenant
            else f"{self.role}:{self.subject}"
        )

    def require(self, *roles: Role) -> None:
        if self.role not in roles:
            allowed = ", ".join(sorted(role.value for role in roles))
            raise DomainError("FORBIDDEN", f"role '{self.role}' may not do this (needs {allowed})")


# Which tenant claim each role must carry.
_TENANT_CLAIM: dict[Role, str | None] = {
    Role.client: "client",
    Role.desk_officer: "desk",
    Role.provider: "products",
    Role.partner: "partner",
    Role.hq_analyst: None,
    Role.admin: None,
}


def claim(claims: dict[str, Any], path: str) -> Any:
    """The value at a dotted path (`realm_access.roles`), or None."""
    value: Any = claims
    for name in path.split("."):
        value = value.get(name) if isinstance(value, dict) else None
    return value


def _role(value: Any) -> Role:
    """The one OneDoor role a claim names; a list may carry other roles (ignored)."""
    names = value if isinstance(value, list) else [value]
    roles = {Role(name) for name in names if name in _ROLE_NAMES}
    if len(roles) != 1:
        found = "several OneDoor roles" if roles else "no valid role"
        raise DomainError("UNAUTHENTICATED", f"token carries {found}")
    return roles.pop()


def _products(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(code for code in value.replace(",", " ").split() if code)
    return tuple(str(code) for code in value or ())


def principal_from_claims(
    claims: dict[str, Any], role_claim: str = "role", tenant_claim: str | None = None
) -> Principal:
    """Who the claims name. The tenant is the role's own claim (`client`, `desk`,
    `products`, `partner`) unless `tenant_claim` says where every role's tenant is."""
    role = _role(claim(claims, role_claim))
    tenant_field = _TENANT_CLAIM[role]
    tenant: dict[str, Any] = {}
    if tenant_field:
        value = claim(claims, tenant_claim or tenant_field)
        if tenant_field == "products":
            tenant["products"] = _products(value)
        elif isinstance(value, str | int):
            tenant[tenant_field] = str(value)
    principal = Principal(subject=str(claims.get("sub", "")), role=role, **tenant)
    if not principal.subject:
        raise DomainError("UNAUTHENTICATED", "token has no subject")
    if tenant_field and not getattr(principal, tenant_field):
        raise DomainError(
            "UNAUTHENTICATED", f"a {role.value} token must carry '{tenant_claim or tenant_field}'"
        )
    return principal


class TokenVerifier:
    """Verifies bearer tokens against a PEM public key or an OIDC issuer's JWKS."""

    def __init__(self, settings: PlatformSettings) -> None:
        self._settings = settings
        self._audiences = settings.jwt_audiences
        self._algorithms = [a.strip() for a in settings.jwt_algorithms.split(",") if a.strip()]
        remote = settings.verifies_with_remote_issuer
        self.jwks = JwksKeys(settings) if remote else None
        # Parsed once: PyJWT would parse the PEM again for every token.
        self._public_key = (
            None
            if remote
            else serialization.load_pem_public_key(settings.public_key_path.read_bytes())
        )
        # token -> (its principal, monotonic time until which it may be answered unverified)
        self._verified: OrderedDict[str, tuple[Principal, float]] = OrderedDict()

    async def verify(self, token: str) -> Principal:
        remembered = self._verified.get(token)
        if remembered is not None and time.monotonic() < remembered[1]:
            self._verified.move_to_end(token)
            return remembered[0]
        principal, expires_at = await self._verify_in_full(token)
        self._remember(token, principal, expires_at)
        return principal

    def _remember(self, token: str, principal: Principal, expires_at: float) -> None:
        lifetime_s = expires_at + self._settings.jwt_leeway_s - time.time()
        self._verified[token] = (principal, time.monotonic() + min(lifetime_s, VERIFIED_TTL_S))
        self._verified.move_to_end(token)
        while len(self._verified) > VERIFIED_TOKENS:
            self._verified.popitem(last=False)

    async def _verify_in_full(self, token: str) -> tuple[Principal, float]:
        """The token's principal and expiry time (epoch seconds), or UNAUTHENTICATED."""
        settings = self._settings
        try:
            claims = jwt.decode(
                token,
                await self._key(token),
                algorithms=self._algorithms,
                audience=self._audiences,
                issuer=settings.jwt_issuer,
                leeway=settings.jwt_leeway_s,
                options={"require": ["exp", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as error:
            raise DomainError("UNAUTHENTICATED", "token expired") from error
        except jwt.PyJWTError as error:
            raise DomainError("UNAUTHENTICATED", f"invalid token: {error}") from error
        except JwksUnavailable as error:
            raise DomainError("UNAUTHENTICATED", str(error)) from error
        principal = principal_from_claims(
            claims, settings.jwt_role_claim, settings.jwt_tenant_claim
        )
        return principal, float(claims["exp"])

    async def _key(self, token: str) -> Any:
        if self.jwks is None:
            return self._public_key
        return (await self.jwks.key(jwt.get_unverified_header(token).get("kid"))).key

    async def verify_header(self, authorization: str | None) -> Principal:
        if not authorization:
            raise DomainError("UNAUTHENTICATED", "missing bearer token")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise DomainError("UNAUTHENTICATED", "expected 'Authorization: Bearer <token>'")
        return await self.verify(token.strip())


async def _authenticate(request: Request) -> Principal:
    verifier: TokenVerifier = request.app.state.token_verifier
    return await verifier.verify_header(request.headers.get("authorization"))


CurrentPrincipal = Annotated[Principal, Depends(_authenticate)]


def ensure_dev_keypair(settings: PlatformSettings) -> None:
    """Create the embedded mode's signing key pair once; later runs reuse it."""
    private_path, public_path = settings.private_key_path, settings.public_key_path
    if private_path.exists() and public_path.exists():
        return
    private_path.parent.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    _write_private(private_path, private_pem)
    public_path.write_bytes(public_pem)


def _write_private(path: Path, data: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)


def issue_dev_token(
    settings: PlatformSettings,
    *,
    role: Role,
    subject: str | None = None,
    client: str | None = None,
    desk: str | None = None,
    products: list[str] | None = None,
    partner: str | None = None,
    ttl_s: int = 12 * 3600,
    private_key: bytes | None = None,
) -> str:
    """Sign a dev token with the embedded key (or `private_key`, for tests)."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audiences[0],
        "sub": subject or f"dev-{role.value}",
        "role": role.value,
        "iat": now,
        "nbf": now,
        "exp": now + ttl_s,
        "jti": uuid.uuid4().hex,
    }
    tenant = {"client": client, "desk": desk, "products": products, "partner": partner}
    claims.update({name: value for name, value in tenant.items() if value})
    principal_from_claims(claims)  # refuse to mint a token no service would accept
    pem = private_key if private_key is not None else settings.private_key_path.read_bytes()
    return jwt.encode(claims, _signing_key(pem), algorithm=ALGORITHM)


@functools.lru_cache(maxsize=8)
def _signing_key(pem: bytes) -> rsa.RSAPrivateKey:
    # Parsing checks the RSA key's consistency, tens of ms of CPU: once per key, not per
    # token (the portal's embedded sign-in and every test mint many).
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError(f"{ALGORITHM} signs with an RSA key, not {type(key).__name__}")
    return key
