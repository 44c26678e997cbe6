"""Engagements through the products service's API and the real broker, on SQLite and
PostgreSQL: each transition and its event, capacity, versions, tenancy, idempotency."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from contracts.events import DeclineReason, RequestStatusChanged, UnmetDemandRecorded
from services.products.models import Engagement
from shared.auth import Role
from shared.messaging import InboxEntry
from shared.testing.waiting import eventually
from tests.integration.products.conftest import Provider, routed

ELECTORAL = "ELECTORAL_ASSISTANCE"
DELIVERABLE = {
    "title": "Needs assessment mission report",
    "kind": "assessment",
    "reference": "https://docs.example.org/NAM/2027/MLI",
    "delivered_on": "2026-02-10",
}


async def engagement_count(provider: Provider) -> int:
    async with provider.service.sessions() as session, session.begin():
        return int(await session.scalar(select(func.count()).select_from(Engagement)) or 0)


async def set_product(provider: Provider, code: str, **changes: Any) -> dict[str, Any]:
    current = (
        await provider.service.http.get(f"/products/{code}", headers=provider.headers())
    ).json()
    response = await provider.service.http.patch(
        f"/products/{code}",
        json={"expected_version": current["revision"], **changes},
        headers=provider.headers(),
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_a_redelivered_routing_never_opens_a_second_engagement(provider: Provider) -> None:
    event = routed()
    first_id = await provider.publish(event)
    engagement = await provider.engagement_of(event.routing_id)
    await provider.publish(event, event_id=first_id)  # the same record again: the inbox
    await provider.publish(event)  # re-published under a new id: the routing id

    async def both_seen() -> bool:
        async with provider.service.sessions() as session, session.begin():
            seen = await session.scalar(select(func.count()).select_from(InboxEntry))
        return seen == 2

    await eventually(both_seen)
    assert await engagement_count(provider) == 1
    accepted = await provider.events("onedoor.engagement.accepted.v1")
    assert [e["engagement_id"] for e in accepted] == [engagement["id"]]
    assert engagement["client_kind"] == "peacekeeping_operation"
    assert engagement["region"] == "Africa"


async def test_the_happy_path_publishes_an_event_for_every_move(provider: Provider) -> None:
    engagement = await provider.route()
    assert engagement["status"] == "accepted"
    assert engagement["decided_by"] == "products:auto-accept"

    planning = (await provider.act(engagement, "plan")).json()
    assert planning["status"] == "planning"
    assert planning["version"] == engagement["version"] + 1

    assigned = await provider.act(
        planning,
        "assignments",
        expert_id="EXP-ELEC-01",
        starts_on="2026-02-01",
        ends_on="2026-02-20",
    )
    assert assigned.status_code == 201, assigned.text
    deployed = (await provider.act(assigned.json(), "deploy")).json()
    assert deployed["status"] == "deployed"

    refused = await provider.act(deployed, "deliver")
    assert refused.status_code == 409
    assert refused.json()["detail"]["code"] == "DELIVERABLE_REQUIRED"
    assert (await provider.get(engagement["id"]))["status"] == "deployed"

    recorded = await provider.act(deployed, "deliverables", **DELIVERABLE)
    assert recorded.status_code == 201, recorded.text
    delivered = await provider.act(recorded.json(), "deliver")
    assert delivered.status_code == 200, delivered.text
    assert delivered.json()["status"] == "delivered"
    closed = (await provider.act(delivered.json(), "close")).json()
    assert closed["status"] == "closed"

    changes = await provider.events("onedoor.engagement.status-changed.v1")
    assert [(c["from_status"], c["to_status"]) for c in changes] == [
        ("accepted", "planning"),
        ("planning", "deployed"),
        ("delivered", "closed"),
    ]
    assert all(c["actor"] == f"provider:{ELECTORAL}:dev-provider" for c in changes)
    [record] = await provider.events("onedoor.engagement.delivered.v1")
    assert record["engagement_id"] == engagement["id"]
    assert record["provider_unit"] == "Electoral Assistance Division"
    assert record["client_kind"] == "peacekeeping_operation"
    assert record["region"] == "Africa"
    assert record["desk_code"] == "AFRICA_II"
    assert record["experts"] == ["Aminata Diallo"]
    assert record["deliverables"] == [
        {
            "title": DELIVERABLE["title"],
            "kind": "assessment",
            "reference": DELIVERABLE["reference"],
            "delivered_on": "2026-02-10",
        }
    ]
    assert record["accepted_at"] is not None


async def test_illegal_moves_and_stale_versions_are_refused_and_change_nothing(
    provider: Provider,
) -> None:
    engagement = await provider.route()
    for action in ("deploy", "deliver", "close", "accept"):
        refused = await provider.act(engagement, action)
        assert refused.status_code == 409, (action, refused.text)
        assert refused.json()["detail"]["code"] == "ILLEGAL_TRANSITION", action
    stale = {**engagement, "version": engagement["version"] + 1}
    conflict = await provider.act(stale, "plan")
    assert conflict.status_code == 409
    assert conflict.json()["detail"]["code"] == "VERSION_CONFLICT"
    assert conflict.json()["detail"]["current_version"] == engagement["version"]
    late = await provider.act(stale, "deliverables", **DELIVERABLE)
    assert late.json()["detail"]["code"] == "VERSION_CONFLICT"
    missing = await provider.act({**engagement, "id": "no-such-engagement"}, "plan")
    assert missing.status_code == 404
    assert missing.json()["detail"]["code"] == "ENGAGEMENT_NOT_FOUND"
    assert await provider.get(engagement["id"]) == engagement
    assert await provider.events("onedoor.engagement.status-changed.v1") == []


async def test_past_capacity_routings_wait_and_accepting_them_is_refused(
    provider: Provider,
) -> None:
    await set_product(provider, "MEDIATION_SUPPORT", capacity=1)
    first = await provider.route("MEDIATION_SUPPORT")
    second = await provider.route("MEDIATION_SUPPORT")
    assert (first["status"], second["status"]) == ("accepted", "proposed")
    [proposed] = await provider.events("onedoor.engagement.proposed.v1")
    assert proposed["engagement_id"] == second["id"]

    full = await provider.act(second, "accept")
    assert full.status_code == 409
    assert full.json()["detail"]["code"] == "CAPACITY_EXCEEDED"
    assert (await provider.get(second["id"]))["status"] == "proposed"

    bad_reason = await provider.act(second, "decline", reason_code="bored", reason="x")
    assert bad_reason.status_code == 422
    declined = await provider.act(
        second, "decline", reason_code="capacity", reason="The standby team is fully deployed."
    )
    assert declined.status_code == 200, declined.text
    assert declined.json()["decline_reason_code"] == "capacity"
    [event] = await provider.events("onedoor.engagement.declined.v1")
    assert (event["reason_code"], event["reason"]) == (
        "capacity",
        "The standby team is fully deployed.",
    )
    assert event["declined_by"] == "provider:MEDIATION_SUPPORT:dev-provider"


async def test_two_officers_accepting_into_the_last_slot_one_wins(provider: Provider) -> None:
    await set_product(provider, "HUMAN_RIGHTS", capacity=1, auto_accept=False)
    one = await provider.route("HUMAN_RIGHTS")
    other = await provider.route("HUMAN_RIGHTS")
    answers = await asyncio.gather(provider.act(one, "accept"), provider.act(other, "accept"))
    codes = sorted(answer.status_code for answer in answers)
    assert codes == [200, 409], [answer.text for answer in answers]
    refused = next(answer for answer in answers if answer.status_code == 409)
    assert refused.json()["detail"]["code"] == "CAPACITY_EXCEEDED"


async def test_a_provider_sees_and_changes_only_its_own_products_engagements(
    provider: Provider,
) -> None:
    electoral = await provider.route(ELECTORAL)
    mediation = await provider.route(
        "MEDIATION_SUPPORT", client_code="UNMISS", desk_code="AFRICA_I"
    )
    eleco = provider.officer(ELECTORAL)

    listed = (await provider.service.http.get("/engagements", headers=eleco)).json()
    assert [e["id"] for e in listed] == [electoral["id"]]
    queue = (await provider.service.http.get("/queue", headers=eleco)).json()
    assert [edge["node"]["id"] for edge in queue["edges"]] == [electoral["id"]]
    hidden = await provider.service.http.get(f"/engagements/{mediation['id']}", headers=eleco)
    assert hidden.status_code == 404
    foreign = await provider.act(mediation, "plan", headers=eleco)
    assert foreign.status_code == 404

    minusma = provider.headers(Role.client, client="MINUSMA")
    assert (
        await provider.service.http.get(f"/engagements/{electoral['id']}", headers=minusma)
    ).status_code == 200
    for headers in (minusma, provider.headers(Role.desk_officer, desk="AFRICA_II")):
        refused = await provider.act(electoral, "plan", headers=headers)
        assert refused.status_code == 403
        assert refused.json()["detail"]["code"] == "FORBIDDEN"
    admin = await provider.act(mediation, "plan", headers=provider.headers(Role.admin))
    assert admin.status_code == 200

    figures = (await provider.service.http.get("/utilisation", headers=eleco)).json()
    assert [f["product_code"] for f in figures] == [ELECTORAL]
    assert (await provider.service.http.get("/utilisation", headers=minusma)).status_code == 403
    assert (await provider.service.http.get("/experts", headers=minusma)).status_code == 403


async def test_the_queue_filters_and_pages_across_desks_and_clients(provider: Provider) -> None:
    made = []
    for client, desk, urgency in [
        ("MINUSMA", "AFRICA_II", "priority"),
        ("UNMISS", "AFRICA_I", "routine"),
        ("UNSMIL", "MIDDLE_EAST", "immediate"),
        ("UNMISS", "AFRICA_I", "immediate"),
        ("MONUSCO", "AFRICA_I", "routine"),
    ]:
        made.append(
            await provider.route(ELECTORAL, client_code=client, desk_code=desk, urgency=urgency)
        )
    officer = provider.officer(ELECTORAL)
    seen: list[str] = []
    after = None
    for _ in range(5):
        params: dict[str, Any] = {"first": 2, **({"after": after} if after else {})}
        page = (await provider.service.http.get("/queue", params=params, headers=officer)).json()
        seen += [edge["node"]["id"] for edge in page["edges"]]
        after = page["end_cursor"]
        if not page["has_next_page"]:
            break
    assert seen == [e["id"] for e in made]

    async def ids(**params: Any) -> list[str]:
        page = (await provider.service.http.get("/queue", params=params, headers=officer)).json()
        return [edge["node"]["id"] for edge in page["edges"]]

    assert await ids(desk="AFRICA_I") == [made[1]["id"], made[3]["id"], made[4]["id"]]
    assert await ids(urgency="immediate", client="UNMISS") == [made[3]["id"]]
    assert await ids(status="proposed") == []
    assert await ids(product="MEDIATION_SUPPORT") == []
    bad = await provider.service.http.get("/queue", params={"after": "!!"}, headers=officer)
    assert bad.json()["detail"]["code"] == "BAD_USER_INPUT"


async def test_a_withdrawn_request_stops_its_open_engagements(provider: Provider) -> None:
    engagement = await provider.route()
    booked = await provider.act(
        engagement,
        "assignments",
        expert_id="EXP-ELEC-01",
        starts_on="2026-03-01",
        ends_on="2026-03-10",
    )
    assert booked.status_code == 201
    other_client = await provider.route()
    withdrawal = RequestStatusChanged(
        request_id=engagement["request_id"],
        client_code="MINUSMA",
        desk_code="AFRICA_II",
        from_status="in_progress",
        to_status="withdrawn",
        actor="client:MINUSMA:dev-client",
        changed_at=engagement["created_at"],
    )
    await provider.publish(withdrawal)
    await provider.publish(withdrawal)  # redelivered under a new id: nothing more happens

    async def withdrawn() -> dict[str, Any] | None:
        current = await provider.get(engagement["id"])
        return current if current["status"] == "withdrawn" else None

    await eventually(withdrawn)
    assert (await provider.get(other_client["id"]))["status"] == "accepted"
    changes = await provider.events("onedoor.engagement.status-changed.v1")
    assert [(c["from_status"], c["to_status"], c["actor"]) for c in changes] == [
        ("accepted", "withdrawn", "client:MINUSMA:dev-client")
    ]
    experts = (
        await provider.service.http.get(
            "/experts", params={"skill": "electoral_management"}, headers=provider.headers()
        )
    ).json()
    assert experts[0]["bookings"] == []
    figures = (
        await provider.service.http.get("/utilisation", headers=provider.officer(ELECTORAL))
    ).json()
    assert figures[0]["active"] == 1
    assert figures[0]["by_status"] == {"accepted": 1, "withdrawn": 1}


async def test_unmet_demand_counts_declines_and_desk_records_once_per_request(
    provider: Provider,
) -> None:
    await set_product(provider, "RULE_OF_LAW", auto_accept=False)
    engagement = await provider.route("RULE_OF_LAW")
    await provider.act(engagement, "decline", reason_code="needs_partner", reason="Needs the AU.")
    record = UnmetDemandRecorded(
        request_id=engagement["request_id"],
        product_code="RULE_OF_LAW",
        client_code="MINUSMA",
        client_kind="peacekeeping_operation",
        country="MLI",
        region="Africa",
        desk_code="AFRICA_II",
        reason_code="needs_partner",
        note="No partner available this quarter.",
        recorded_by="desk_officer:AFRICA_II:amina",
        recorded_at=engagement["created_at"],
    )
    elsewhere = record.model_copy(
        update={"request_id": "another-request", "reason_code": DeclineReason.capacity}
    )
    for event in (record, record, elsewhere):
        await provider.publish(event)

    async def figures() -> dict[str, Any] | None:
        rows = (
            await provider.service.http.get(
                "/unmet-demand", headers=provider.officer("RULE_OF_LAW")
            )
        ).json()
        return rows[0] if rows[0]["recorded_by_desks"] == 2 else None

    rule_of_law = await eventually(figures)
    assert rule_of_law == {
        "product_code": "RULE_OF_LAW",
        "declined": 1,
        "declined_by_reason": {"needs_partner": 1},
        "recorded_by_desks": 2,
        "recorded_by_reason": {"needs_partner": 1, "capacity": 1},
        "requests": 2,
    }


async def test_the_queue_shows_when_each_step_is_due_and_what_is_overdue(
    provider: Provider,
) -> None:
    await set_product(provider, "MEDIATION_SUPPORT", auto_accept=False)
    waiting = await provider.route("MEDIATION_SUPPORT")
    created = datetime.fromisoformat(waiting["created_at"])
    assert datetime.fromisoformat(waiting["due_at"]) == created + timedelta(days=1)
    assert waiting["overdue"] is False

    provider.clock.advance(timedelta(days=1, seconds=1))
    officer = provider.officer("MEDIATION_SUPPORT")
    queue = (await provider.service.http.get("/queue", headers=officer)).json()
    assert [edge["node"]["overdue"] for edge in queue["edges"]] == [True]

    accepted = (await provider.act(waiting, "accept")).json()
    assert datetime.fromisoformat(accepted["due_at"]) == created + timedelta(days=7)
    assert accepted["overdue"] is False
