"""GraphQL subscriptions: the gateway tails the broker and pushes over a real websocket
(graphql-transport-ws), deciding what each subscriber may see through the services."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from aiokafka import AIOKafkaProducer

from contracts.events import REQUESTS_TOPIC, RequestStatusChanged
from gateway.app import create_app as create_gateway
from gateway.live import LiveEvents, SubscriptionOverflow
from gateway.settings import GatewaySettings
from services.desks.domain import RequestStatus
from services.desks.models import ServiceRequest
from services.desks.store import change_status
from shared.auth import Role
from shared.commands import bump_version
from shared.messaging.envelope import to_headers
from shared.settings import PlatformSettings
from shared.testing.graphql_ws import subscription
from shared.testing.serving import served
from shared.testing.tokens import bearer
from tests.integration.conftest import DesksAndProducts

REQUEST_UPDATED = """
subscription Updated($id: ID!) { requestUpdated(id: $id) { id status version } }
"""


def status_changed(request_id: str, to_status: str = "triaged") -> RequestStatusChanged:
    return RequestStatusChanged(
        request_id=request_id,
        client_code="MINUSMA",
        desk_code="AFRICA_II",
        from_status="submitted",
        to_status=to_status,
        actor="test",
        changed_at=datetime.now(UTC),
    )


async def publish_raw(platform: PlatformSettings, event: RequestStatusChanged) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=platform.kafka_bootstrap_servers)
    await producer.start()
    try:
        headers = to_headers(
            event_id=f"e-{event.request_id}-{event.to_status}",
            event_type=event.type,
            source="/test",
            time=event.changed_at,
            correlation_id="c",
            subject=event.key(),
            causation_id=None,
            traceparent=None,
        )
        await producer.send_and_wait(
            platform.physical_topic(event.topic),
            event.model_dump_json().encode(),
            key=event.key().encode(),
            headers=headers,
        )
    finally:
        await producer.stop()


async def test_live_events_push_matching_events_to_each_subscriber(
    platform: PlatformSettings,
) -> None:
    live = LiveEvents(platform, [REQUESTS_TOPIC])
    await live.start()
    try:
        async with (
            live.subscribe([RequestStatusChanged], lambda e: e.key() == "r-1") as one,
            live.subscribe([RequestStatusChanged]) as every,
        ):
            await publish_raw(platform, status_changed("r-2"))
            await publish_raw(platform, status_changed("r-1"))
            first = await asyncio.wait_for(anext(one), 10)
            assert first.key() == "r-1"
            seen = [await asyncio.wait_for(anext(every), 10) for _ in range(2)]
            assert [event.key() for event in seen] == ["r-2", "r-1"]
        assert live.subscriber_count == 0
    finally:
        await live.stop()


async def test_a_subscriber_that_falls_behind_is_ended_with_an_error(
    platform: PlatformSettings,
) -> None:
    live = LiveEvents(platform, [REQUESTS_TOPIC], queue_size=1)
    await live.start()
    try:
        async with live.subscribe([RequestStatusChanged]) as slow:
            await publish_raw(platform, status_changed("r-1", "triaged"))
            await publish_raw(platform, status_changed("r-1", "routed"))
            await publish_raw(platform, status_changed("r-1", "rejected"))
            await asyncio.sleep(1.0)  # let the tail fetch all three while nobody reads
            assert (await asyncio.wait_for(anext(slow), 10)).key() == "r-1"
            with pytest.raises(SubscriptionOverflow):
                await asyncio.wait_for(anext(slow), 10)
    finally:
        await live.stop()


@pytest.fixture
async def gateway_url(stack: DesksAndProducts) -> AsyncIterator[str]:
    async with (
        served(stack.desks.app) as desks_url,
        served(stack.products.app) as products_url,
    ):
        settings = GatewaySettings(
            **stack.platform.model_dump(), desks_url=desks_url, products_url=products_url
        )
        async with served(create_gateway(settings), run_lifespan=True) as url:
            yield url.replace("http://", "ws://") + "/graphql"


async def new_request(stack: DesksAndProducts, client: str = "MINUSMA") -> str:
    headers = bearer(stack.platform, Role.client, client=client)
    body = {"title": "Advice on a national dialogue", "description": "No product named yet."}
    response = await stack.desks.http.post("/requests", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def triage(stack: DesksAndProducts, request_id: str) -> None:
    outbox = stack.desks.app.state.outbox
    async with stack.desks.sessions() as session, session.begin():
        request = await session.get(ServiceRequest, request_id)
        bump_version(request)  # as the command pipeline does for an officer's triage
        change_status(
            session,
            request,
            RequestStatus.triaged,
            at=datetime.now(UTC),
            actor="officer",
            publisher=outbox.publisher(session),
        )


async def test_request_updated_pushes_the_new_state_over_a_websocket(
    stack: DesksAndProducts, gateway_url: str
) -> None:
    request_id = await new_request(stack)
    token = bearer(stack.platform, Role.client, client="MINUSMA")["Authorization"]
    async with subscription(gateway_url, token, REQUEST_UPDATED, {"id": request_id}) as updates:
        await asyncio.sleep(0.3)  # the subscription is registered before the change
        await triage(stack, request_id)
        data = await updates.next_data()
        assert data["requestUpdated"] == {"id": request_id, "status": "TRIAGED", "version": 2}


async def test_request_updated_refuses_another_clients_request(
    stack: DesksAndProducts, gateway_url: str
) -> None:
    request_id = await new_request(stack, client="MINUSMA")
    token = bearer(stack.platform, Role.client, client="UNMISS")["Authorization"]
    async with subscription(gateway_url, token, REQUEST_UPDATED, {"id": request_id}) as updates:
        message = await updates.next_message()
        assert message["type"] == "next", message
        assert message["payload"]["errors"][0]["extensions"]["code"] == "REQUEST_NOT_FOUND"
        assert message["payload"]["data"] is None


async def test_a_websocket_without_a_valid_token_is_refused(gateway_url: str) -> None:
    for token in ("", "Bearer not-a-token"):
        with pytest.raises(ConnectionError, match="4403"):
            async with subscription(gateway_url, token, REQUEST_UPDATED, {"id": "x"}):
                pass
