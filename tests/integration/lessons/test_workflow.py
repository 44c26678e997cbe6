"""The review workflow over HTTP: draft → in_review → published → archived, send-backs
with comments, refusals that change nothing, every move an event and a history row."""

from __future__ import annotations

import asyncio
import json

from shared.auth import Role
from tests.integration.lessons.conftest import LessonsUnderTest, draft_body


async def test_a_lesson_goes_through_review_and_every_move_is_recorded(
    lessons: LessonsUnderTest,
) -> None:
    provider = lessons.headers(Role.provider, products=["ELECTORAL_ASSISTANCE"])
    reviewer = lessons.headers(Role.hq_analyst)
    draft = await lessons.create(
        provider,
        title="Voter registration needs a long lead time",
        body="## What worked\n\nEarly *biometric* kits.",
        sensitivity="internal",
    )
    assert draft["status"] == "draft"
    assert draft["owner_kind"] == "provider" and draft["owner_code"] == "ELECTORAL_ASSISTANCE"
    assert draft["authoring_entity"] == "provider:ELECTORAL_ASSISTANCE"

    submitted = await lessons.move(draft, "submit", provider)
    assert submitted.status_code == 200, submitted.text
    sent_back = await lessons.move(
        submitted.json(), "send_back", reviewer, comment="Name the districts."
    )
    assert sent_back.status_code == 200, sent_back.text
    assert sent_back.json()["status"] == "draft"
    assert sent_back.json()["review_comment"] == "Name the districts."

    edited = await lessons.http.put(
        f"/lessons/{draft['id']}",
        json={
            **{key: draft[key] for key in ("summary", "themes", "countries", "regions")},
            "client_kinds": draft["client_kinds"],
            "title": "Voter registration in Gao and Timbuktu needs a long lead time",
            "body": draft["body"],
            "sensitivity": "internal",
            "expected_version": sent_back.json()["version"],
        },
        headers=provider,
    )
    assert edited.status_code == 200, edited.text
    resubmitted = await lessons.move(edited.json(), "submit", provider)
    approved = await lessons.move(resubmitted.json(), "approve", reviewer)
    assert approved.status_code == 200, approved.text
    published = approved.json()
    assert published["status"] == "published" and published["published_at"]
    assert published["review_comment"] is None
    archived = await lessons.move(published, "archive", reviewer)
    assert archived.json()["status"] == "archived"

    history = (await lessons.http.get(f"/lessons/{draft['id']}/history", headers=reviewer)).json()
    assert [(entry["action"], entry["from_status"], entry["to_status"]) for entry in history] == [
        ("created", None, "draft"),
        ("submit", "draft", "in_review"),
        ("send_back", "in_review", "draft"),
        ("edited", "draft", "draft"),
        ("submit", "draft", "in_review"),
        ("approve", "in_review", "published"),
        ("archive", "published", "archived"),
    ]
    assert history[2]["comment"] == "Name the districts."
    assert [entry["version"] for entry in history] == [1, 2, 3, 4, 5, 6, 7]

    moves = [
        json.loads(row.payload) for row in await lessons.outbox("onedoor.lesson.status-changed.v1")
    ]
    assert [(move["from_status"], move["to_status"]) for move in moves] == [
        (None, "draft"),
        ("draft", "in_review"),
        ("in_review", "draft"),
        ("draft", "in_review"),
        ("in_review", "published"),
        ("published", "archived"),
    ]
    assert moves[2]["comment"] == "Name the districts."
    [published_event] = [
        json.loads(row.payload) for row in await lessons.outbox("onedoor.lesson.published.v1")
    ]
    assert published_event["lesson_id"] == draft["id"]
    assert published_event["client_kinds"] == ["peacekeeping_operation"]
    assert published_event["source_kind"] == "direct"
    assert published_event["author_entity"] == "provider:ELECTORAL_ASSISTANCE"
    assert published_event["sensitivity"] == "internal"


async def test_refused_moves_change_nothing(lessons: LessonsUnderTest) -> None:
    provider = lessons.headers(Role.provider, products=["ELECTORAL_ASSISTANCE"])
    other_provider = lessons.headers(Role.provider, products=["RULE_OF_LAW"])
    reviewer = lessons.headers(Role.hq_analyst)
    client = lessons.headers(Role.client, client="MINUSMA")
    draft = await lessons.create(provider, title="Draft")

    refusals = [
        (await lessons.move(draft, "approve", reviewer), 409, "ILLEGAL_TRANSITION"),
        (await lessons.move(draft, "submit", other_provider), 404, "LESSON_NOT_FOUND"),
        (await lessons.move(draft, "submit", client), 404, "LESSON_NOT_FOUND"),
        (await lessons.move({**draft, "version": 7}, "submit", provider), 409, "VERSION_CONFLICT"),
    ]
    submitted = (await lessons.move(draft, "submit", provider)).json()
    refusals += [
        (await lessons.move(submitted, "approve", provider), 403, "FORBIDDEN"),
        (await lessons.move(submitted, "send_back", reviewer, comment=" "), 422, "BAD_USER_INPUT"),
        (
            await lessons.http.put(
                f"/lessons/{draft['id']}",
                json={"title": "Changed", "expected_version": submitted["version"]},
                headers=provider,
            ),
            409,
            "ILLEGAL_TRANSITION",
        ),
    ]
    for response, status, code in refusals:
        assert response.status_code == status, response.text
        assert response.json()["detail"]["code"] == code

    current = (await lessons.http.get(f"/lessons/{draft['id']}", headers=reviewer)).json()
    assert current["status"] == "in_review" and current["version"] == 2
    assert current["title"] == "Draft"
    assert len(await lessons.outbox("onedoor.lesson.status-changed.v1")) == 2


async def test_who_may_write_a_lesson(lessons: LessonsUnderTest) -> None:
    body = {"title": "T", "themes": ["ELECTORAL_ASSISTANCE"]}
    for headers, status in (
        (lessons.headers(Role.client, client="MINUSMA"), 403),
        (lessons.headers(Role.partner, partner="AU"), 403),
        (lessons.headers(Role.provider, products=["RULE_OF_LAW"]), 403),
        (lessons.headers(Role.desk_officer, desk="AFRICA_II"), 201),
        (lessons.headers(Role.admin), 201),
        ({}, 401),
    ):
        response = await lessons.http.post("/lessons", json=body, headers=headers)
        assert response.status_code == status, response.text
    bad = await lessons.http.post(
        "/lessons",
        json={"title": " ", "countries": ["Mali"]},
        headers=lessons.headers(Role.admin),
    )
    assert bad.status_code == 422 and bad.json()["detail"]["code"] == "BAD_USER_INPUT"


async def test_restricted_lessons_reach_hq_roles_only(lessons: LessonsUnderTest) -> None:
    restricted = await lessons.publish(
        title="Restricted mediation channel", sensitivity="restricted"
    )
    internal = await lessons.publish(title="Internal mediation note", sensitivity="internal")
    public = await lessons.publish(title="Public mediation guide", sensitivity="public")
    expectations = {
        Role.client: {"client": "MINUSMA"},
        Role.partner: {"partner": "AU"},
        Role.desk_officer: {"desk": "AFRICA_II"},
        Role.provider: {"products": ["MEDIATION_SUPPORT"]},
        Role.hq_analyst: {},
        Role.admin: {},
    }
    for role, tenant in expectations.items():
        headers = lessons.headers(role, **tenant)
        if role is Role.partner:
            expected = {public["id"]}
        elif role is Role.client:
            expected = {public["id"], internal["id"]}
        else:
            expected = {public["id"], internal["id"], restricted["id"]}
        feed = (await lessons.http.get("/lessons", headers=headers)).json()
        assert {edge["node"]["id"] for edge in feed["edges"]} == expected, role
        found = (
            await lessons.http.get("/search", params={"q": "mediation"}, headers=headers)
        ).json()
        assert {hit["lesson"]["id"] for hit in found["hits"]} == expected, role
        one = await lessons.http.get(f"/lessons/{restricted['id']}", headers=headers)
        assert one.status_code == (200 if restricted["id"] in expected else 404), role


async def test_the_feed_pages_newest_first_and_filters(lessons: LessonsUnderTest) -> None:
    mali = [await lessons.publish(title=f"Mali lesson {n}", countries=["MLI"]) for n in range(3)]
    await lessons.publish(title="Libya lesson", countries=["LBY"], regions=["Middle East"])
    headers = lessons.headers(Role.hq_analyst)
    first = (
        await lessons.http.get("/lessons", params={"first": 2, "country": "MLI"}, headers=headers)
    ).json()
    assert [edge["node"]["id"] for edge in first["edges"]] == [mali[2]["id"], mali[1]["id"]]
    assert first["has_next_page"] is True
    rest = (
        await lessons.http.get(
            "/lessons",
            params={"first": 2, "country": "MLI", "after": first["end_cursor"]},
            headers=headers,
        )
    ).json()
    assert [edge["node"]["id"] for edge in rest["edges"]] == [mali[0]["id"]]
    assert rest["has_next_page"] is False
    by_region = (
        await lessons.http.get("/lessons", params={"region": "Middle East"}, headers=headers)
    ).json()
    assert [edge["node"]["title"] for edge in by_region["edges"]] == ["Libya lesson"]
    bad = await lessons.http.get("/lessons", params={"after": "nonsense"}, headers=headers)
    assert bad.status_code == 422


async def test_two_concurrent_approvals_publish_once(lessons: LessonsUnderTest) -> None:
    reviewer = lessons.headers(Role.hq_analyst)
    lesson = await lessons.create()
    submitted = (await lessons.move(lesson, "submit")).json()
    first, second = await asyncio.gather(
        lessons.move(submitted, "approve", reviewer), lessons.move(submitted, "approve", reviewer)
    )
    assert sorted([first.status_code, second.status_code]) == [200, 409]
    loser = first if first.status_code == 409 else second
    assert loser.json()["detail"]["code"] == "VERSION_CONFLICT"
    assert len(await lessons.outbox("onedoor.lesson.published.v1")) == 1


async def test_a_retried_create_with_its_key_makes_one_draft(lessons: LessonsUnderTest) -> None:
    writer = {**lessons.headers(Role.hq_analyst), "Idempotency-Key": "draft-1"}
    body = draft_body()
    answers = await asyncio.gather(
        *(lessons.http.post("/lessons", json=body, headers=writer) for _ in range(3))
    )
    assert {answer.status_code for answer in answers} == {201}, [a.text for a in answers]
    assert len({answer.json()["id"] for answer in answers}) == 1
    assert len(await lessons.outbox("onedoor.lesson.status-changed.v1")) == 1
