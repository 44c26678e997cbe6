"""Tenancy held by the desks service itself, and the client-desk conversation:
comments (internal notes stay at the desk) and attachments by reference."""

from __future__ import annotations

from datetime import timedelta

from tests.integration.desks.conftest import DesksUnderTest


async def test_a_client_never_reaches_another_clients_request(desks: DesksUnderTest) -> None:
    theirs = await desks.submit(desks.client("UNMISS"))
    mine = await desks.submit(desks.client("MINUSMA"))
    minusma = desks.client("MINUSMA")
    rid = theirs["id"]

    assert (await desks.http.get(f"/requests/{rid}", headers=minusma)).status_code == 404
    listed = (await desks.http.get("/requests", headers=minusma)).json()
    assert [edge["node"]["id"] for edge in listed["edges"]] == [mine["id"]]
    by_client = await desks.http.get("/requests", params={"client": "UNMISS"}, headers=minusma)
    assert by_client.json()["edges"] == []
    for path in ("/comments", "/attachments", "/overlaps", "/timelines", "/request-metrics"):
        answer = await desks.http.get(path, params={"request_id": rid}, headers=minusma)
        assert answer.json() == [], path
    comment = await desks.http.post(
        f"/requests/{rid}/comments", json={"body": "hello"}, headers=minusma
    )
    assert comment.status_code == 404
    attach = await desks.http.post(
        f"/requests/{rid}/attachments",
        json={"name": "x", "media_type": "text/plain", "size_bytes": 1, "url": "https://x.org/"},
        headers=minusma,
    )
    assert attach.status_code == 404
    withdraw = await desks.act(rid, "withdraw", minusma)
    assert withdraw.status_code == 404
    assert withdraw.json()["detail"]["code"] == "REQUEST_NOT_FOUND"

    africa_ii = desks.officer("AFRICA_II")
    assert (await desks.http.get(f"/requests/{rid}", headers=africa_ii)).status_code == 404
    assert (await desks.act(rid, "assign", africa_ii, owner="me")).status_code == 404
    assert (await desks.http.get("/desks/AFRICA_I/metrics", headers=africa_ii)).status_code == 403
    assert (await desks.http.get("/desks/AFRICA_I/metrics", headers=minusma)).status_code == 403
    assert (await desks.get(rid))["version"] == theirs["version"]


async def test_the_conversation_hides_internal_notes_from_the_client(
    desks: DesksUnderTest,
) -> None:
    client, officer = desks.client("UNSMIL"), desks.officer("MIDDLE_EAST_WEST_ASIA")
    request = await desks.submit(client, title="Constitution drafting support")
    rid = request["id"]

    async def post(body: dict[str, object], headers: dict[str, str]) -> tuple[int, dict]:
        desks.clock.advance(timedelta(seconds=1))
        response = await desks.http.post(f"/requests/{rid}/comments", json=body, headers=headers)
        return response.status_code, response.json()

    assert (await post({"body": "Can you send the draft?"}, officer))[0] == 201
    assert (await post({"body": "Client is slow, chase on Friday", "internal": True}, officer))[
        0
    ] == 201
    assert (await post({"body": "Draft attached."}, client))[0] == 201
    forbidden = await post({"body": "secret", "internal": True}, client)
    assert forbidden[0] == 403 and forbidden[1]["detail"]["code"] == "FORBIDDEN"
    empty = await post({"body": "   "}, client)
    assert empty[0] == 422

    def bodies(answer: list[dict[str, object]]) -> list[object]:
        return [comment["body"] for comment in answer]

    seen_by_client = (
        await desks.http.get("/comments", params={"request_id": rid}, headers=client)
    ).json()
    assert bodies(seen_by_client) == ["Can you send the draft?", "Draft attached."]
    seen_by_desk = (
        await desks.http.get("/comments", params={"request_id": rid}, headers=officer)
    ).json()
    assert bodies(seen_by_desk) == [
        "Can you send the draft?",
        "Client is slow, chase on Friday",
        "Draft attached.",
    ]
    assert seen_by_desk[0]["author"] == "desk_officer:MIDDLE_EAST_WEST_ASIA:officer-1"
    timeline = await desks.timeline(rid, client)
    assert [e["summary"] for e in timeline if e["event_type"] == "onedoor.desks.comment"] == [
        "comment from the desk",
        "comment from the client",
    ]

    attachment = {
        "name": "Draft constitution (Arabic).pdf",
        "media_type": "application/pdf",
        "size_bytes": 2_400_000,
        "url": "https://docs.example.org/unsmil/draft-constitution.pdf",
    }
    added = await desks.http.post(f"/requests/{rid}/attachments", json=attachment, headers=client)
    assert added.status_code == 201, added.text
    bad = await desks.http.post(
        f"/requests/{rid}/attachments",
        json={**attachment, "url": "file:///etc/passwd", "size_bytes": -1},
        headers=client,
    )
    assert bad.status_code == 422 and bad.json()["detail"]["code"] == "BAD_USER_INPUT"
    listed = (
        await desks.http.get("/attachments", params={"request_id": rid}, headers=officer)
    ).json()
    assert [(a["name"], a["media_type"], a["size_bytes"], a["url"]) for a in listed] == [
        tuple(attachment.values())
    ]
