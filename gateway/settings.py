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
    notifications_url: str = "http://127.0.0.1:8105"
    insights_url: str = "http://127.0.0.1:8106"
    max_query_depth: int = Field(default=10, ge=2)
    # What one operation may ask for (gateway/limits.py): aliases, tokens, an estimated
    # cost (fields times page sizes), items in a list argument, and the body's bytes.
    max_aliases: int = Field(default=30, ge=1)
    max_tokens: int = Field(default=5000, ge=100)
    max_query_cost: int = Field(default=10_000, ge=100)
    max_list_items: int = Field(default=200, ge=1)
    max_body_bytes: int = Field(default=1_000_000, ge=1000)
    service_timeout_s: float = Field(default=10.0, gt=0)
    # An attachment upload's body (gateway/attachments.py): the desks service's own limit
    # (ONEDOOR_ATTACHMENT_MAX_BYTES) plus the form's few bytes; and how long one may take.
    max_upload_bytes: int = Field(default=25 * 1024 * 1024 + 64 * 1024, ge=1000)
    upload_timeout_s: float = Field(default=300.0, gt=0)
    max_connections_per_service: int = Field(default=100, ge=1)
    # Events a subscriber may fall behind by before its subscription is ended.
    live_queue_size: int = Field(default=1000, ge=1)
    # Browser origins allowed to call the API (comma-separated; empty: no CORS).
    cors_origins: str = ""
    # The built portal the gateway serves at / (`make run` builds it with npm).
    portal_dist_dir: Path = Path(__file__).resolve().parent.parent / "portal" / "dist"
    # OpenID Connect sign-in for the portal, used with a remote issuer (a JWKS URL or
    # OIDC discovery): the issuer's URL (default: jwt_issuer), the client id and scopes.
    portal_oidc_authority: str | None = None
    portal_oidc_client_id: str = "onedoor-portal"
    portal_oidc_scope: str = "openid profile"
