"""The gateway serves the built portal (SPA fallback, cache headers) and, only with the
embedded dev issuer, mints portal sign-in tokens; the API routes stay as they were."""

from __future__ import annotations

from pathlib import Path

import jwt
import pytest
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.settings import GatewaySettings
from shared.auth import TokenVerifier, ensure_dev_keypair

HTML = {"accept": "text/html,application/xhtml+xml"}


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    (tmp_path / "dist" / "assets").mkdir(parents=True)
    (tmp_path / "dist" / "index.html").write_text("<!doctype html><div id=root></div>")
    (tmp_path / "dist" / "assets" / "index-abc123.js").write_text("console.log(1)")
    return tmp_path / "dist"


def gateway(tmp_path: Path, dist: Path, **settings: object) -> TestClient:
    config = GatewaySettings(var_dir=tmp_path / "var", portal_dist_dir=dist, **settings)
    ensure_dev_keypair(config)
    return TestClient(create_app(config))


def test_client_side_routes_get_the_page_never_cached(tmp_path: Path, dist: Path) -> None:
    client = gateway(tmp_path, dist)
    for path in ("/", "/requests/42", "/lessons/drafts"):
        response = client.get(path, headers=HTML)
        assert response.status_code == 200, path
        assert "id=root" in response.text
        assert response.headers["cache-control"] == "no-cache"


def test_the_home_page_answers_any_caller(tmp_path: Path, dist: Path) -> None:
    response = gateway(tmp_path, dist).get("/", headers={"accept": "*/*"})  # curl, a probe
    assert response.status_code == 200
    assert "id=root" in response.text


def test_hashed_assets_are_cached_for_a_year(tmp_path: Path, dist: Path) -> None:
    response = gateway(tmp_path, dist).get("/assets/index-abc123.js")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"


def test_api_calls_and_missing_files_stay_404_json(tmp_path: Path, dist: Path) -> None:
    client = gateway(tmp_path, dist)
    assert client.get("/assets/missing.js", headers=HTML).status_code == 404
    missing = client.get("/no-such-api")  # no text/html: an API caller, not a browser
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Not Found"}
    assert client.get("/healthz").json()["status"] == "ok"


def test_without_a_build_the_gateway_is_only_an_api(tmp_path: Path) -> None:
    client = gateway(tmp_path, tmp_path / "not-built")
    assert client.get("/", headers=HTML).status_code == 404


async def test_embedded_sign_in_mints_a_token_every_service_accepts(
    tmp_path: Path, dist: Path
) -> None:
    client = gateway(tmp_path, dist)
    assert client.get("/auth/config").json() == {"mode": "dev"}
    response = client.post(
        "/auth/dev-token", json={"role": "provider", "products": ["RULE_OF_LAW"], "ttl_s": 60}
    )
    assert response.status_code == 200
    settings = GatewaySettings(var_dir=tmp_path / "var")
    principal = await TokenVerifier(settings).verify(response.json()["token"])
    assert (principal.role, principal.products) == ("provider", ("RULE_OF_LAW",))
    claims = jwt.decode(response.json()["token"], options={"verify_signature": False})
    assert claims["exp"] == response.json()["expires_at"]


def test_a_role_without_its_binding_gets_no_token(tmp_path: Path, dist: Path) -> None:
    response = gateway(tmp_path, dist).post("/auth/dev-token", json={"role": "client"})
    assert response.status_code == 401
    assert response.json()["detail"]["code"] == "UNAUTHENTICATED"


def test_with_an_oidc_issuer_there_is_no_dev_sign_in(tmp_path: Path, dist: Path) -> None:
    client = gateway(
        tmp_path,
        dist,
        jwt_jwks_url="http://127.0.0.1:9/jwks",
        jwt_issuer="http://127.0.0.1:9",
    )
    assert client.post("/auth/dev-token", json={"role": "admin"}).status_code in (404, 405)
    config = client.get("/auth/config").json()
    assert config["mode"] == "oidc"
    assert config["authority"] == "http://127.0.0.1:9"
    assert config["client_id"] == "onedoor-portal"
