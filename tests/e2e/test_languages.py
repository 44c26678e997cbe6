"""Languages of content through the one door of the embedded stack: a request submitted
in French is found by the desk's queue filter; a lesson and its Spanish translation are
published, and search (with its language facet) and the feed filter by language."""

from __future__ import annotations

from typing import Any

import pytest

from shared.auth import Role
from tests.e2e.conftest import Door

pytestmark = pytest.mark.e2e
SHARED_STACK = "e2e"

SUBMIT = (
    """mutation($input: SubmitRequestInput!) { submitRequest(input: $input) { id language } }"""
)
QUEUE = """query($filter: RequestFilter) { deskQueue(filter: $filter, sort: NEWEST, first: 50) {
  edges { node { id language } } } }"""
CREATE = """mutation($input: LessonInput!, $of: ID) {
  createLesson(input: $input, translationOf: $of) { id version language translationOf } }"""
SUBMIT_LESSON = (
    "mutation($id: ID!, $v: Int!) { submitLesson(id: $id, expectedVersion: $v) { version } }"
)
APPROVE = "mutation($id: ID!, $v: Int!) { approveLesson(id: $id, expectedVersion: $v) { status } }"
SEARCH = """query($q: String!, $filter: LessonFilter) { searchLessons(query: $q, filter: $filter) {
  hits { lesson { id language translationOf } } facets { languages { value count } } } }"""
FEED = """query($filter: LessonFilter) { lessons(filter: $filter, first: 50) {
  edges { node { id language } } } }"""


def data(answer: dict[str, Any]) -> Any:
    assert not answer.get("errors"), answer
    return answer["data"]


async def test_requests_and_lessons_are_found_in_their_language(door: Door) -> None:
    client = door.headers(Role.client, client="MINUSMA", subject="minusma-focal")
    officer = door.headers(Role.desk_officer, desk="AFRICA_II", subject="officer-1")
    hq = door.headers(Role.hq_analyst, subject="analyst-1")

    submitted = data(
        await door.call(SUBMIT, client, input={"title": "Appui électoral", "language": "fr"})
    )
    assert submitted["submitRequest"]["language"] == "fr"
    refused = await door.call(SUBMIT, client, input={"title": "x", "language": "xx"})
    assert refused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    queue = data(await door.call(QUEUE, officer, filter={"language": ["fr"]}))["deskQueue"]
    assert [edge["node"] for edge in queue["edges"]] == [
        {"id": submitted["submitRequest"]["id"], "language": "fr"}]  # fmt: skip

    async def published(title: str, language: str, of: str | None = None) -> dict[str, Any]:
        lesson = {"title": title, "summary": "Ballot transport by river", "themes": ["ELECTORAL_ASSISTANCE"],
                  "sensitivity": "PUBLIC", "language": language}  # fmt: skip
        made = data(await door.call(CREATE, hq, input=lesson, of=of))["createLesson"]
        moved = data(await door.call(SUBMIT_LESSON, hq, id=made["id"], v=made["version"]))
        data(await door.call(APPROVE, hq, id=made["id"], v=moved["submitLesson"]["version"]))
        return dict(made)

    original = await published("Transporting ballots by river", "en")
    translation = await published("Transporte de papeletas por río", "es", of=original["id"])
    assert translation["translationOf"] == original["id"]

    found = data(await door.call(SEARCH, hq, q="river", filter={"languages": ["es"]}))[
        "searchLessons"
    ]
    assert [hit["lesson"]["id"] for hit in found["hits"]] == [translation["id"]]
    everything = data(await door.call(SEARCH, hq, q="river"))["searchLessons"]
    counts = {facet["value"]: facet["count"] for facet in everything["facets"]["languages"]}
    assert counts["en"] >= 1 and counts["es"] >= 1
    translations = data(await door.call(FEED, hq, filter={"translationOf": original["id"]}))
    assert [edge["node"]["id"] for edge in translations["lessons"]["edges"]] == [translation["id"]]
    spanish = data(await door.call(FEED, hq, filter={"languages": ["es"]}))["lessons"]["edges"]
    assert {edge["node"]["language"] for edge in spanish} == {"es"}
