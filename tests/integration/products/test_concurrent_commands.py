"""Two provider officers acting on one engagement at once (SQLite and PostgreSQL): the
command pipeline locks the engagement, so the second meets the first's version."""

from __future__ import annotations

import asyncio

from tests.integration.products.conftest import Provider


async def test_two_officers_planning_one_engagement_at_once_one_wins(provider: Provider) -> None:
    engagement = await provider.route()
    one, other = provider.officer(engagement["product_code"]), provider.headers()
    answers = await asyncio.gather(
        provider.act(engagement, "plan", one), provider.act(engagement, "plan", other)
    )
    assert sorted(answer.status_code for answer in answers) == [200, 409], [
        answer.text for answer in answers
    ]
    loser = next(answer for answer in answers if answer.status_code == 409)
    assert loser.json()["detail"]["code"] == "VERSION_CONFLICT"
    assert loser.json()["detail"]["current_version"] == engagement["version"] + 1
    stored = await provider.get(engagement["id"])
    assert (stored["status"], stored["version"]) == ("planning", engagement["version"] + 1)
    assert len(await provider.events("onedoor.engagement.status-changed.v1")) == 1


async def test_an_expected_version_below_one_is_bad_input(provider: Provider) -> None:
    engagement = await provider.route()
    refused = await provider.act(engagement, "plan", expected_version=0)
    assert refused.status_code == 422
    assert refused.json()["detail"]["code"] == "BAD_USER_INPUT"
    assert await provider.get(engagement["id"]) == engagement
