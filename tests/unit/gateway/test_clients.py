"""The gateway's service clients answer validated contract models: a service answer of
another shape is a coded BAD_SERVICE_RESPONSE, never a half-filled object."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from fastapi import FastAPI

from contracts.http.desks.responses import DeskOut
from gateway.clients import ServiceClient, ServiceError, service_path
from shared.testing.serving import served


def answering(body: Any) -> FastAPI:
    app = FastAPI()

    @app.get("/desks/{code}")
    async def desk(code: str) -> Any:
        return body

    return app


@pytest.fixture
async def client_of() -> AsyncIterator[Any]:
    clients: list[ServiceClient] = []

    def make(url: str) -> ServiceClient:
        client = ServiceClient("desks", url, timeout_s=5, max_connections=2)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


async def test_an_answer_of_the_contracts_shape_comes_back_as_the_model(client_of: Any) -> None:
    body = {"code": "AFRICA_I", "name": "Africa I", "region": "Africa"}
    async with served(answering(body)) as url:
        desk = await client_of(url).get(service_path("desks", "AFRICA_I"), "", DeskOut)
    assert desk == DeskOut(code="AFRICA_I", name="Africa I", region="Africa")


@pytest.mark.parametrize(
    "body",
    [
        {"code": "AFRICA_I", "name": "Africa I"},
        {"code": "AFRICA_I", "name": ["Africa I"], "region": "Africa"},
        [{"code": "AFRICA_I", "name": "Africa I", "region": "Africa"}],
        None,
    ],
    ids=["a field missing", "a field of another type", "a list", "null"],
)
async def test_an_answer_of_another_shape_is_bad_service_response(
    client_of: Any, body: Any
) -> None:
    async with served(answering(body)) as url:
        with pytest.raises(ServiceError) as refused:
            await client_of(url).get(service_path("desks", "AFRICA_I"), "", DeskOut)
    assert refused.value.code == "BAD_SERVICE_RESPONSE"


async def test_a_list_answer_is_validated_item_by_item(client_of: Any) -> None:
    body = [{"code": "AFRICA_I", "name": "Africa I", "region": "Africa"}, {"code": "X"}]
    async with served(answering(body)) as url:
        with pytest.raises(ServiceError) as refused:
            await client_of(url).get(service_path("desks", "X"), "", list[DeskOut])
    assert refused.value.code == "BAD_SERVICE_RESPONSE"
