"""What the door refuses before it calls any service: ids that are not ids, syntax
errors, too many aliases, tokens, fields or list items, batches and huge bodies.
Each refusal carries a code; the services behind these URLs do not even exist, so
an answer that is not a refusal would show as SERVICE_UNAVAILABLE."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from gateway.app import create_app as create_gateway
from gateway.settings import GatewaySettings
from shared.auth import Role
from shared.processes import free_port
from shared.settings import PlatformSettings
from shared.testing.serving import served
from shared.testing.tokens import bearer


class Door:
    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self.url, self.headers = url, headers

    async def post(self, content: bytes | str) -> httpx.Response:
        async with httpx.AsyncClient(timeout=30) as http:
            return await http.post(
                self.url,
                content=content,
                headers={**self.headers, "content-type": "application/json"},
            )

    async def codes(self, query: str, **variables: Any) -> list[str]:
        response = await self.post(json.dumps({"query": query, "variables": variables}))
        assert response.status_code < 500, response.text
        return [error["extensions"]["code"] for error in response.json()["errors"]]


@pytest.fixture
async def door(platform: PlatformSettings) -> AsyncIterator[Door]:
    nowhere = {
        f"{name}_url": f"http://127.0.0.1:{free_port()}"
        for name in ("desks", "products", "lessons", "partnerships")
    }
    settings = GatewaySettings(**platform.model_dump(), **nowhere)
    async with served(create_gateway(settings), run_lifespan=True) as url:
        yield Door(url + "/graphql", bearer(platform, Role.hq_analyst))


@pytest.mark.parametrize(
    "query",
    [
        '{ request(id: "../desks#") { id } }',
        '{ requestTimeline(id: "../desks#") { at } }',
        '{ request(id: "") { id } }',
        '{ request(id: "..") { id } }',
        '{ request(id: "a\\u0000b") { id } }',
        '{ deskMetrics(deskCode: "../requests?x=") { open } }',
        '{ lesson(id: "../search?q=x#") { id } }',
        '{ assessment(id: "../webhook-deliveries#") { id } }',
        '{ engagement(id: "%2e%2e") { id } }',
        '{ product(code: "../queue") { code } }',
        '{ suggestions(requestId: "x/y") { rank } }',
        'mutation { withdrawRequest(id: "../x", expectedVersion: 1) { id } }',
        'mutation { updatePartner(code: "AU/secret", input: {name: "x"}) { code } }',
        'mutation { retryWebhookDelivery(id: "../partners") { id } }',
    ],
)
async def test_an_id_that_is_not_one_is_refused_before_any_call(door: Door, query: str) -> None:
    assert await door.codes(query) == ["BAD_USER_INPUT"]


async def test_a_syntax_error_has_a_code(door: Door) -> None:
    assert await door.codes("{ products { code ") == ["GRAPHQL_PARSE_FAILED"]


async def test_aliases_tokens_cost_and_list_lengths_are_bounded(door: Door) -> None:
    aliased = " ".join(f"a{i}: products {{ code }}" for i in range(500))
    assert "GRAPHQL_VALIDATION_FAILED" in await door.codes(f"{{ {aliased} }}")
    many_tokens = "{ products { " + " ".join(["code"] * 6000) + " } }"
    assert await door.codes(many_tokens) == ["QUERY_TOO_LARGE"]
    pages = " ".join(
        f"p{i}: deskQueue(first: 100) {{ edges {{ node {{ id title status version owner }} }} }}"
        for i in range(25)
    )
    assert await door.codes(f"{{ {pages} }}") == ["QUERY_TOO_COSTLY"]
    many = ", ".join(["SUBMITTED"] * 1000)
    assert await door.codes(f"{{ myRequests(status: [{many}]) {{ edges {{ cursor }} }} }}") == [
        "BAD_USER_INPUT"
    ]
    query = "query($status: [RequestStatus!]) { myRequests(status: $status) { edges { cursor } } }"
    assert await door.codes(query, status=["SUBMITTED"] * 20_000) == ["BAD_USER_INPUT"]


async def test_deep_nesting_is_refused(door: Door) -> None:
    deep = "{ myRequests { edges { node { desk { name } " + "}" * 3
    nested = "{ products " + "{ code " * 50 + "}" * 51
    assert await door.codes(nested) != []
    assert await door.codes(deep + "}") != []


async def test_batches_and_huge_bodies_get_coded_errors(door: Door) -> None:
    batch = json.dumps([{"query": "{ products { code } }"}] * 1000)
    response = await door.post(batch)
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"

    huge = json.dumps({"query": "{ products { code } }", "variables": {"x": "y" * 5_000_000}})
    response = await door.post(huge)
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"

    response = await door.post("not json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_a_nul_character_is_refused_in_literals_and_variables(door: Door) -> None:
    submit = "mutation($input: SubmitRequestInput!) { submitRequest(input: $input) { id } }"
    assert await door.codes(submit, input={"title": "a\u0000b"}) == ["BAD_USER_INPUT"]
    literal = 'mutation { submitRequest(input: {title: "a\\u0000b"}) { id } }'
    assert await door.codes(literal) == ["BAD_USER_INPUT"]
