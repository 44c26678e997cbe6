"""Production sign-in: the portal signs in against a real OpenID provider on loopback
(oidc-provider, authorization code flow with PKCE), and the gateway and every service,
started with ONEDOOR_JWT_JWKS_URL / _ISSUER / _AUDIENCE pointing at it, accept its JWT
access tokens. The token stays in memory (never in a URL) and is renewed silently."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import pytest
from playwright.async_api import Browser, Page, Request, expect

from shared.processes import free_port
from shared.runner import EmbeddedStack
from shared.testing.oidc import OidcProvider
from tests.browser.conftest import assert_accessible, portal_page, screenshot
from tests.e2e.conftest import running_stack

pytestmark = pytest.mark.e2e

AUDIENCE = "urn:onedoor:gateway"
ACCOUNTS = {
    "liaison": {"role": "client", "client": "GOV_SIERRA_LEONE"},
    "officer": {"role": "desk_officer", "desk": "AFRICA_II"},
}
CONTINUE = "Continue to your organisation\u2019s sign-in"
# Short-lived access tokens, so the silent renewal (a minute before expiry) is seen soon.
ACCESS_TOKEN_TTL_S = 65


@pytest.fixture(scope="module")
def provider_and_stack(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[OidcProvider, EmbeddedStack]]:
    gateway_port = free_port()
    provider = OidcProvider(
        audience=AUDIENCE,
        accounts=ACCOUNTS,
        redirect_uris=[f"http://127.0.0.1:{gateway_port}/auth/callback"],
        access_token_ttl_s=ACCESS_TOKEN_TTL_S,
        log_path=tmp_path_factory.mktemp("oidc") / "provider.log",
    )
    with provider, pytest.MonkeyPatch.context() as env:
        for name, value in provider.platform_env().items():
            env.setenv(name, value)  # inherited by every process of the stack
        with running_stack(tmp_path_factory, gateway_port=gateway_port) as stack:
            yield provider, stack
    assert "ONEDOOR_JWT_JWKS_URL" not in os.environ


@pytest.fixture
async def oidc_page(
    browser: Browser, provider_and_stack: tuple[OidcProvider, EmbeddedStack]
) -> AsyncIterator[Page]:
    _, stack = provider_and_stack
    async with portal_page(browser, stack.graphql_url.removesuffix("/graphql")) as opened:
        yield opened


async def issuer_sign_in(page: Page, login: str) -> None:
    await page.get_by_role("button", name=CONTINUE).click()
    # The provider's own login page (development interaction): any password.
    await page.locator("input[name=login]").fill(login)
    await page.locator("input[name=password]").fill("any")
    await page.locator("button[type=submit]").click()


async def test_sign_in_with_pkce_against_a_real_provider_and_renew_silently(
    oidc_page: Page, provider_and_stack: tuple[OidcProvider, EmbeddedStack]
) -> None:
    page = oidc_page
    provider, _ = provider_and_stack
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))  # redirects included
    token_requests: list[Request] = []
    page.on(
        "request",
        lambda request: (
            token_requests.append(request)
            if request.url.startswith(f"{provider.issuer}/token")
            else None
        ),
    )
    assert (await page.request.post("/auth/dev-token", data={"role": "admin"})).status in (404, 405)

    await page.goto("/requests/new")
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    await assert_accessible(page)
    await screenshot(page, "oidc-sign-in")
    await issuer_sign_in(page, "liaison")

    # Back from the issuer, where the person was going, signed in as the account's role.
    await expect(page).to_have_url("/requests/new")
    await expect(page.get_by_text("Client · GOV_SIERRA_LEONE")).to_be_visible()
    authorize = next(url for url in urls if url.startswith(f"{provider.issuer}/auth?"))
    assert "code_challenge_method=S256" in authorize
    assert "resource=urn%3Aonedoor%3Agateway" in authorize
    assert not any("access_token" in url or "id_token=" in url for url in urls)

    # The gateway and the desks service accept the provider's token: a request goes in.
    await page.get_by_label("Title *").fill("Signed in through the organisation")
    async with page.expect_request(lambda r: "/graphql" in r.url) as submitted:
        await page.get_by_role("button", name="Submit the request").click()
    first_authorization = (await submitted.value).headers["authorization"]
    await expect(
        page.get_by_role("heading", name="Signed in through the organisation")
    ).to_be_visible()
    await screenshot(page, "oidc-request-submitted")

    # A minute before the access token expires, the portal renews it with its refresh
    # token, and goes on working without sending the person to sign in again.
    first = len(token_requests)
    for _ in range(60):
        if any(
            r.post_data and "grant_type=refresh_token" in r.post_data
            for r in token_requests[first:]
        ):
            break
        await page.wait_for_timeout(1000)
    else:
        raise AssertionError("the token was never renewed silently")
    # The next call carries the new token, and the gateway accepts it.
    async with page.expect_request(lambda r: "/graphql" in r.url) as call:
        await page.get_by_role("link", name="My requests").click()
    assert (await call.value).headers["authorization"] != first_authorization
    await expect(
        page.get_by_role("link", name="Signed in through the organisation")
    ).to_be_visible()

    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("button", name=CONTINUE)).to_be_visible()
