"""Lessons in languages: each lesson carries its language, a translation links to its
original, and search, its facets, the feed and a saved filter's Atom feed filter by
language, on both databases."""

from __future__ import annotations

import json

from contracts.events import LessonPublished
from shared.auth import Role
from tests.integration.lessons.conftest import LessonsUnderTest, draft_body


async def test_lessons_in_languages_and_their_translations(lessons: LessonsUnderTest) -> None:
    hq = lessons.headers(Role.hq_analyst)
    original = await lessons.publish(title="Polling station logistics")
    assert original["language"] == "en" and original["translation_of"] is None
    await lessons.publish(title="Médiation locale", language="fr")
    created = await lessons.http.post(
        "/lessons",
        json=draft_body(
            title="Logística de los colegios electorales",
            language="es",
            translation_of=original["id"],
        ),
        headers=hq,
    )
    assert created.status_code == 201, created.text
    spanish = created.json()
    assert (spanish["language"], spanish["translation_of"]) == ("es", original["id"])
    spanish = dict((await lessons.move(spanish, "submit")).json())
    spanish = dict((await lessons.move(spanish, "approve")).json())

    async def refusal(**content: object) -> tuple[int, str]:
        answer = await lessons.http.post("/lessons", json=draft_body(**content), headers=hq)
        return answer.status_code, answer.json()["detail"]["code"]

    assert await refusal(language="xx") == (422, "BAD_USER_INPUT")
    assert await refusal(language="fr", translation_of=spanish["id"]) == (422, "BAD_USER_INPUT")
    assert await refusal(language="en", translation_of=original["id"]) == (422, "BAD_USER_INPUT")
    missing = "00000000-0000-4000-8000-000000000000"
    assert await refusal(language="fr", translation_of=missing) == (404, "LESSON_NOT_FOUND")

    async def titles(path: str, **params: object) -> list[str]:
        answer = await lessons.http.get(path, params=params, headers=hq)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        items = [hit["lesson"] for hit in body["hits"]] if "hits" in body else [
            edge["node"] for edge in body["edges"]]  # fmt: skip
        return sorted(item["title"] for item in items)

    assert await titles("/search", language="fr") == ["Médiation locale"]
    assert await titles("/search", language=["es", "en"]) == [
        "Logística de los colegios electorales", "Polling station logistics"]  # fmt: skip
    assert await titles("/lessons", language="es") == ["Logística de los colegios electorales"]
    assert await titles("/search", translation_of=original["id"]) == [
        "Logística de los colegios electorales"]  # fmt: skip
    facets = (await lessons.http.get("/search", headers=hq)).json()["facets"]["language"]
    assert {facet["value"]: facet["count"] for facet in facets} == {"en": 1, "es": 1, "fr": 1}

    # An edit without a language keeps it; one with a language changes it.
    draft = await lessons.create(title="Brouillon", language="fr")
    edit = {**draft_body(title="Brouillon revu"), "expected_version": draft["version"]}
    kept = await lessons.http.put(f"/lessons/{draft['id']}", json=edit, headers=hq)
    assert kept.json()["language"] == "fr"
    edit = {**edit, "expected_version": kept.json()["version"], "language": "ru"}
    changed = await lessons.http.put(f"/lessons/{draft['id']}", json=edit, headers=hq)
    assert changed.json()["language"] == "ru"

    # A saved filter's feed in one language.
    saved = await lessons.http.post(
        "/saved-filters",
        json={"name": "En français", "criteria": {"languages": ["fr"]}},
        headers=hq,
    )
    assert saved.status_code == 201, saved.text
    feed = await lessons.http.get(f"/feeds/{saved.json()['feed_token']}")
    assert [entry["title"] for entry in feed.json()["entries"]] == ["Médiation locale"]

    published = [json.loads(row.payload) for row in await lessons.outbox(LessonPublished.type)]
    assert {
        (event["title"], event["language"], event["translation_of"]) for event in published
    } == {
        ("Polling station logistics", "en", None),
        ("Médiation locale", "fr", None),
        ("Logística de los colegios electorales", "es", original["id"]),
    }
