"""Lessons through the gateway over real loopback HTTP and websockets: the workflow and
search in GraphQL, the `lessonPublished` subscription (graphql-transport-ws) with its
filter and sensitivity rule, and the Atom feed of a saved filter."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from gateway.app import create_app as create_gateway
from gateway.settings import GatewaySettings
from services.lessons.models import Lesson
from shared.auth import Role
from shared.testing.graphql_ws import subscription
from shared.testing.serving import served
from shared.testing.waiting import eventually
from tests.integration.lessons.conftest import LessonsUnderTest, draft_body

ATOM = "{http://www.w3.org/2005/Atom}"

LESSON_PUBLISHED = """
subscription Published($filter: LessonFilter) {
  lessonPublished(filter: $filter) { id title sensitivity themes status }
}
"""


@dataclass
class Gateway:
    app: FastAPI
    url: str
    lessons: LessonsUnderTest

    @property
    def websocket_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/graphql"

    def token(self, role: Role, **tenant: Any) -> str:
        return self.lessons.headers(role, **tenant)["Authorization"]

    async def call(self, document: str, role: Role, tenant: Any = None, /, **variables: Any) -> Any:
        async with httpx.AsyncClient(timeout=10) as http:
            response = await http.post(
                f"{self.url}/graphql",
                json={"query": document, "variables": variables},
                headers=self.lessons.headers(role, **(tenant or {})),
            )
        return response.json()


@pytest.fixture
async def gateway(lessons: LessonsUnderTest) -> AsyncIterator[Gateway]:
    async with served(lessons.service.app) as lessons_url:
        settings = GatewaySettings(**lessons.platform.model_dump(), lessons_url=lessons_url)
        app = create_gateway(settings)
        async with served(app, run_lifespan=True) as url:
            yield Gateway(app, url, lessons)


async def subscribers(gateway: Gateway, count: int) -> bool:
    return bool(gateway.app.state.live.subscriber_count == count)


async def test_lesson_published_pushes_matching_lessons_each_subscriber_may_read(
    gateway: Gateway,
) -> None:
    electoral = {"filter": {"themes": ["ELECTORAL_ASSISTANCE"]}}
    async with (
        subscription(
            gateway.websocket_url, gateway.token(Role.hq_analyst), LESSON_PUBLISHED, electoral
        ) as analyst,
        subscription(
            gateway.websocket_url,
            gateway.token(Role.client, client="MINUSMA"),
            LESSON_PUBLISHED,
            electoral,
        ) as client,
        subscription(
            gateway.websocket_url,
            gateway.token(Role.partner, partner="AU"),
            LESSON_PUBLISHED,
            {"filter": {"regions": ["Middle East"]}},
        ) as partner,
    ):
        await eventually(lambda: subscribers(gateway, 3))
        restricted = await gateway.lessons.publish(
            title="Restricted: commission under pressure", sensitivity="restricted"
        )
        await gateway.lessons.publish(title="Rule of law lesson", themes=["RULE_OF_LAW"])
        public = await gateway.lessons.publish(title="Public: register voters early")

        first = (await analyst.next_data())["lessonPublished"]
        second = (await analyst.next_data())["lessonPublished"]
        assert [first["id"], second["id"]] == [restricted["id"], public["id"]]
        assert first["sensitivity"] == "RESTRICTED" and first["status"] == "PUBLISHED"
        assert first["themes"] == ["ELECTORAL_ASSISTANCE"]
        # The client never receives the restricted lesson: its first push is the public one.
        pushed = (await client.next_data())["lessonPublished"]
        assert pushed["id"] == public["id"]
        with pytest.raises(TimeoutError):
            await partner.next_message(timeout_s=1.0)
    await eventually(lambda: subscribers(gateway, 0))


WORKFLOW = """
mutation Create($input: LessonInput!) {
  createLesson(input: $input) { id status version sensitivity }
}
"""
MOVES = """
mutation Submit($id: ID!, $version: Int!) { submitLesson(id: $id, expectedVersion: $version) { version } }
"""
APPROVE = """
mutation Approve($id: ID!, $version: Int!) {
  approveLesson(id: $id, expectedVersion: $version) { id status version publishedAt }
}
"""
SEND_BACK = """
mutation Back($id: ID!, $version: Int!, $comment: String!) {
  sendBackLesson(id: $id, expectedVersion: $version, comment: $comment) { status }
}
"""
SEARCH = """
query Search($query: String!, $filter: LessonFilter) {
  searchLessons(query: $query, filter: $filter, first: 5) {
    total nextOffset
    hits { score lesson { id title source history { action toStatus } } }
    facets { themes { value count } regions { value count } }
  }
  lessons(filter: $filter, first: 5) { edges { cursor node { id } } pageInfo { hasNextPage } }
}
"""


async def test_workflow_and_search_through_graphql(gateway: Gateway) -> None:
    provider = {"products": ["ELECTORAL_ASSISTANCE"]}
    created = await gateway.call(
        WORKFLOW,
        Role.provider,
        provider,
        input={
            "title": "Train polling staff twice",
            "summary": "A second training halves counting errors.",
            "themes": ["ELECTORAL_ASSISTANCE"],
            "countries": ["MLI"],
            "regions": ["Africa"],
            "sensitivity": "PUBLIC",
        },
    )
    lesson = created["data"]["createLesson"]
    assert lesson["status"] == "DRAFT" and lesson["sensitivity"] == "PUBLIC"
    submitted = await gateway.call(MOVES, Role.provider, provider, id=lesson["id"], version=1)
    assert submitted["data"]["submitLesson"]["version"] == 2

    refused = await gateway.call(APPROVE, Role.provider, provider, id=lesson["id"], version=2)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    stale = await gateway.call(APPROVE, Role.hq_analyst, id=lesson["id"], version=1)
    assert stale["errors"][0]["extensions"]["code"] == "VERSION_CONFLICT"
    no_comment = await gateway.call(
        SEND_BACK, Role.hq_analyst, id=lesson["id"], version=2, comment=""
    )
    assert no_comment["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    approved = await gateway.call(APPROVE, Role.hq_analyst, id=lesson["id"], version=2)
    assert approved["data"]["approveLesson"]["status"] == "PUBLISHED"

    found = await gateway.call(
        SEARCH,
        Role.client,
        {"client": "MINUSMA"},
        query="polling training",
        filter={"themes": ["ELECTORAL_ASSISTANCE"]},
    )
    assert "errors" not in found, found
    result = found["data"]["searchLessons"]
    assert result["total"] == 1 and result["nextOffset"] is None
    hit = result["hits"][0]
    assert hit["lesson"]["id"] == lesson["id"] and hit["score"] > 0
    assert hit["lesson"]["source"] == "DIRECT"
    assert [step["action"] for step in hit["lesson"]["history"]] == ["created", "submit", "approve"]
    assert result["facets"]["themes"] == [{"value": "ELECTORAL_ASSISTANCE", "count": 1}]
    assert result["facets"]["regions"] == [{"value": "Africa", "count": 1}]
    assert [edge["node"]["id"] for edge in found["data"]["lessons"]["edges"]] == [lesson["id"]]

    # Only the page selected: the gateway does not ask the service to count.
    lean = await gateway.call(
        "query($q: String!) { searchLessons(query: $q, first: 1) { nextOffset hits { score } } }",
        Role.admin,
        q="polling",
    )
    assert "errors" not in lean, lean
    assert lean["data"]["searchLessons"]["nextOffset"] is None
    assert len(lean["data"]["searchLessons"]["hits"]) == 1

    missing = await gateway.call(
        "query($id: ID!) { lesson(id: $id) { id } }",
        Role.client,
        {"client": "MINUSMA"},
        id=str(uuid.uuid4()),
    )
    assert missing["errors"][0]["extensions"]["code"] == "LESSON_NOT_FOUND"
    not_an_id = await gateway.call(
        "query($id: ID!) { lesson(id: $id) { id } }", Role.client, {"client": "MINUSMA"}, id="nope"
    )
    assert not_an_id["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    bad_page = await gateway.call("{ lessons(first: 0) { edges { cursor } } }", Role.admin)
    assert bad_page["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


SAVE_FILTER = """
mutation Save($name: String!, $filter: LessonFilter) {
  saveLessonFilter(name: $name, filter: $filter) { feedUrl savedFilter { id name themes } }
}
"""
REVOKE = "mutation Revoke($id: ID!) { revokeLessonFilter(id: $id) { id } }"


async def test_a_saved_filter_has_an_atom_feed_with_its_owners_sensitivity(
    gateway: Gateway,
) -> None:
    public = await gateway.lessons.publish(title="Public <electoral> lesson & more")
    await gateway.lessons.publish(title="Restricted electoral lesson", sensitivity="restricted")
    await gateway.lessons.publish(title="Rule of law", themes=["RULE_OF_LAW"])
    saved = await gateway.call(
        SAVE_FILTER,
        Role.client,
        {"client": "MINUSMA"},
        name="Elections",
        filter={"themes": ["ELECTORAL_ASSISTANCE"]},
    )
    created = saved["data"]["saveLessonFilter"]
    assert created["savedFilter"]["themes"] == ["ELECTORAL_ASSISTANCE"]
    feed_url = created["feedUrl"]
    assert feed_url.startswith(gateway.url + "/feeds/lessons/")

    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.get(feed_url)  # no credentials: a feed reader
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/atom+xml")
        feed = ET.fromstring(response.content)
        assert feed.tag == f"{ATOM}feed"
        assert feed.findtext(f"{ATOM}title") == "OneDoor lessons: Elections"
        entries = feed.findall(f"{ATOM}entry")
        assert [entry.findtext(f"{ATOM}title") for entry in entries] == [public["title"]]
        assert entries[0].findtext(f"{ATOM}id") == f"urn:onedoor:lesson:{public['id']}"
        assert {c.get("term") for c in entries[0].findall(f"{ATOM}category")} >= {
            "ELECTORAL_ASSISTANCE",
            "MLI",
        }

        revoked = await gateway.call(
            REVOKE, Role.client, {"client": "MINUSMA"}, id=created["savedFilter"]["id"]
        )
        assert "errors" not in revoked, revoked
        gone = await http.get(feed_url)
        assert gone.status_code == 404
        guessed = await http.get(gateway.url + "/feeds/lessons/" + "a" * 43)
        assert guessed.status_code == 404

    other = await gateway.call(
        REVOKE, Role.client, {"client": "UNMISS"}, id=created["savedFilter"]["id"]
    )
    assert other["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_a_control_character_is_refused_at_input_and_never_breaks_a_feed(
    gateway: Gateway,
) -> None:
    lessons = gateway.lessons
    refused = await lessons.http.post(
        "/lessons",
        json=draft_body(title="Vertical\x0btab"),
        headers=lessons.headers(Role.hq_analyst),
    )
    assert refused.status_code in (400, 422), refused.text
    assert refused.json()["detail"]["code"] == "BAD_USER_INPUT"
    assert "\\x0b" in refused.json()["detail"]["message"]

    published = await lessons.publish(title="Clean title")
    # A lesson stored before input was checked (or written by an event) may hold one.
    async with lessons.service.sessions() as session, session.begin():
        stored = await session.get(Lesson, published["id"])
        assert stored is not None
        stored.title, stored.body = "Old\x0btitle", "Body with \x01 and \x1f"
        session.add(stored)
    saved = await gateway.call(
        SAVE_FILTER, Role.client, {"client": "MINUSMA"}, name="All", filter={}
    )
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.get(saved["data"]["saveLessonFilter"]["feedUrl"])
    assert response.status_code == 200, response.text
    feed = ET.fromstring(response.content)
    [entry] = feed.findall(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == "Oldtitle"
    assert entry.findtext(f"{ATOM}content") == "Body with  and "
