from __future__ import annotations

from pathlib import Path

from pydantic import Field

from shared.settings import PlatformSettings


class GatewaySettings(PlatformSettings):
    host: str = "127.0.0.1"
    port: int = 8000
    desks_url: str = "http://127.0.0.1:8101"
    products_url: str = "http://127.0.0.1:8102"
    lessons_url: str = "http://127.0.0.1:8103"
    partnerships_url: str = "http://127.0.0.1:8104"
    max_query_depth: int = Field(default=10, ge=2)
    service_timeout_s: float = Field(default=10.0, gt=0)
    max_connections_per_service: int = Field(default=100, ge=1)
    # Events a subscriber may fall behind by before its subscription is ended.
    live_queue_size: int = Field(default=1000, ge=1)
    # The built portal the gateway serves at / (`make run` builds it with npm).
    portal_dist_dir: Path = Path(__file__).resolve().parent.parent / "portal" / "dist"
    # OpenID Connect sign-in for the portal (used when jwt_jwks_url is set): the
    # issuer's URL (default: jwt_issuer), the portal's public client id and scopes.
    portal_oidc_authority: str | None = None
    portal_oidc_client_id: str = "onedoor-portal"
    portal_oidc_scope: str = "openid profile"
