"""The engagements' CSV export through the gateway's download route, on the real broker,
SQLite and PostgreSQL: a provider's export holds its products' engagements only, a
client's its own requests', with the provider queue's filters, read in chunks."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx

from gateway.app import create_app as create_gateway
from gateway.settings import GatewaySettings
from shared.auth import Role
from shared.processes import free_port
from shared.testing.serving import served
from tests.integration.products.conftest import Provider


async def test_an_engagements_export_holds_what_the_caller_sees_with_the_queues_filters(
    provider: Provider,
) -> None:
    electoral = [await provider.route("ELECTORAL_ASSISTANCE") for _ in range(3)]
    mediation = await provider.route("MEDIATION_SUPPORT", client_code="UNMISS", title="=cmd|x")

    async with served(provider.app) as products_url:
        settings = GatewaySettings(
            **provider.platform.model_dump(),
            products_url=products_url,
            desks_url=f"http://127.0.0.1:{free_port()}",
        )
        async with served(create_gateway(settings), run_lifespan=True) as url:

            async def rows(headers: dict[str, str], **params: Any) -> list[dict[str, str]]:
                async with httpx.AsyncClient(timeout=10) as http:
                    response = await http.get(
                        f"{url}/exports/products/engagements.csv", params=params, headers=headers
                    )
                assert response.status_code == 200, response.text
                assert response.headers["content-disposition"] == (
                    'attachment; filename="engagements.csv"'
                )
                return list(csv.DictReader(io.StringIO(response.text)))

            everything = await rows(provider.headers(Role.admin))
            assert [row["id"] for row in everything] == [
                item["id"] for item in [*electoral, mediation]
            ]
            mine = await rows(provider.officer("ELECTORAL_ASSISTANCE"))
            assert [row["id"] for row in mine] == [item["id"] for item in electoral]
            assert {row["product_code"] for row in mine} == {"ELECTORAL_ASSISTANCE"}
            unmiss = await rows(provider.headers(Role.client, client="UNMISS"))
            assert [(row["id"], row["title"]) for row in unmiss] == [(mediation["id"], "'=cmd|x")]
            filtered = await rows(provider.headers(Role.admin), product="MEDIATION_SUPPORT")
            assert [row["id"] for row in filtered] == [mediation["id"]]
            async with httpx.AsyncClient(timeout=10) as http:
                refused = await http.get(
                    f"{url}/exports/products/engagements.csv",
                    params={"status": "nonsense"},
                    headers=provider.headers(Role.admin),
                )
            assert refused.status_code == 422
            assert refused.json()["detail"]["code"] == "BAD_USER_INPUT"
