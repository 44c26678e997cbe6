"""A request's whole life through the one door of the embedded stack (broker, four
services and the gateway as processes): submitted without products, triaged and routed
by its desk, accepted and delivered by the provider, confirmed and closed by the client,
who watches every status change arrive over a websocket.

The provider's side belongs to the products service; its answers are played here as
the contract events it publishes (EngagementAccepted, EngagementDelivered), sent on the
stack's broker. The desks service must take them exactly like the real ones, and ignore
a repeated or overtaken answer (the products service may answer too)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from contracts.events import (
    ClientKind,
    DeliverableRef,
    EngagementAccepted,
    EngagementDelivered,
    Event,
)
from shared.auth import Role
from shared.messaging.envelope import to_headers
from shared.runner import EmbeddedStack
from shared.testing.waiting import eventually
from tests.e2e.conftest import Door

pytestmark = pytest.mark.e2e
# One stack with the other e2e modules that do not get in each other's way (conftest).
SHARED_STACK = "e2e"

FIELDS = "id status version clientCode deskCode routings { id productCode status engagementId }"
SUBMIT = f"mutation($input: SubmitRequestInput!) {{ submitRequest(input: $input) {{ {FIELDS} }} }}"
ROUTE = f"""mutation($id: ID!, $v: Int!, $input: RouteRequestInput!) {{
  routeRequest(id: $id, expectedVersion: $v, input: $input) {{ {FIELDS} }} }}"""
CONFIRM = f"""mutation($id: ID!, $v: Int!) {{
  confirmRequest(id: $id, expectedVersion: $v, satisfactionScore: 5, comment: "Useful") {{
    {FIELDS} satisfactionScore }} }}"""
REQUEST = f"query($id: ID!) {{ request(id: $id) {{ {FIELDS} }} }}"
QUEUE = """{ deskQueue(filter: {status: [SUBMITTED]}, sort: OLDEST) { edges { node { id } } } }"""
DETAIL = """query($id: ID!) { request(id: $id) {
  timeline { eventType actor summary }
  metrics { handOffs entitiesInvolved timeInStatus { status seconds } }
} }"""
UPDATED = "subscription($id: ID!) { requestUpdated(id: $id) { id status version } }"
FLOW = ["SUBMITTED", "TRIAGED", "ROUTED", "IN_PROGRESS", "DELIVERED", "CLOSED"]


async def publish(stack: EmbeddedStack, *events: Event) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap_servers)
    await producer.start()
    try:
        for event in events:
            headers = to_headers(
                event_id=str(uuid.uuid4()),
                event_type=event.type,
                source="/onedoor/products",
                time=datetime.now(UTC),
                correlation_id=str(uuid.uuid4()),
                subject=event.key(),
                causation_id=None,
                traceparent=None,
            )
            await producer.send_and_wait(
                stack.settings.physical_topic(event.topic),
                event.model_dump_json().encode(),
                key=event.key().encode(),
                headers=headers,
            )
    finally:
        await producer.stop()


async def until(door: Door, headers: dict[str, str], request_id: str, status: str) -> Any:
    async def probe() -> dict[str, Any] | None:
        request = (await door.call(REQUEST, headers, id=request_id))["data"]["request"]
        return request if request["status"] == status else None

    return await eventually(probe, timeout_s=20)


async def test_a_request_from_submission_to_closure_through_gateway_and_broker(
    stack: EmbeddedStack, door: Door
) -> None:
    client = door.headers(Role.client, client="UNCT_YEMEN")
    officer = door.headers(Role.desk_officer, desk="MIDDLE_EAST_WEST_ASIA")
    submitted = await door.call(
        SUBMIT,
        client,
        input={
            "title": "Support to the Hodeidah truce talks",
            "description": "We need help; we are not sure which service fits.",
            "urgency": "PRIORITY",
        },
    )
    assert "errors" not in submitted, submitted
    request = submitted["data"]["submitRequest"]
    assert (request["status"], request["deskCode"]) == ("SUBMITTED", "MIDDLE_EAST_WEST_ASIA")
    queue = (await door.call(QUEUE, officer))["data"]["deskQueue"]["edges"]
    assert request["id"] in [edge["node"]["id"] for edge in queue]

    pushed: list[str] = []
    async with door.listening(client["Authorization"], UPDATED, {"id": request["id"]}) as updates:

        async def watch() -> None:
            while not pushed or pushed[-1] != "CLOSED":
                data = await updates.next_data(timeout_s=30)
                pushed.append(data["requestUpdated"]["status"])

        async def pushed_once(status: str) -> None:
            # The next step waits for this push, so every status the test moves the
            # request through reaches the socket before the request moves on. A push
            # carries the request as the gateway reads it then: a status the request
            # left at once (the products service auto-accepting a routing within
            # milliseconds) may arrive as the later one.
            async def seen() -> bool:
                if watcher.done():
                    watcher.result()  # a watcher that failed says why, not a timeout
                return any(FLOW.index(shown) >= FLOW.index(status) for shown in pushed)

            try:
                await eventually(seen, timeout_s=30)
            except TimeoutError as late:
                raise AssertionError(f"{status} not pushed; pushed so far: {pushed}") from late

        watcher = asyncio.create_task(watch())

        routed = await door.call(
            ROUTE,
            officer,
            id=request["id"],
            v=request["version"],
            input={
                "products": ["MEDIATION_SUPPORT"],
                "details": {
                    "MEDIATION_SUPPORT": {
                        "parties": ["Government of Yemen", "Ansar Allah"],
                        "confidentiality": "confidential",
                    }
                },
                "owner": "officer-yemen",
            },
        )
        assert "errors" not in routed, routed
        routing = routed["data"]["routeRequest"]["routings"][0]
        await pushed_once("ROUTED")
        engagement_id = str(uuid.uuid4())
        await publish(
            stack,
            EngagementAccepted(
                engagement_id=engagement_id,
                request_id=request["id"],
                routing_id=routing["id"],
                product_code="MEDIATION_SUPPORT",
                accepted_by="provider:MEDIATION_SUPPORT:chief",
                accepted_at=datetime.now(UTC),
            ),
        )
        in_progress = await until(door, client, request["id"], "IN_PROGRESS")
        await pushed_once("IN_PROGRESS")
        await publish(
            stack,
            EngagementDelivered(
                engagement_id=in_progress["routings"][0]["engagementId"] or engagement_id,
                request_id=request["id"],
                routing_id=routing["id"],
                product_code="MEDIATION_SUPPORT",
                provider_unit="Mediation Support Unit",
                client_code="UNCT_YEMEN",
                client_kind=ClientKind.country_team,
                country="YEM",
                region="Middle East and West Asia",
                desk_code="MIDDLE_EAST_WEST_ASIA",
                title="Support to the Hodeidah truce talks",
                deliverables=[
                    DeliverableRef(
                        title="Options paper for the truce talks",
                        kind="advisory_note",
                        reference="https://docs.example.org/msu/hodeidah-options",
                        delivered_on=date(2026, 3, 1),
                    )
                ],
                delivered_by="provider:MEDIATION_SUPPORT:chief",
                delivered_at=datetime.now(UTC),
            ),
        )
        delivered = await until(door, client, request["id"], "DELIVERED")
        await pushed_once("DELIVERED")
        closed = await door.call(CONFIRM, client, id=request["id"], v=delivered["version"])
        assert "errors" not in closed, closed
        assert closed["data"]["confirmRequest"]["status"] == "CLOSED"
        assert closed["data"]["confirmRequest"]["satisfactionScore"] == 5
        await asyncio.wait_for(watcher, 30)

    # Each push carries the request as it is when the gateway re-reads it (with the
    # client's token), so consecutive changes may show the same status; never backwards,
    # and each status only the test's own steps leave was pushed (ROUTED may have been
    # left by the provider's own acceptance before its push read the request).
    positions = [FLOW.index(status) for status in pushed]
    assert positions == sorted(positions), pushed
    assert pushed[-1] == "CLOSED", pushed
    assert {"IN_PROGRESS", "DELIVERED", "CLOSED"} <= set(pushed), pushed

    detail = (await door.call(DETAIL, officer, id=request["id"]))["data"]["request"]
    statuses = [
        e["summary"] for e in detail["timeline"] if e["eventType"].endswith("status-changed.v1")
    ]
    assert [summary.split(":")[0] for summary in statuses] == [
        "submitted → triaged",
        "triaged → routed",
        "routed → in_progress",
        "in_progress → delivered",
        "delivered → closed",
    ]
    assert any(e["actor"] == "client:UNCT_YEMEN:dev-client" for e in detail["timeline"])
    assert detail["metrics"]["entitiesInvolved"] == [
        "client:UNCT_YEMEN",
        "desk:MIDDLE_EAST_WEST_ASIA",
        "provider:MEDIATION_SUPPORT",
    ]
    assert {entry["status"] for entry in detail["metrics"]["timeInStatus"]} >= {
        "submitted",
        "routed",
        "delivered",
    }
