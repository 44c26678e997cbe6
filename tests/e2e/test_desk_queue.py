"""The desk queue through the one door of the embedded stack: full-text search of a
desk's requests (title, description, the comments the searcher may read) with the
queue's filters."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from shared.auth import Role
from tests.e2e.conftest import Door

pytestmark = pytest.mark.e2e
# One stack with the other e2e modules that do not get in each other's way (conftest).
SHARED_STACK = "e2e"

SUBMIT = "mutation($input: SubmitRequestInput!) { submitRequest(input: $input) { id version } }"
COMMENT = """mutation($id: ID!, $body: String!, $internal: Boolean!) {
  commentOnRequest(id: $id, body: $body, internal: $internal) { id } }"""
SEARCH = """query($search: String, $filter: RequestFilter) {
  deskQueue(search: $search, filter: $filter, first: 10) { edges { node { id title } } } }"""


def found(answer: dict[str, Any]) -> list[str]:
    assert "errors" not in answer, answer
    return [edge["node"]["id"] for edge in answer["data"]["deskQueue"]["edges"]]


async def test_a_desk_searches_its_queue_and_a_client_never_matches_internal_notes(
    door: Door,
) -> None:
    client = door.headers(Role.client, client="MINUSMA")
    officer = door.headers(Role.desk_officer, desk="AFRICA_II")
    # Words of this test only, so requests of other tests on the shared stack never match.
    word, note = f"kidal{uuid.uuid4().hex[:8]}", f"secret{uuid.uuid4().hex[:8]}"
    submitted = await door.call(
        SUBMIT,
        client,
        input={"title": f"Ceasefire monitoring in {word}", "urgency": "IMMEDIATE"},
    )
    request_id = submitted["data"]["submitRequest"]["id"]
    other = await door.call(
        SUBMIT, client, input={"title": f"Radio programme on the {word} agreement"}
    )
    other_id = other["data"]["submitRequest"]["id"]
    internal = await door.call(COMMENT, officer, id=request_id, body=f"Chase {note}", internal=True)
    assert "errors" not in internal, internal

    assert sorted(found(await door.call(SEARCH, officer, search=word))) == sorted(
        [request_id, other_id]
    )
    assert found(
        await door.call(SEARCH, officer, search=word, filter={"urgency": ["IMMEDIATE"]})
    ) == [request_id]
    assert found(await door.call(SEARCH, officer, search=f"{word} {note}")) == [request_id]
    assert found(await door.call(SEARCH, client, search=note)) == []
    assert (
        found(await door.call(SEARCH, door.headers(Role.client, client="UNMISS"), search=word))
        == []
    )

    for bad in ("?!*", "x" * 201):
        refused = await door.call(SEARCH, officer, search=bad)
        assert refused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", refused
