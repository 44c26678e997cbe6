"""What the lessons service does with other services' events, on the real broker:
after-action drafts from delivered engagements, suggestions for new requests."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from contracts.events import (
    AssessmentConcluded,
    ClientKind,
    DeliverableRef,
    EngagementDelivered,
    RequestSubmitted,
    TaskLead,
    Urgency,
)
from services.lessons.models import IntakeRequest
from shared.auth import Role
from shared.messaging.models import INBOX
from shared.testing.waiting import eventually
from tests.integration.lessons.conftest import LessonsUnderTest, publish_raw


def delivered(engagement_id: str = "eng-1") -> EngagementDelivered:
    return EngagementDelivered(
        engagement_id=engagement_id,
        request_id="req-1",
        routing_id="rout-1",
        product_code="ELECTORAL_ASSISTANCE",
        provider_unit="Electoral Assistance Division",
        client_code="MINUSMA",
        client_kind=ClientKind.peacekeeping_operation,
        country="MLI",
        region="Africa",
        desk_code="AFRICA_II",
        title="Needs assessment before the presidential election",
        deliverables=[
            DeliverableRef(
                title="Needs assessment report",
                kind="report",
                reference="EAD/2026/14",
                delivered_on=date(2026, 3, 2),
            )
        ],
        experts=["A. Diallo"],
        accepted_at=datetime(2026, 1, 10, tzinfo=UTC),
        delivered_by="provider:ELECTORAL_ASSISTANCE:officer",
        delivered_at=datetime(2026, 3, 3, tzinfo=UTC),
    )


async def drafts_for(lessons: LessonsUnderTest, products: list[str]) -> list[dict[str, Any]]:
    response = await lessons.http.get(
        "/unpublished-lessons", headers=lessons.headers(Role.provider, products=products)
    )
    assert response.status_code == 200, response.text
    return list(response.json())


async def test_a_delivered_engagement_opens_one_after_action_draft_for_its_provider(
    lessons: LessonsUnderTest,
) -> None:
    await publish_raw(lessons.platform, delivered())
    [draft] = await eventually(lambda: drafts_for(lessons, ["ELECTORAL_ASSISTANCE"]))
    assert draft["status"] == "draft"
    assert draft["title"] == "After action: Needs assessment before the presidential election"
    assert draft["themes"] == ["ELECTORAL_ASSISTANCE"]
    assert draft["countries"] == ["MLI"] and draft["regions"] == ["Africa"]
    assert draft["client_kinds"] == ["peacekeeping_operation"]
    assert draft["source_kind"] == "engagement" and draft["source_ref"] == "eng-1"
    assert draft["authoring_entity"] == "Electoral Assistance Division"
    assert "Needs assessment report (report, 2026-03-02): EAD/2026/14" in draft["body"]
    assert "Accepted: 2026-01-10; delivered: 2026-03-03" in draft["body"]
    assert await drafts_for(lessons, ["RULE_OF_LAW"]) == []

    # The same engagement again, under a new event id (a re-published outbox), and then
    # another engagement: still one draft for the first.
    await publish_raw(lessons.platform, delivered())
    await publish_raw(lessons.platform, delivered("eng-2"))
    await eventually(lambda: _count(lessons, ["ELECTORAL_ASSISTANCE"], expected=2), timeout_s=15)
    refs = sorted(d["source_ref"] for d in await drafts_for(lessons, ["ELECTORAL_ASSISTANCE"]))
    assert refs == ["eng-1", "eng-2"]
    created = [
        json.loads(row.payload) for row in await lessons.outbox("onedoor.lesson.status-changed.v1")
    ]
    assert [(move["from_status"], move["to_status"]) for move in created] == [(None, "draft")] * 2


async def _count(lessons: LessonsUnderTest, products: list[str], expected: int) -> bool:
    return len(await drafts_for(lessons, products)) == expected


def submitted(request_id: str, **overrides: Any) -> RequestSubmitted:
    fields: dict[str, Any] = {
        "request_id": request_id,
        "client_code": "MINUSMA",
        "client_kind": ClientKind.peacekeeping_operation,
        "country": "MLI",
        "region": "Africa",
        "desk_code": "AFRICA_II",
        "title": "Support to the electoral commission",
        "description": "Voter registration is behind schedule before the presidential vote.",
        "products": ["ELECTORAL_ASSISTANCE"],
        "urgency": Urgency.priority,
        "submitted_by": "client:MINUSMA:ops",
        "submitted_at": datetime(2026, 1, 5, tzinfo=UTC),
        **overrides,
    }
    return RequestSubmitted(**fields)


async def suggestions(
    lessons: LessonsUnderTest, request_id: str, role: Role, **tenant: Any
) -> list[dict[str, Any]]:
    response = await lessons.http.get(
        "/suggestions", params={"request_id": request_id}, headers=lessons.headers(role, **tenant)
    )
    assert response.status_code == 200, response.text
    return list(response.json())


async def test_a_new_request_gets_ranked_suggestions_with_reasons(
    lessons: LessonsUnderTest,
) -> None:
    registration = await lessons.publish(
        title="Voter registration takes longer than planned",
        summary="Start registration early; biometric kits arrive late.",
        themes=["ELECTORAL_ASSISTANCE"],
        countries=["SLE"],
        regions=["Africa"],
    )
    same_country = await lessons.publish(
        title="Working with the Malian transitional authorities",
        summary="Agree on counterparts first.",
        themes=["POLITICAL_ANALYSIS"],
        countries=["MLI"],
        regions=["Africa"],
    )
    restricted = await lessons.publish(
        title="Electoral commission members under pressure",
        summary="Registration of voters was manipulated in two districts.",
        themes=["ELECTORAL_ASSISTANCE"],
        countries=["MLI"],
        regions=["Africa"],
        sensitivity="restricted",
    )
    unrelated = await lessons.publish(
        title="Prison census methods",
        summary="Count detainees weekly.",
        themes=["RULE_OF_LAW"],
        countries=["HTI"],
        regions=["Americas"],
    )
    await publish_raw(lessons.platform, submitted("req-1"))

    async def for_hq() -> list[dict[str, Any]]:
        return await suggestions(lessons, "req-1", Role.hq_analyst)

    shown = await eventually(for_hq)
    order = [item["lesson_id"] for item in shown]
    assert order == [restricted["id"], registration["id"], same_country["id"]]
    assert unrelated["id"] not in order
    top = shown[0]
    assert top["title"] == restricted["title"] and top["summary"] == restricted["summary"]
    assert top["reasons"][0].startswith("mentions ")
    assert "electoral" in top["reasons"][0] and "registration" in top["reasons"][0]
    assert "same theme: ELECTORAL_ASSISTANCE" in top["reasons"]
    assert "same country: MLI" in top["reasons"]
    assert "same country: MLI" in shown[2]["reasons"]

    client = await suggestions(lessons, "req-1", Role.client, client="MINUSMA")
    assert [item["lesson_id"] for item in client] == [registration["id"], same_country["id"]]
    assert [item["rank"] for item in client] == [1, 2]
    desk = await suggestions(lessons, "req-1", Role.desk_officer, desk="AFRICA_II")
    assert [item["lesson_id"] for item in desk] == order
    assert await suggestions(lessons, "req-1", Role.client, client="UNMISS") == []
    assert await suggestions(lessons, "req-1", Role.desk_officer, desk="AMERICAS") == []
    assert await suggestions(lessons, "req-1", Role.partner, partner="AU") == []

    # Archived lessons stop being suggested.
    await lessons.move(registration, "archive")
    client_after = await suggestions(lessons, "req-1", Role.client, client="MINUSMA")
    assert [item["lesson_id"] for item in client_after] == [same_country["id"]]


async def test_a_concluded_joint_assessment_opens_one_draft_for_hq(
    lessons: LessonsUnderTest,
) -> None:
    await publish_raw(lessons.platform, submitted("req-9", country="SOM", region="Africa"))

    async def request_seen() -> bool:
        async with lessons.service.sessions() as session, session.begin():
            return await session.get(IntakeRequest, "req-9") is not None

    await eventually(request_seen)  # the two events travel on different topics
    concluded = AssessmentConcluded(
        assessment_id="as-1",
        request_id="req-9",
        partners=["AU", "WORLD_BANK"],
        summary="Security sector reform needs a joint financing plan.",
        recommended_products=["RULE_OF_LAW", "POLITICAL_ANALYSIS"],
        concluded_on=date(2026, 4, 1),
        division_of_labour=[TaskLead(task="Police census", lead="AU")],
    )
    await publish_raw(lessons.platform, concluded)
    await publish_raw(lessons.platform, concluded)  # re-published: still one draft
    reviewer = lessons.headers(Role.hq_analyst)

    async def drafts() -> list[dict[str, Any]]:
        response = await lessons.http.get("/unpublished-lessons", headers=reviewer)
        return [d for d in response.json() if d["source_kind"] == "assessment"]

    [draft] = await eventually(drafts)
    assert draft["title"] == "Joint assessment: Support to the electoral commission"
    assert draft["themes"] == ["RULE_OF_LAW", "POLITICAL_ANALYSIS"]
    assert draft["countries"] == ["SOM"] and draft["client_kinds"] == ["peacekeeping_operation"]
    assert draft["authoring_entity"] == "joint assessment: UN, AU, WORLD_BANK"
    assert "- Police census: AU" in draft["body"]
    assert draft["owner_kind"] == "hq"
    # Providers and desks do not own it: only reviewers see this draft.
    provider = lessons.headers(Role.provider, products=["RULE_OF_LAW"])
    listed = await lessons.http.get("/unpublished-lessons", headers=provider)
    assert listed.json() == []


async def test_a_request_republished_under_a_new_id_changes_nothing(
    lessons: LessonsUnderTest,
) -> None:
    """The inbox cannot catch the same request under another event id: the first copy
    and its suggestions stay as they were."""
    lesson = await lessons.publish(
        title="Voter registration takes longer than planned",
        summary="Start registration early; biometric kits arrive late.",
        themes=["ELECTORAL_ASSISTANCE"],
        countries=["MLI"],
        regions=["Africa"],
    )
    await publish_raw(lessons.platform, submitted("req-5"), "first")

    async def for_hq() -> list[dict[str, Any]]:
        return await suggestions(lessons, "req-5", Role.hq_analyst)

    shown = await eventually(for_hq)
    assert [item["lesson_id"] for item in shown] == [lesson["id"]]
    other = submitted("req-5", title="Prison census", description="", products=["RULE_OF_LAW"])
    await publish_raw(lessons.platform, other, "again")

    async def applied() -> bool:
        async with lessons.service.sessions() as session, session.begin():
            outcome = await session.scalar(
                select(INBOX.c.outcome).where(INBOX.c.event_id == "again")
            )
            return outcome == "applied"

    await eventually(applied)
    async with lessons.service.sessions() as session, session.begin():
        request = await session.get(IntakeRequest, "req-5")
    assert request is not None and request.title == "Support to the electoral commission"
    assert await suggestions(lessons, "req-5", Role.hq_analyst) == shown
