"""A provider's live queue: the gateway tails the engagements topic and pushes each
engagement of the provider's products over a real websocket (graphql-transport-ws)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from gateway.app import create_app as create_gateway
from gateway.settings import GatewaySettings
from shared.auth import Role
from shared.testing.graphql_ws import subscription
from shared.testing.serving import served
from shared.testing.tokens import bearer
from tests.integration.conftest import DesksAndProducts
from tests.integration.products.test_flow_with_desks import MEDIATION
from tests.integration.test_intake_flow import electoral_request, submit

ENGAGEMENT_UPDATED = """
subscription Queue($product: [ProductCode!]) {
  engagementUpdated(product: $product) { id requestId productCode status clientCode }
}"""


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


async def test_a_provider_sees_its_new_engagements_live_and_only_its_own(
    stack: DesksAndProducts, gateway_url: str
) -> None:
    token = bearer(stack.platform, Role.provider, products=["ELECTORAL_ASSISTANCE"])
    async with subscription(gateway_url, token["Authorization"], ENGAGEMENT_UPDATED) as queue:
        await asyncio.sleep(0.3)  # the subscription is registered before the routing
        mediation = electoral_request(products=["MEDIATION_SUPPORT"], details=MEDIATION)
        assert (await submit(stack, mediation)).status_code == 201
        electoral = (await submit(stack, electoral_request(), client="UNMISS")).json()

        pushed = (await queue.next_data())["engagementUpdated"]
        assert pushed["requestId"] == electoral["id"]
        assert pushed["productCode"] == "ELECTORAL_ASSISTANCE"
        assert (pushed["status"], pushed["clientCode"]) == ("accepted", "UNMISS")

        officer = bearer(stack.platform, Role.provider, products=["ELECTORAL_ASSISTANCE"])
        planned = await stack.products.http.post(
            f"/engagements/{pushed['id']}/plan", json={"expected_version": 1}, headers=officer
        )
        assert planned.status_code == 200, planned.text
        moved = (await queue.next_data())["engagementUpdated"]
        assert (moved["id"], moved["status"]) == (pushed["id"], "planning")


async def test_a_client_is_pushed_only_its_own_engagements(
    stack: DesksAndProducts, gateway_url: str
) -> None:
    token = bearer(stack.platform, Role.client, client="MINUSMA")["Authorization"]
    async with subscription(
        gateway_url, token, ENGAGEMENT_UPDATED, {"product": ["ELECTORAL_ASSISTANCE"]}
    ) as updates:
        await asyncio.sleep(0.3)
        assert (await submit(stack, electoral_request(), client="UNMISS")).status_code == 201
        mine = (await submit(stack, electoral_request(), client="MINUSMA")).json()
        pushed = (await updates.next_data())["engagementUpdated"]
        assert (pushed["requestId"], pushed["clientCode"]) == (mine["id"], "MINUSMA")
