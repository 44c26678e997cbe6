"""Search on a small known corpus, on SQLite FTS5 and PostgreSQL full-text search alike:
ranking by field, stemming, all-words matching, filters, facets, date ranges."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

from services.lessons.domain import visible_sensitivities
from services.lessons.search import LessonFilter, search_lessons
from shared.auth import Role
from tests.integration.lessons.conftest import LessonsUnderTest, draft_body

FILLER = "Notes from the team on staffing, travel and budgets for the quarter."


async def known_corpus(lessons: LessonsUnderTest) -> dict[str, dict[str, Any]]:
    """Three lessons mention 'electoral' once each: in the title, the summary, the body."""
    return {
        "title": await lessons.publish(
            title="Electoral commission logistics",
            summary=FILLER,
            body=FILLER,
            themes=["ELECTORAL_ASSISTANCE"],
            countries=["MLI"],
            regions=["Africa"],
        ),
        "summary": await lessons.publish(
            title="Police reform sequencing",
            summary=f"Police vetting before the electoral calendar. {FILLER}",
            body=FILLER,
            themes=["RULE_OF_LAW"],
            countries=["SSD"],
            regions=["Africa"],
        ),
        "body": await lessons.publish(
            title="Mediation with armed groups",
            summary=FILLER,
            body=f"Talks slowed during the electoral campaign. {FILLER}",
            themes=["MEDIATION_SUPPORT", "RULE_OF_LAW"],
            countries=["LBY"],
            regions=["Middle East"],
            client_kinds=["special_political_mission"],
        ),
    }


async def search(lessons: LessonsUnderTest, **params: Any) -> dict[str, Any]:
    response = await lessons.http.get(
        "/search", params=params, headers=lessons.headers(Role.hq_analyst)
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def ids(result: dict[str, Any]) -> list[str]:
    return [hit["lesson"]["id"] for hit in result["hits"]]


async def test_a_title_match_outranks_a_summary_match_which_outranks_a_body_match(
    lessons: LessonsUnderTest,
) -> None:
    corpus = await known_corpus(lessons)
    result = await search(lessons, q="electoral")
    assert ids(result) == [corpus["title"]["id"], corpus["summary"]["id"], corpus["body"]["id"]]
    scores = [hit["score"] for hit in result["hits"]]
    assert scores[0] > scores[1] > scores[2] > 0
    assert result["total"] == 3


async def test_words_are_stemmed_and_all_must_match(lessons: LessonsUnderTest) -> None:
    corpus = await known_corpus(lessons)
    assert ids(await search(lessons, q="commissions")) == [corpus["title"]["id"]]
    assert ids(await search(lessons, q="electoral logistics")) == [corpus["title"]["id"]]
    assert ids(await search(lessons, q="electoral zanzibar")) == []
    # Query syntax is never passed through: quotes, operators and stars are just words.
    assert ids(await search(lessons, q='"electoral" OR * NEAR(')) == []
    assert ids(await search(lessons, q='"police" -reform*')) == [corpus["summary"]["id"]]
    assert (await search(lessons, q="the of and"))["total"] == 0


async def test_filters_narrow_and_facets_count_the_whole_result(
    lessons: LessonsUnderTest,
) -> None:
    corpus = await known_corpus(lessons)
    result = await search(lessons, q="electoral", first=1)
    assert result["total"] == 3 and len(result["hits"]) == 1 and result["next_offset"] == 1
    assert result["facets"]["theme"] == [
        {"value": "RULE_OF_LAW", "count": 2},
        {"value": "ELECTORAL_ASSISTANCE", "count": 1},
        {"value": "MEDIATION_SUPPORT", "count": 1},
    ]
    assert result["facets"]["region"] == [
        {"value": "Africa", "count": 2},
        {"value": "Middle East", "count": 1},
    ]
    assert {item["value"] for item in result["facets"]["country"]} == {"MLI", "SSD", "LBY"}

    rule_of_law = await search(lessons, q="electoral", theme="RULE_OF_LAW")
    assert ids(rule_of_law) == [corpus["summary"]["id"], corpus["body"]["id"]]
    both = await search(lessons, q="electoral", theme="RULE_OF_LAW", region="Africa")
    assert ids(both) == [corpus["summary"]["id"]]
    either = await search(lessons, q="electoral", country=["MLI", "LBY"])
    assert ids(either) == [corpus["title"]["id"], corpus["body"]["id"]]
    without = await search(lessons, q="electoral", facets="false")
    assert without["total"] == 3 and without["total_exact"] is True
    assert without["facets"] == {}
    kind = await search(lessons, q="electoral", client_kind="special_political_mission")
    assert ids(kind) == [corpus["body"]["id"]]
    assert kind["facets"]["client_kind"] == [{"value": "special_political_mission", "count": 1}]


async def test_date_range_and_no_words_lists_newest_first(lessons: LessonsUnderTest) -> None:
    corpus = await known_corpus(lessons)
    newest_first = await search(lessons)
    assert ids(newest_first) == [
        corpus["body"]["id"],
        corpus["summary"]["id"],
        corpus["title"]["id"],
    ]
    second = corpus["summary"]["published_at"]
    after_second = await search(
        lessons, q="electoral", published_from=second.replace("Z", "+00:00")
    )
    assert ids(after_second) == [corpus["summary"]["id"], corpus["body"]["id"]]
    before_second = await search(lessons, q="electoral", published_to=second)
    assert ids(before_second) == [corpus["title"]["id"]]
    naive = await lessons.http.get(
        "/search",
        params={"q": "x", "published_from": "2026-01-01T00:00:00"},
        headers=lessons.headers(Role.hq_analyst),
    )
    assert naive.status_code == 422


async def test_only_published_lessons_are_found_and_edits_are_reindexed(
    lessons: LessonsUnderTest,
) -> None:
    draft = await lessons.create(title="Electoral draft not yet reviewed")
    assert (await search(lessons, q="electoral"))["total"] == 0
    edited = await lessons.http.put(
        f"/lessons/{draft['id']}",
        json={"title": "Ceasefire monitoring draft", "expected_version": draft["version"]},
        headers=lessons.headers(Role.hq_analyst),
    )
    assert edited.status_code == 200, edited.text
    submitted = (await lessons.move(edited.json(), "submit")).json()
    lessons.clock.advance(timedelta(minutes=1))
    await lessons.move(submitted, "approve")
    assert ids(await search(lessons, q="ceasefire")) == [draft["id"]]
    assert (await search(lessons, q="electoral"))["total"] == 0


async def test_search_follows_edits_of_facets_and_sensitivity_and_archiving(
    lessons: LessonsUnderTest,
) -> None:
    """What search reads of a lesson (its narrow row and facet set, kept by triggers in the
    lesson's transaction) follows every write: an edit that changes themes, country and
    sensitivity, publication, archiving."""
    await lessons.publish(title="Ceasefire lessons from Mali", themes=["ELECTORAL_ASSISTANCE"])
    draft = await lessons.create(title="Ceasefire monitoring", themes=["ELECTORAL_ASSISTANCE"])
    edited = await lessons.http.put(
        f"/lessons/{draft['id']}",
        json={
            **draft_body(title="Ceasefire monitoring", themes=["MEDIATION_SUPPORT"]),
            "countries": ["LBY"],
            "regions": ["Middle East"],
            "sensitivity": "restricted",
            "expected_version": draft["version"],
        },
        headers=lessons.headers(Role.hq_analyst),
    )
    assert edited.status_code == 200, edited.text
    submitted = (await lessons.move(edited.json(), "submit")).json()
    lessons.clock.advance(timedelta(minutes=1))
    published = (await lessons.move(submitted, "approve")).json()

    mediation = await search(lessons, q="ceasefire", theme="MEDIATION_SUPPORT")
    assert ids(mediation) == [draft["id"]]
    assert mediation["facets"]["country"] == [{"value": "LBY", "count": 1}]
    both = await search(lessons, q="ceasefire")
    assert both["total"] == 2
    assert both["facets"]["theme"] == [
        {"value": "ELECTORAL_ASSISTANCE", "count": 1},
        {"value": "MEDIATION_SUPPORT", "count": 1},
    ]
    as_client = await lessons.http.get(
        "/search", params={"q": "ceasefire"}, headers=lessons.headers(Role.client, client="MINUSMA")
    )
    assert as_client.json()["total"] == 1  # the restricted one is not the client's to see
    assert draft["id"] not in ids(as_client.json())

    archived = await lessons.move(published, "archive")
    assert archived.status_code == 200, archived.text
    after = await search(lessons, q="ceasefire")
    assert after["total"] == 1 and draft["id"] not in ids(after)
    assert (await search(lessons, q="ceasefire", theme="MEDIATION_SUPPORT"))["total"] == 0


async def test_postgres_plans_a_search_with_its_values_for_that_transaction_only(
    lessons: LessonsUnderTest,
) -> None:
    """A search's statements are planned with their words (no generic plan kept for a
    prepared statement); the setting ends with the search's transaction."""
    await known_corpus(lessons)
    async with lessons.sessions() as session:
        if session.get_bind().dialect.name != "postgresql":
            pytest.skip("a PostgreSQL planner setting")
        async with session.begin():
            page = await search_lessons(
                session,
                text="electoral",
                lesson_filter=LessonFilter(),
                sensitivities=visible_sensitivities(Role.hq_analyst),
                first=20,
            )
            assert page.total == 3
            assert await session.scalar(text("SHOW plan_cache_mode")) == "force_custom_plan"
        async with session.begin():
            assert await session.scalar(text("SHOW plan_cache_mode")) == "auto"
