"""The portal in headless Debian chromium (Playwright drives /usr/bin/chromium: no
browser download), against the whole embedded stack of tests/e2e, with axe-core for
accessibility and screenshots written to var/screenshots/ for a person to look at."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from shared.runner import EmbeddedStack
from tests.e2e.conftest import (  # noqa: F401  (the whole-stack fixtures)
    Door,
    door,
    stack,
    stack_share,
)

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE = ROOT / "portal" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "var" / "screenshots"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Live changes cross the broker and two services: give them more than the default 5 s.
expect.set_options(timeout=15_000)


@pytest.fixture(scope="module")
def portal_url(stack: EmbeddedStack) -> str:  # noqa: F811
    if not (ROOT / "portal" / "dist" / "index.html").is_file():
        pytest.fail("the portal is not built: run `make portal` (make test does)")
    return stack.graphql_url.removesuffix("/graphql")


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@contextlib.asynccontextmanager
async def portal_page(browser: Browser, base_url: str, **options: Any) -> AsyncIterator[Page]:
    """A page in a fresh browser context (no cookies or storage shared between tests)."""
    context = await browser.new_context(base_url=base_url, **options)
    opened = await context.new_page()
    opened.set_default_timeout(15_000)
    watch_subscriptions(opened)
    try:
        yield opened
    finally:
        await context.close()


@pytest.fixture
async def page(browser: Browser, portal_url: str) -> AsyncIterator[Page]:
    async with portal_page(browser, portal_url, locale="en-GB") as opened:
        yield opened


async def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=path, full_page=True)
    return path


async def axe_violations(page: Page) -> list[dict[str, Any]]:
    """WCAG 2.1 A and AA violations axe-core finds on the page as it is now."""
    await page.add_script_tag(path=AXE)
    result = await page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_21_AA
    )
    return [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]


async def assert_accessible(page: Page) -> None:
    violations = await axe_violations(page)
    assert violations == [], json.dumps(violations, indent=2)


async def sign_in(page: Page, role: str, binding: str = "", path: str = "/") -> None:
    """Through the embedded sign-in page, as a person does."""
    await page.goto(path)
    await page.get_by_label("Role").select_option(role)
    if binding:
        await page.locator("#sign-in-binding").fill(binding)
    await page.get_by_role("button", name="Sign in").click()
    await page.get_by_role("button", name="Sign out").wait_for()


SENT_SUBSCRIPTIONS: dict[int, list[str]] = {}


def watch_subscriptions(page: Page) -> None:
    """Record every graphql-transport-ws `subscribe` message the page sends."""
    sent = SENT_SUBSCRIPTIONS.setdefault(id(page), [])

    def on_frame(payload: str | bytes) -> None:
        text = payload if isinstance(payload, str) else payload.decode()
        if json.loads(text).get("type") == "subscribe":
            sent.append(text)

    page.on("websocket", lambda websocket: websocket.on("framesent", on_frame))


async def live_subscription(page: Page, operation: str, timeout_s: float = 15) -> None:
    """Wait until the page has subscribed to `operation` (so a change after it is pushed)."""
    sent = SENT_SUBSCRIPTIONS[id(page)]
    for _ in range(int(timeout_s * 10)):
        if any(operation in frame for frame in sent):
            return
        await page.wait_for_timeout(100)
    raise AssertionError(f"the page never subscribed to {operation}")


__all__ = ["Door", "assert_accessible", "live_subscription", "screenshot", "sign_in"]


@pytest.fixture
async def browser_page_pair(browser: Browser, portal_url: str) -> AsyncIterator[tuple[Page, Page]]:
    """Two people at once (a desk officer and a provider), each in their own browser profile."""
    contexts = [await browser.new_context(base_url=portal_url, locale="en-GB") for _ in range(2)]
    pages = []
    for context in contexts:
        opened = await context.new_page()
        opened.set_default_timeout(15_000)
        watch_subscriptions(opened)
        pages.append(opened)
    try:
        yield pages[0], pages[1]
    finally:
        for context in contexts:
            await context.close()
