"""The gateway's service clients answer validated contract models: a service answer of
another shape is a coded BAD_SERVICE_RESPONSE, never a half-filled object."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import uvloop
from fastapi import FastAPI, HTTPException, Request
from opentelemetry.sdk.trace import TracerProvider

from contracts.http.desks.requests import DeskBody
from contracts.http.desks.responses import DeskOut
from gateway.clients import ServiceClient, ServiceError, service_path
from shared.processes import free_port
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


def test_a_call_on_uvloop_as_the_gateway_runs() -> None:
    # uvicorn runs the gateway on uvloop, whose transports are not asyncio.Transport.
    body = {"code": "AFRICA_I", "name": "Africa I", "region": "Africa"}

    async def call() -> DeskOut:
        async with served(answering(body)) as url:
            client = ServiceClient("desks", url, timeout_s=5, max_connections=2)
            try:
                await client.get(service_path("desks", "AFRICA_I"), "", DeskOut)
                return await client.get(service_path("desks", "AFRICA_I"), "", DeskOut)
            finally:
                await client.close()

    assert uvloop.run(call()) == DeskOut(**body)


def recording(seen: list[dict[str, Any]]) -> FastAPI:
    app = FastAPI()

    @app.post("/desks/{code}")
    async def post_desk(code: str, request: Request) -> Any:
        seen.append({"path": code, "headers": dict(request.headers), "body": await request.json()})
        return {"code": code, "name": "Africa I", "region": "Africa"}

    @app.get("/desks")
    async def refuse(request: Request) -> Any:
        seen.append({"query": str(request.query_params)})
        raise HTTPException(409, detail={"code": "VERSION_CONFLICT", "message": "stale"})

    return app


async def test_a_body_headers_and_the_query_reach_the_service_and_a_refusal_keeps_its_code(
    client_of: Any,
) -> None:
    seen: list[dict[str, Any]] = []
    async with served(recording(seen)) as url:
        client = client_of(url)
        with TracerProvider().get_tracer("test").start_as_current_span("caller") as caller:
            desk = await client.post(
                service_path("desks", "A B"),
                "Bearer token",
                DeskBody(name="Africa I", region="Africa"),
                DeskOut,
                headers={"Idempotency-Key": "k-1"},
            )
        with pytest.raises(ServiceError) as refused:
            await client.get(service_path("desks"), "Bearer token", DeskOut, {"id": ["1", "2"]})
    assert desk.code == "A B"
    assert seen[0]["body"] == {"name": "Africa I", "region": "Africa"}
    assert seen[0]["headers"]["authorization"] == "Bearer token"
    assert seen[0]["headers"]["idempotency-key"] == "k-1"
    trace_id = f"{caller.get_span_context().trace_id:032x}"
    assert seen[0]["headers"]["traceparent"].split("-")[1] == trace_id
    assert seen[1]["query"] == "id=1&id=2"
    assert (refused.value.code, refused.value.message) == ("VERSION_CONFLICT", "stale")


async def test_a_header_that_would_end_its_line_is_refused_before_sending(client_of: Any) -> None:
    seen: list[dict[str, Any]] = []
    async with served(recording(seen)) as url:
        with pytest.raises(ServiceError) as refused:
            await client_of(url).post(
                service_path("desks", "X"),
                "Bearer t\r\nx-admin: yes",
                DeskBody(name="n", region="r"),
                DeskOut,
            )
    assert refused.value.code == "BAD_USER_INPUT"
    assert seen == []


async def test_an_unreachable_service_is_service_unavailable(client_of: Any) -> None:
    with pytest.raises(ServiceError) as refused:
        await client_of(f"http://127.0.0.1:{free_port()}").get(
            service_path("desks", "X"), "", DeskOut
        )
    assert refused.value.code == "SERVICE_UNAVAILABLE"


async def test_a_read_on_a_connection_closed_as_it_was_reused_is_sent_again() -> None:
    """The service closes an idle keep-alive connection just as it is taken: a GET is sent
    again on a fresh connection, a POST is not (the service may have applied it)."""
    requests: list[bytes] = []

    async def close_every_second_request(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        while head := await reader.readuntil(b"\r\n\r\n"):
            requests.append(head.split(b" ")[0])
            if len(requests) % 2 == 0:
                writer.close()  # as if the keep-alive timeout struck
                return
            body = b'{"code": "X", "name": "n", "region": "r"}'
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body))

    server = await asyncio.start_server(close_every_second_request, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = ServiceClient("desks", f"http://127.0.0.1:{port}", timeout_s=5, max_connections=2)
    try:
        await client.get(service_path("desks", "X"), "", DeskOut)
        assert (await client.get(service_path("desks", "X"), "", DeskOut)).code == "X"
        with pytest.raises(ServiceError) as refused:
            await client.post(
                service_path("desks", "X"), "", DeskBody(name="n", region="r"), DeskOut
            )
    finally:
        await client.close()
        server.close()
    assert requests == [b"GET", b"GET", b"GET", b"POST"]
    assert refused.value.code == "SERVICE_UNAVAILABLE"
