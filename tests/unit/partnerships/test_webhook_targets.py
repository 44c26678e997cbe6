"""Webhooks reach public https addresses only, unless the setting allows more."""

from __future__ import annotations

import pytest

from services.partnerships.targets import RefusedTarget, check_webhook_target


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hooks",
        "https://localhost:8443/hooks",
        "https://10.1.2.3/hooks",
        "https://192.168.0.10/hooks",
        "https://172.16.5.5/hooks",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hooks",
        "https://[fd00::1]/hooks",
        "https://0.0.0.0/hooks",
        "http://8.8.8.8/hooks",
        "ftp://8.8.8.8/hooks",
    ],
)
async def test_inner_or_plain_targets_are_refused(url: str) -> None:
    with pytest.raises(RefusedTarget) as refused:
        await check_webhook_target(url, allow_private=False)
    assert refused.value.code == "WEBHOOK_TARGET_REFUSED"


async def test_a_public_https_address_is_accepted() -> None:
    await check_webhook_target("https://8.8.8.8/hooks", allow_private=False)


async def test_the_setting_allows_loopback_and_http_for_labs() -> None:
    await check_webhook_target("http://127.0.0.1:9000/hooks", allow_private=True)
    with pytest.raises(RefusedTarget):
        await check_webhook_target("ftp://127.0.0.1/hooks", allow_private=True)
