"""Lessons on the whole embedded stack (separate processes, real broker): a lesson
reviewed and published through the door reaches a live `lessonPublished` subscriber
over a websocket, and a new request submitted to the desks gets it as a suggestion."""

from __future__ import annotations

from typing import Any

import pytest

from shared.auth import Role
from shared.testing.waiting import eventually
from tests.e2e.conftest import Door

pytestmark = pytest.mark.e2e
# One stack with the other e2e modules that do not get in each other's way (conftest).
SHARED_STACK = "e2e"

CREATE = """
mutation Create($input: LessonInput!) { createLesson(input: $input) { id version } }
"""
SUBMIT = "mutation($id: ID!, $v: Int!) { submitLesson(id: $id, expectedVersion: $v) { version } }"
APPROVE = "mutation($id: ID!, $v: Int!) { approveLesson(id: $id, expectedVersion: $v) { status } }"
PUBLISHED = """
subscription($filter: LessonFilter) {
  lessonPublished(filter: $filter) { id title countries sensitivity }
}
"""
SUBMIT_REQUEST = """
mutation Submit($input: SubmitRequestInput!) { submitRequest(input: $input) { id } }
"""
SUGGESTIONS = """
query($id: ID!) { suggestions(requestId: $id) { lessonId rank title reasons } }
"""


async def publish_lesson(door: Door, **content: Any) -> str:
    provider = door.headers(Role.provider, products=["ELECTORAL_ASSISTANCE"])
    analyst = door.headers(Role.hq_analyst)
    created = await door.call(CREATE, provider, input=content)
    assert "errors" not in created, created
    lesson = created["data"]["createLesson"]
    submitted = await door.call(SUBMIT, provider, id=lesson["id"], v=lesson["version"])
    version = submitted["data"]["submitLesson"]["version"]
    approved = await door.call(APPROVE, analyst, id=lesson["id"], v=version)
    assert approved["data"]["approveLesson"]["status"] == "PUBLISHED", approved
    return str(lesson["id"])


async def test_published_lessons_reach_subscribers_and_new_requests(door: Door) -> None:
    content = {
        "title": "Voter registration in Mali takes twice as long as planned",
        "summary": "Start registration before the electoral calendar is final.",
        "body": "## What worked\n\nMobile teams in the northern regions.",
        "themes": ["ELECTORAL_ASSISTANCE"],
        "countries": ["MLI"],
        "regions": ["Africa"],
        "sensitivity": "PUBLIC",
    }
    token = door.headers(Role.hq_analyst)["Authorization"]
    variables = {"filter": {"countries": ["MLI"]}}
    async with door.listening(token, PUBLISHED, variables) as published:
        lesson_id = await publish_lesson(door, **content)
        pushed = (await published.next_data(timeout_s=20))["lessonPublished"]
    assert pushed == {
        "id": lesson_id,
        "title": content["title"],
        "countries": ["MLI"],
        "sensitivity": "PUBLIC",
    }

    minusma = door.headers(Role.client, client="MINUSMA")
    submitted = await door.call(
        SUBMIT_REQUEST,
        minusma,
        input={
            "title": "Support to voter registration",
            "description": "The electoral commission is behind on registration.",
        },
    )
    request_id = submitted["data"]["submitRequest"]["id"]

    async def suggested() -> list[dict[str, Any]] | None:
        answer = await door.call(SUGGESTIONS, minusma, id=request_id)
        assert "errors" not in answer, answer
        return answer["data"]["suggestions"] or None

    suggestions = await eventually(suggested, timeout_s=20)
    assert suggestions[0]["lessonId"] == lesson_id and suggestions[0]["rank"] == 1
    assert "same country: MLI" in suggestions[0]["reasons"]
    other_client = await door.call(
        SUGGESTIONS, door.headers(Role.client, client="UNMISS"), id=request_id
    )
    assert other_client["data"]["suggestions"] == []
    on_the_request = await door.call(
        "query($id: ID!) { request(id: $id) { suggestions { lessonId rank reasons } } }",
        minusma,
        id=request_id,
    )
    assert on_the_request["data"]["request"]["suggestions"] == [
        {key: item[key] for key in ("lessonId", "rank", "reasons")} for item in suggestions
    ]
