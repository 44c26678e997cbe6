"""Full-text search of the queue on the real database (SQLite FTS5 and PostgreSQL
tsvector): title, description and the comments the searcher may read, combined with
the queue's filters and pages; a client's search never matches an internal note."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.integration.desks.conftest import DesksUnderTest


async def queue(desks: DesksUnderTest, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = await desks.http.get("/requests", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def ids(page: dict[str, Any]) -> list[str]:
    return [edge["node"]["id"] for edge in page["edges"]]


async def comment(
    desks: DesksUnderTest, request_id: str, body: str, headers: dict[str, str], **extra: Any
) -> None:
    desks.clock.advance(timedelta(seconds=1))
    response = await desks.http.post(
        f"/requests/{request_id}/comments", json={"body": body, **extra}, headers=headers
    )
    assert response.status_code == 201, response.text


async def test_search_reads_title_description_and_comments(desks: DesksUnderTest) -> None:
    client, officer = desks.client("MINUSMA"), desks.officer("AFRICA_II")
    voters = await desks.submit(client, title="Voter registration in Gao")
    desks.clock.advance(timedelta(seconds=1))
    police = await desks.submit(
        client, title="Policing advice", description="Community policing after the elections"
    )
    desks.clock.advance(timedelta(seconds=1))
    dialogue = await desks.submit(client, title="National dialogue")
    await comment(desks, dialogue["id"], "The ministry of reconciliation joins", client)

    assert ids(await queue(desks, officer, search="voter")) == [voters["id"]]
    # Stemmed on both engines: "election" finds "elections".
    assert ids(await queue(desks, officer, search="ELECTION")) == [police["id"]]
    assert ids(await queue(desks, officer, search="reconciliation")) == [dialogue["id"]]
    # Every word must appear, wherever in the request's text.
    assert ids(await queue(desks, officer, search="community elections")) == [police["id"]]
    assert ids(await queue(desks, officer, search="community voter")) == []
    # Stop words and query syntax are not searched for.
    assert ids(await queue(desks, officer, search='the "voter" OR*')) == [voters["id"]]
    # A desk searches its own desk only; a client its own requests only.
    assert ids(await queue(desks, desks.officer("AFRICA_I"), search="voter")) == []
    assert ids(await queue(desks, desks.client("UNMISS"), search="voter")) == []
    assert ids(await queue(desks, client, search="voter")) == [voters["id"]]


async def test_a_clients_search_never_matches_an_internal_note(desks: DesksUnderTest) -> None:
    client, officer = desks.client("MINUSMA"), desks.officer("AFRICA_II")
    request = await desks.submit(client, title="Constitution drafting support")
    await comment(desks, request["id"], "Chase the ministry on Friday", officer, internal=True)
    await comment(desks, request["id"], "Draft expected soon", officer)

    assert ids(await queue(desks, officer, search="friday ministry")) == [request["id"]]
    assert ids(await queue(desks, desks.admin(), search="friday")) == [request["id"]]
    assert ids(await queue(desks, client, search="friday")) == []
    # Public words still match for the client, also beside an internal one.
    assert ids(await queue(desks, client, search="draft")) == [request["id"]]
    assert ids(await queue(desks, client, search="draft friday")) == []


async def test_search_combines_with_filters_and_pages(desks: DesksUnderTest) -> None:
    client, officer = desks.client("MINUSMA"), desks.officer("AFRICA_II")
    submitted = []
    for number in range(5):
        desks.clock.advance(timedelta(seconds=1))
        urgency = "immediate" if number % 2 == 0 else "routine"
        submitted.append(
            await desks.submit(client, title=f"Mediation round {number}", urgency=urgency)
        )
    await desks.submit(client, title="Unrelated logistics")

    immediate = [item["id"] for item in reversed(submitted) if item["urgency"] == "immediate"]
    assert ids(await queue(desks, officer, search="mediation", urgency="immediate")) == immediate

    first = await queue(desks, officer, search="mediation", first=2, sort="oldest")
    assert ids(first) == [submitted[0]["id"], submitted[1]["id"]]
    assert first["has_next_page"] is True
    rest = await queue(
        desks, officer, search="mediation", first=10, sort="oldest", after=first["end_cursor"]
    )
    assert ids(rest) == [item["id"] for item in submitted[2:]]
    assert rest["has_next_page"] is False


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "at least one word"),
        ("?!... --- ***", "at least one word"),
        ("the of and", "at least one word"),
        ("x" * 201, "at most 200"),
    ],
)
async def test_a_search_without_words_or_too_long_is_refused(
    desks: DesksUnderTest, text: str, reason: str
) -> None:
    response = await desks.http.get(
        "/requests", params={"search": text}, headers=desks.officer("AFRICA_II")
    )
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert detail["code"] == "BAD_USER_INPUT"
    assert reason in detail["message"]
    too_long = await desks.http.get(
        "/requests", params={"search": "y" * 5000}, headers=desks.officer("AFRICA_II")
    )
    assert too_long.status_code == 422
    assert too_long.json()["detail"]["code"] == "BAD_USER_INPUT"
