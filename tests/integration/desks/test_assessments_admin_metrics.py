"""Joint assessments flowing back to the request, the desk map as admin-edited data,
and coordination metrics per request and per desk."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from contracts.events import (
    AssessmentConcluded,
    AssessmentOpened,
    DeclineReason,
    EngagementDeclined,
)
from shared.testing.waiting import eventually
from tests.integration.desks.conftest import DesksUnderTest


async def test_a_joint_assessment_lands_on_the_timeline_and_its_recommendations_route(
    desks: DesksUnderTest,
) -> None:
    request = await desks.submit(desks.client("UNSOM"), title="Security sector review")
    opened = AssessmentOpened(
        assessment_id="0c9a3f0e-3f5e-4d0c-9a57-7a3c0e0b9a11",
        request_id=request["id"],
        desk_code="AFRICA_I",
        partners=["AU", "WORLD_BANK"],
        scope="Joint review of the security sector and its financing",
        opened_by="desk_officer:AFRICA_I:officer-1",
        opened_at=datetime(2026, 1, 6, tzinfo=UTC),
    )
    concluded = AssessmentConcluded(
        assessment_id=opened.assessment_id,
        request_id=request["id"],
        partners=["AU", "WORLD_BANK"],
        summary="Police reform first; then a human rights screening of units.",
        recommended_products=["RULE_OF_LAW", "HUMAN_RIGHTS"],
        concluded_on=date(2026, 2, 1),
        concluded_by="partner:AU:lead",
    )
    await desks.publish(opened, concluded)
    await desks.publish(concluded)  # a repeat changes nothing

    async def concluded_on_request() -> dict | None:
        current = await desks.get(request["id"])
        assessments = current["assessments"]
        return current if assessments and assessments[0]["status"] == "concluded" else None

    current = await eventually(concluded_on_request)
    assert current["assessments"][0]["recommended_products"] == ["RULE_OF_LAW", "HUMAN_RIGHTS"]
    assert current["assessments"][0]["partners"] == ["AU", "WORLD_BANK"]
    assert current["status"] == "submitted"  # nothing is routed without the desk
    timeline = await desks.timeline(request["id"], desks.client("UNSOM"))
    kinds = [entry["event_type"] for entry in timeline]
    assert kinds.count("onedoor.assessment.opened.v1") == 1
    assert kinds.count("onedoor.assessment.concluded.v1") == 1

    officer = desks.officer("AFRICA_I")
    routed = await desks.act(
        request["id"], "route", officer, products=current["assessments"][0]["recommended_products"]
    )
    assert routed.json()["status"] == "routed"
    metrics = (
        await desks.http.get(
            "/request-metrics", params={"request_id": request["id"]}, headers=officer
        )
    ).json()[0]
    assert metrics["entities_involved"] == [
        "client:UNSOM",
        "desk:AFRICA_I",
        "partner:AU",
        "partner:WORLD_BANK",
        "provider:HUMAN_RIGHTS",
        "provider:RULE_OF_LAW",
    ]


async def test_an_assessment_for_an_unknown_request_is_dead_lettered(
    desks: DesksUnderTest,
) -> None:
    stray = AssessmentOpened(
        assessment_id="5b0f7d8e-0000-4000-8000-000000000001",
        request_id="00000000-0000-0000-0000-000000000000",
        desk_code="AFRICA_I",
        partners=["EU"],
        scope="x",
        opened_by="x",
        opened_at=datetime(2026, 1, 6, tzinfo=UTC),
    )
    await desks.publish(stray)
    runtime = desks.service.runtime

    async def dead_lettered() -> bool:
        return bool(runtime.consumer and runtime.consumer.dead_lettered)

    await eventually(dead_lettered)


async def test_the_country_map_is_data_an_admin_edits(desks: DesksUnderTest) -> None:
    admin, officer = desks.admin(), desks.officer("AFRICA_II")
    refused = await desks.http.put(
        "/country-desks/MLI", json={"desk_code": "AFRICA_I"}, headers=officer
    )
    assert refused.status_code == 403
    created = await desks.http.put(
        "/desks/SAHEL", json={"name": "Sahel", "region": "The Sahel"}, headers=admin
    )
    assert created.status_code == 200, created.text
    calendar = (await desks.http.get("/desk-calendars/SAHEL", headers=admin)).json()
    assert (calendar["time_zone"], len(calendar["working_hours"])) == ("UTC", 7)  # every hour
    unknown = await desks.http.put("/country-desks/MLI", json={"desk_code": "NOPE"}, headers=admin)
    assert unknown.status_code == 404
    bad = await desks.http.put("/country-desks/mali", json={"desk_code": "SAHEL"}, headers=admin)
    assert bad.status_code == 422
    moved = await desks.http.put("/country-desks/MLI", json={"desk_code": "SAHEL"}, headers=admin)
    assert moved.json() == {"country": "MLI", "desk_code": "SAHEL"}

    request = await desks.submit(desks.client("MINUSMA"))
    assert (request["desk_code"], request["region"]) == ("SAHEL", "The Sahel")
    desks_list = (await desks.http.get("/desks", headers=desks.client("MINUSMA"))).json()
    sahel = next(desk for desk in desks_list if desk["code"] == "SAHEL")
    assert sahel["countries"] == ["MLI"]
    assert (await desks.http.get(f"/requests/{request['id']}", headers=officer)).status_code == 404
    sahel_officer = desks.officer("SAHEL")
    assert (
        await desks.http.get(f"/requests/{request['id']}", headers=sahel_officer)
    ).status_code == 200


async def test_desk_metrics_count_status_breaches_unmet_demand_and_satisfaction(
    desks: DesksUnderTest,
) -> None:
    officer = desks.officer("AFRICA_I")
    client = desks.client("UNMISS")
    waiting = await desks.submit(client, title="Protection of civilians advice")
    desks.clock.advance(timedelta(hours=2))
    routed = await desks.act(waiting["id"], "route", officer, products=["HUMAN_RIGHTS"])
    routing = routed.json()["routings"][0]
    await desks.publish(
        EngagementDeclined(
            engagement_id="9d7e3c2a-1111-4222-8333-444455556666",
            request_id=waiting["id"],
            routing_id=routing["id"],
            product_code="HUMAN_RIGHTS",
            reason_code=DeclineReason.capacity,
            reason="no standby capacity",
            declined_by="provider:HUMAN_RIGHTS:chief",
            declined_at=desks.clock.now(),
        )
    )
    await desks.until(waiting["id"], "triaged")
    await desks.act(
        waiting["id"], "unmet-demand", officer, routing_id=routing["id"], note="no capacity"
    )
    await desks.submit(client, title="Another one")

    metrics = (await desks.http.get("/desks/AFRICA_I/metrics", headers=officer)).json()
    assert metrics["requests"] == 2
    assert metrics["by_status"] == {"triaged": 1, "submitted": 1}
    assert metrics["open"] == 2 and metrics["awaiting_triage"] == 2
    assert metrics["unmet_demand"] == 1
    assert metrics["average_hours_to_route"] == 2.0
    assert metrics["average_satisfaction"] is None
    per_request = (
        await desks.http.get(
            "/request-metrics", params={"request_id": waiting["id"]}, headers=officer
        )
    ).json()[0]
    assert per_request["hand_offs"] == 2  # to the provider, and back
    assert per_request["declines"] == 1
    assert per_request["seconds_in_status"]["submitted"] == 7200.0
    assert (
        await desks.http.get("/desks/NOWHERE/metrics", headers=desks.admin())
    ).status_code == 404
