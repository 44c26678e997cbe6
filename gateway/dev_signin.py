"""Embedded sign-in for the portal: mint a dev token for a chosen role and binding.

It exists only while the gateway verifies tokens with the embedded dev key (no
JWKS URL configured), exactly like `onedoor token`. With an OpenID Connect
issuer configured the portal signs in there instead (`GET /auth/config` says which).
"""

from __future__ import annotations

import jwt
from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from gateway.settings import GatewaySettings
from shared.auth import Role, issue_dev_token
from shared.errors import DomainError


class DevSignIn(BaseModel):
    role: Role
    subject: str | None = Field(default=None, max_length=100)
    client: str | None = Field(default=None, max_length=50)
    desk: str | None = Field(default=None, max_length=50)
    products: list[str] = Field(default_factory=list, max_length=20)
    partner: str | None = Field(default=None, max_length=50)
    # Short sessions let a person (or a test) see expiry; a working day at most.
    ttl_s: int = Field(default=8 * 3600, ge=30, le=12 * 3600)


class DevToken(BaseModel):
    token: str
    expires_at: int


def auth_router(settings: GatewaySettings) -> APIRouter:
    router = APIRouter(prefix="/auth", tags=["portal sign-in"])
    embedded = not settings.verifies_with_remote_issuer

    @router.get("/config")
    async def config() -> dict[str, str | None]:
        """How the portal signs people in: the embedded issuer, or OpenID Connect."""
        if embedded:
            return {"mode": "dev"}
        return {
            "mode": "oidc",
            "authority": settings.portal_oidc_authority or settings.jwt_issuer,
            "client_id": settings.portal_oidc_client_id,
            "scope": settings.portal_oidc_scope,
            "resource": settings.jwt_audiences[0],
        }

    if embedded:

        @router.post("/dev-token", response_model=DevToken)
        async def dev_token(sign_in: DevSignIn) -> DevToken | JSONResponse:
            try:
                token = issue_dev_token(
                    settings,
                    role=sign_in.role,
                    subject=sign_in.subject or None,
                    client=sign_in.client or None,
                    desk=sign_in.desk or None,
                    products=sign_in.products or None,
                    partner=sign_in.partner or None,
                    ttl_s=sign_in.ttl_s,
                )
            except DomainError as refusal:  # a role without its binding
                return JSONResponse(refusal.body(), status_code=refusal.http_status)
            claims = jwt.decode(token, options={"verify_signature": False})  # our own token
            return DevToken(token=token, expires_at=int(claims["exp"]))

    return router


def include_auth(app: FastAPI, settings: GatewaySettings) -> None:
    app.include_router(auth_router(settings))
