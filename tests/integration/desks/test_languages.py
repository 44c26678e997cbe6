"""A request carries the language it is written in: given at submission (English when
not), refused outside the allowlist, published with RequestSubmitted, and a filter of
the desk queue."""

from __future__ import annotations

from contracts.events import RequestSubmitted
from tests.integration.desks.conftest import DesksUnderTest


async def test_a_request_carries_its_language_and_the_queue_filters_on_it(
    desks: DesksUnderTest,
) -> None:
    client, officer = desks.client("MINUSMA"), desks.officer("AFRICA_II")
    french = await desks.submit(client, title="Appui au dialogue national", language="fr")
    english = await desks.submit(client, title="Support to the national dialogue")
    assert (french["language"], english["language"]) == ("fr", "en")
    refused = await desks.http.post(
        "/requests", json={"title": "Klingon", "language": "tlh"}, headers=client
    )
    assert refused.status_code == 422 and refused.json()["detail"]["code"] == "BAD_USER_INPUT"

    async def queue(**params: object) -> list[str]:
        answer = await desks.http.get("/requests", params=params, headers=officer)
        return [edge["node"]["id"] for edge in answer.json()["edges"]]

    assert await queue(language="fr") == [french["id"]]
    assert sorted(await queue(language=["fr", "en"])) == sorted([french["id"], english["id"]])
    assert await queue(language="ar") == []
    events = {event["request_id"]: event for event in await desks.outbox(RequestSubmitted.type)}
    assert events[french["id"]]["language"] == "fr" and events[english["id"]]["language"] == "en"
