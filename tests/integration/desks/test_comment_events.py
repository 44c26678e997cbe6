"""A comment the client may read is published (RequestCommentAdded, for notifications);
an internal note stays at the desk: no event carries it."""

from __future__ import annotations

from tests.integration.desks.conftest import DesksUnderTest


async def test_only_comments_the_client_may_read_are_published(desks: DesksUnderTest) -> None:
    client, officer = desks.client("MINUSMA"), desks.officer("AFRICA_II")
    request = await desks.submit(client)
    path = f"/requests/{request['id']}/comments"
    for body, internal, headers in (
        ("Which sector first?", False, officer),
        ("Check with DPPA before answering", True, officer),
        ("The justice sector", False, client),
    ):
        response = await desks.http.post(
            path, json={"body": body, "internal": internal}, headers=headers
        )
        assert response.status_code == 201, response.text

    published = await desks.outbox("onedoor.request.comment-added.v1")
    assert [(e["request_id"], e["author_role"], e["client_code"]) for e in published] == [
        (request["id"], "desk_officer", "MINUSMA"),
        (request["id"], "client", "MINUSMA"),
    ]
    assert all("DPPA" not in str(event) for event in published)
