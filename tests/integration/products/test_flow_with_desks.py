"""Desks and products together on the real broker: a provider officer's answers reach
the desk's request, and the engagement's whole story is on the broker."""

from __future__ import annotations

from typing import Any

from aiokafka import AIOKafkaConsumer

from contracts.events import ENGAGEMENTS_TOPIC
from services.desks.models import CatalogProduct
from shared.auth import Role
from shared.messaging.envelope import header_map
from shared.testing.tokens import bearer
from shared.testing.waiting import eventually
from tests.integration.conftest import DesksAndProducts
from tests.integration.test_intake_flow import electoral_request, submit, until_status

MEDIATION = {
    "MEDIATION_SUPPORT": {
        "parties": ["Government of Mali", "Coordination des Mouvements de l'Azawad"],
        "confidentiality": "strictly_confidential",
        "languages": ["fr", "ar"],
    }
}


async def engagement_events(stack: DesksAndProducts, engagement_id: str, count: int) -> list[str]:
    """The types of the engagement's events as they are on the broker, in order (one key,
    so one partition: offsets order them)."""
    consumer = AIOKafkaConsumer(
        stack.platform.physical_topic(ENGAGEMENTS_TOPIC),
        bootstrap_servers=stack.platform.kafka_bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        fetch_max_wait_ms=100,
    )
    await consumer.start()
    found: list[tuple[int, str]] = []
    try:

        async def probe() -> bool:
            batches = await consumer.getmany(timeout_ms=200)
            for records in batches.values():
                for record in records:
                    if record.key == engagement_id.encode():
                        found.append((record.offset, header_map(record.headers)["ce_type"]))
            return len(found) >= count

        await eventually(probe)
    finally:
        await consumer.stop()
    return [event_type for _offset, event_type in sorted(found)]


async def desk_catalog_revision(stack: DesksAndProducts, code: str) -> int:
    async with stack.desks.sessions() as session, session.begin():
        product = await session.get(CatalogProduct, code)
        return product.revision if product else 0


async def provider_waits_for_officers(stack: DesksAndProducts, code: str) -> None:
    admin = bearer(stack.platform, Role.admin)
    product = (await stack.products.http.get(f"/products/{code}", headers=admin)).json()
    edited = await stack.products.http.patch(
        f"/products/{code}",
        json={"expected_version": product["revision"], "auto_accept": False},
        headers=admin,
    )
    assert edited.status_code == 200, edited.text
    revision = edited.json()["revision"]

    async def replicated() -> bool:
        return await desk_catalog_revision(stack, code) == revision

    await eventually(replicated)


async def the_engagement(stack: DesksAndProducts, request_id: str, officer: dict[str, str]) -> Any:
    async def probe() -> Any:
        found = (
            await stack.products.http.get(
                "/engagements", params={"request_id": request_id}, headers=officer
            )
        ).json()
        return found[0] if found else None

    return await eventually(probe)


async def test_an_officer_accepts_and_delivers_and_the_desk_follows(
    stack: DesksAndProducts,
) -> None:
    await provider_waits_for_officers(stack, "MEDIATION_SUPPORT")
    officer = bearer(stack.platform, Role.provider, products=["MEDIATION_SUPPORT"])
    created = (
        await submit(
            stack,
            electoral_request(
                title="Support to the Algiers agreement talks",
                products=["MEDIATION_SUPPORT"],
                details=MEDIATION,
            ),
        )
    ).json()
    engagement = await the_engagement(stack, created["id"], officer)
    assert engagement["status"] == "proposed"
    assert engagement["details"] == MEDIATION["MEDIATION_SUPPORT"]
    assert engagement["client_kind"] == "peacekeeping_operation"
    assert engagement["description"] == electoral_request()["description"]

    async def act(action: str, **body: Any) -> dict[str, Any]:
        nonlocal engagement
        response = await stack.products.http.post(
            f"/engagements/{engagement['id']}/{action}",
            json={"expected_version": engagement["version"], **body},
            headers=officer,
        )
        assert response.status_code in (200, 201), response.text
        engagement = response.json()
        return engagement

    await act("accept")
    request = await until_status(stack, created["id"], "in_progress")
    assert [routing["status"] for routing in request["routings"]] == ["accepted"]
    assert request["routings"][0]["engagement_id"] == engagement["id"]

    await act("plan")
    await act("assignments", expert_id="EXP-MED-01", starts_on="2026-05-04", ends_on="2026-05-22")
    await act("deploy")
    await act(
        "deliverables",
        title="Options paper on the sequencing of the talks",
        kind="advisory_note",
        reference="S/2026/412",
        delivered_on="2026-05-20",
    )
    await act("deliver")
    await act("close")

    assert await engagement_events(stack, engagement["id"], 6) == [
        "onedoor.engagement.proposed.v1",
        "onedoor.engagement.accepted.v1",
        "onedoor.engagement.status-changed.v1",
        "onedoor.engagement.status-changed.v1",
        "onedoor.engagement.delivered.v1",
        "onedoor.engagement.status-changed.v1",
    ]


async def test_a_decline_sends_the_request_back_to_the_desk(stack: DesksAndProducts) -> None:
    await provider_waits_for_officers(stack, "ELECTORAL_ASSISTANCE")
    officer = bearer(stack.platform, Role.provider, products=["ELECTORAL_ASSISTANCE"])
    created = (await submit(stack, electoral_request())).json()
    engagement = await the_engagement(stack, created["id"], officer)
    declined = await stack.products.http.post(
        f"/engagements/{engagement['id']}/decline",
        json={
            "expected_version": engagement["version"],
            "reason_code": "needs_partner",
            "reason": "A joint assessment with the African Union should come first.",
        },
        headers=officer,
    )
    assert declined.status_code == 200, declined.text

    request = await until_status(stack, created["id"], "triaged")
    [routing] = request["routings"]
    assert routing["status"] == "declined"
    assert routing["decline_reason"] == (
        "needs_partner: A joint assessment with the African Union should come first."
    )
    minusma = bearer(stack.platform, Role.client, client="MINUSMA")
    timeline = (
        await stack.desks.http.get(f"/requests/{created['id']}/timeline", headers=minusma)
    ).json()
    decline_entry = next(e for e in timeline if e["event_type"] == "onedoor.engagement.declined.v1")
    assert decline_entry["actor"] == "provider:ELECTORAL_ASSISTANCE:dev-provider"


async def test_desks_reject_details_that_do_not_match_an_edited_form(
    stack: DesksAndProducts,
) -> None:
    admin = bearer(stack.platform, Role.admin)
    product = (await stack.products.http.get("/products/RULE_OF_LAW", headers=admin)).json()
    form = {**product["request_form"], "required": ["sector", "duration_weeks"]}
    edited = await stack.products.http.patch(
        "/products/RULE_OF_LAW",
        json={"expected_version": product["revision"], "request_form": form},
        headers=admin,
    )
    assert edited.status_code == 200, edited.text

    async def replicated() -> bool:
        return await desk_catalog_revision(stack, "RULE_OF_LAW") == edited.json()["revision"]

    await eventually(replicated)
    body = electoral_request(
        title="Prison reform in Gao",
        products=["RULE_OF_LAW"],
        details={"RULE_OF_LAW": {"sector": "corrections"}},
    )
    refused = await submit(stack, body)
    assert refused.status_code == 422
    assert refused.json()["detail"]["code"] == "INVALID_DETAILS"
    body["details"] = {"RULE_OF_LAW": {"sector": "corrections", "duration_weeks": 26}}
    assert (await submit(stack, body)).status_code == 201
