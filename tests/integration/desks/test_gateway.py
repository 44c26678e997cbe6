"""The desks' part of the GraphQL door, served over real HTTP and websockets: officers'
and clients' mutations with expectedVersion, queue filters, the conversation, metrics,
admin edits, requestUpdated pushes with tenancy held on every push, and the desks'
real answers agreeing field for field with their contracts and the GraphQL types."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, get_args

import httpx
import pytest
from pydantic import BaseModel
from strawberry.types.base import get_object_definition

from contracts.http.desks.responses import (
    AttachmentPublic,
    CommentPublic,
    DeskPublic,
    RequestMetrics,
    RequestPublic,
    TimelineEntryPublic,
)
from gateway.app import create_app as create_gateway
from gateway.schema import GatewayNames
from gateway.settings import GatewaySettings
from shared.auth import Role
from shared.processes import free_port
from shared.testing.graphql_ws import subscription
from shared.testing.serving import served
from shared.testing.tokens import bearer
from tests.integration.desks.conftest import DesksUnderTest

REQUEST_FIELDS = """
  id status version owner breached overlapCount statusReason satisfactionScore
  routings { id productCode status }
  slaClocks { clock dueAt stoppedAt breachedAt escalatedTo }
"""
SUBMIT = f"""mutation($input: SubmitRequestInput!) {{ submitRequest(input: $input) {{ {REQUEST_FIELDS} }} }}"""
ROUTE = f"""mutation($id: ID!, $v: Int!, $input: RouteRequestInput!) {{
  routeRequest(id: $id, expectedVersion: $v, input: $input) {{ {REQUEST_FIELDS} }} }}"""
HOLD = f"""mutation($id: ID!, $v: Int!, $reason: String!) {{
  holdRequest(id: $id, expectedVersion: $v, reason: $reason) {{ {REQUEST_FIELDS} }} }}"""
RESUME = f"""mutation($id: ID!, $v: Int!) {{
  resumeRequest(id: $id, expectedVersion: $v) {{ {REQUEST_FIELDS} }} }}"""
WITHDRAW = f"""mutation($id: ID!, $v: Int!) {{
  withdrawRequest(id: $id, expectedVersion: $v) {{ {REQUEST_FIELDS} }} }}"""
COMMENT = """mutation($id: ID!, $body: String!, $internal: Boolean!) {
  commentOnRequest(id: $id, body: $body, internal: $internal) { id body internal } }"""
ATTACH = """mutation($id: ID!, $input: AttachmentInput!) {
  attachToRequest(id: $id, input: $input) { name mediaType sizeBytes url } }"""
DETAIL = """query($id: ID!) { request(id: $id) {
  status comments { body internal } attachments { name }
  overlaps { otherRequestId otherTitle sharedProducts }
  metrics { handOffs entitiesInvolved timeInStatus { status seconds } }
} }"""
QUEUE = """query($filter: RequestFilter, $sort: RequestSort!, $after: String) {
  deskQueue(first: 2, filter: $filter, sort: $sort, after: $after) {
    edges { node { id title } } pageInfo { hasNextPage endCursor } } }"""
UPDATED = "subscription($id: ID!) { requestUpdated(id: $id) { id status version } }"


class Door:
    def __init__(self, url: str, desks: DesksUnderTest) -> None:
        self.url = url
        self.desks = desks

    async def call(self, query: str, headers: dict[str, str], **variables: Any) -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=10) as http:
            response = await http.post(
                self.url, json={"query": query, "variables": variables}, headers=headers
            )
        return dict(response.json())

    async def ok(self, query: str, headers: dict[str, str], **variables: Any) -> dict[str, Any]:
        answer = await self.call(query, headers, **variables)
        assert "errors" not in answer, answer
        return dict(answer["data"])

    async def code(self, query: str, headers: dict[str, str], **variables: Any) -> str:
        answer = await self.call(query, headers, **variables)
        return str(answer["errors"][0]["extensions"]["code"])


@pytest.fixture
async def door(desks: DesksUnderTest) -> AsyncIterator[Door]:
    async with served(desks.service.app) as desks_url:
        settings = GatewaySettings(
            **desks.platform.model_dump(),
            desks_url=desks_url,
            products_url=f"http://127.0.0.1:{free_port()}",
        )
        async with served(create_gateway(settings), run_lifespan=True) as url:
            yield Door(url + "/graphql", desks)


async def test_a_desk_works_a_request_through_the_door(door: Door) -> None:
    desks = door.desks
    client, officer = desks.client("UNMISS"), desks.officer("AFRICA_I")
    submitted = await door.ok(
        SUBMIT, client, input={"title": "Ceasefire monitoring advice", "urgency": "IMMEDIATE"}
    )
    request = submitted["submitRequest"]
    assert request["status"] == "SUBMITTED"
    assert {clock["clock"] for clock in request["slaClocks"]} == {
        "acknowledge",
        "triage",
        "deliver",
    }

    queue = await door.ok(
        QUEUE, officer, filter={"status": ["SUBMITTED"], "urgency": ["IMMEDIATE"]}, sort="OLDEST"
    )
    assert [edge["node"]["id"] for edge in queue["deskQueue"]["edges"]] == [request["id"]]
    assert await door.code(QUEUE, client, filter={"breached": True}, sort="OLDEST", after="x") == (
        "BAD_USER_INPUT"
    )

    routed = await door.ok(
        ROUTE,
        officer,
        id=request["id"],
        v=request["version"],
        input={"products": ["MEDIATION_SUPPORT", "RULE_OF_LAW"], "owner": "officer-9"},
    )
    assert routed["routeRequest"]["status"] == "ROUTED"
    assert routed["routeRequest"]["owner"] == "officer-9"
    stale = await door.code(HOLD, officer, id=request["id"], v=request["version"], reason="x")
    assert stale == "VERSION_CONFLICT"
    foreign = await door.code(
        HOLD,
        desks.officer("EUROPE"),
        id=request["id"],
        v=routed["routeRequest"]["version"],
        reason="x",
    )
    assert foreign == "REQUEST_NOT_FOUND"
    assert (
        await door.code(WITHDRAW, officer, id=request["id"], v=routed["routeRequest"]["version"])
        == "FORBIDDEN"
    )

    await door.ok(COMMENT, officer, id=request["id"], body="Which sector first?", internal=False)
    await door.ok(COMMENT, officer, id=request["id"], body="Check with DPPA", internal=True)
    assert (
        await door.code(COMMENT, client, id=request["id"], body="x", internal=True) == "FORBIDDEN"
    )
    attachment = {
        "name": "Ceasefire agreement.pdf",
        "mediaType": "application/pdf",
        "sizeBytes": 1200,
        "url": "https://docs.example.org/ceasefire.pdf",
    }
    await door.ok(ATTACH, client, id=request["id"], input=attachment)

    seen_by_client = (await door.ok(DETAIL, client, id=request["id"]))["request"]
    assert seen_by_client["comments"] == [{"body": "Which sector first?", "internal": False}]
    assert seen_by_client["attachments"] == [{"name": "Ceasefire agreement.pdf"}]
    seen_by_desk = (await door.ok(DETAIL, officer, id=request["id"]))["request"]
    assert len(seen_by_desk["comments"]) == 2
    assert seen_by_desk["metrics"]["handOffs"] == 2
    assert "provider:RULE_OF_LAW" in seen_by_desk["metrics"]["entitiesInvolved"]

    metrics = await door.ok(
        '{ deskMetrics(deskCode: "AFRICA_I") { open byStatus { status count } } }', officer
    )
    assert metrics["deskMetrics"]["open"] == 1
    assert metrics["deskMetrics"]["byStatus"] == [{"status": "ROUTED", "count": 1}]
    timeline = await door.ok(
        "query($id: ID!) { requestTimeline(id: $id) { eventType actor } }", client, id=request["id"]
    )
    assert timeline["requestTimeline"][0]["eventType"] == "onedoor.request.submitted.v1"
    other = desks.client("MINUSMA")
    hidden = await door.code(
        "query($id: ID!) { requestTimeline(id: $id) { eventType } }", other, id=request["id"]
    )
    assert hidden == "REQUEST_NOT_FOUND"


async def test_the_client_sees_status_changes_live_and_only_its_own(door: Door) -> None:
    desks = door.desks
    client, officer = desks.client("UNMISS"), desks.officer("AFRICA_I")
    request = (await door.ok(SUBMIT, client, input={"title": "Dialogue facilitation"}))[
        "submitRequest"
    ]
    token = client["Authorization"]
    async with subscription(
        door.url.replace("http://", "ws://"), token, UPDATED, {"id": request["id"]}
    ) as updates:
        await asyncio.sleep(0.3)  # the subscription is registered before the change
        held = await door.ok(HOLD, officer, id=request["id"], v=request["version"], reason="rains")
        pushed = await updates.next_data()
        assert pushed["requestUpdated"]["status"] == "ON_HOLD"
        await door.ok(RESUME, officer, id=request["id"], v=held["holdRequest"]["version"])
        pushed = await updates.next_data()
        assert pushed["requestUpdated"]["status"] == "SUBMITTED"

    intruder = desks.client("MINUSMA")["Authorization"]
    async with subscription(
        door.url.replace("http://", "ws://"), intruder, UPDATED, {"id": request["id"]}
    ) as refused:
        message = await refused.next_message()
        assert message["payload"]["errors"][0]["extensions"]["code"] == "REQUEST_NOT_FOUND"


async def test_admins_edit_the_desk_map_through_the_door(door: Door) -> None:
    desks = door.desks
    admin = bearer(desks.platform, Role.admin)
    mapped = await door.ok(
        'mutation { mapCountryToDesk(country: "MLI", deskCode: "AFRICA_I") { code name } }', admin
    )
    assert mapped["mapCountryToDesk"] == {"code": "AFRICA_I", "name": "Africa I"}
    refused = await door.code(
        'mutation { upsertDesk(code: "NEW_DESK", name: "X", region: "X") { code } }',
        desks.officer("AFRICA_I"),
    )
    assert refused == "FORBIDDEN"
    listed = await door.ok("{ desks { code countries } }", desks.client("MINUSMA"))
    africa_i = next(desk for desk in listed["desks"] if desk["code"] == "AFRICA_I")
    assert "MLI" in africa_i["countries"]


# --- The desks' answers, their contracts and the GraphQL types agree -----------------------


def _contract_of(annotation: Any) -> type[BaseModel] | None:
    """The contract model inside a field's annotation (`list[RoutingPublic]` → RoutingPublic)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in get_args(annotation):
        model = _contract_of(argument)
        if model is not None:
            return model
    return None


def _derived_fields(model: type[BaseModel]) -> list[tuple[str, str, type[BaseModel] | None]]:
    """(contract field, GraphQL field, nested contract) for each field of the model's
    GraphQL type that comes from the model (resolved fields left out)."""
    graphql_type = model._strawberry_type  # type: ignore[attr-defined]  # set by the derivation
    names = GatewayNames()
    return [
        (
            field.python_name,
            names.get_graphql_name(field),
            _contract_of(model.model_fields[field.python_name].annotation),
        )
        for field in get_object_definition(graphql_type, strict=True).fields
        if field.python_name in model.model_fields
    ]


def _selection(model: type[BaseModel]) -> str:
    return " ".join(
        f"{name} {{ {_selection(nested)} }}" if nested else name
        for _, name, nested in _derived_fields(model)
    )


def _same(service: Any, graphql: Any) -> bool:
    if isinstance(service, str) and isinstance(graphql, str) and service != graphql:
        # An enum value is written in upper case, a moment with Z or +00:00.
        if graphql == service.upper():
            return True
        try:
            return datetime.fromisoformat(service) == datetime.fromisoformat(graphql)
        except ValueError:
            return False
    return bool(service == graphql)


def assert_agree(model: type[BaseModel], service: Any, graphql: Any, where: str) -> None:
    """The service's JSON has exactly the contract's fields, and the GraphQL object shows
    every one of them with the same value."""
    assert set(service) == set(model.model_fields), f"{where}: the contract and the answer differ"
    for field, name, nested in _derived_fields(model):
        if nested is None:
            assert _same(service[field], graphql[name]), f"{where}.{field}"
        elif isinstance(service[field], list):
            assert len(service[field]) == len(graphql[name]), f"{where}.{field}"
            for index, (item, shown) in enumerate(zip(service[field], graphql[name], strict=True)):
                assert_agree(nested, item, shown, f"{where}.{field}[{index}]")
        else:
            assert_agree(nested, service[field], graphql[name], f"{where}.{field}")


async def test_the_desks_answers_and_the_gateways_types_agree_field_for_field(door: Door) -> None:
    desks = door.desks
    client, admin = desks.client("UNMISS"), desks.admin()
    submitted = await door.ok(
        SUBMIT,
        client,
        input={
            "title": "Mine action survey",
            "description": "Roads",
            "products": ["MEDIATION_SUPPORT"],
        },
    )
    # Submitted with a product, the request is routed at once: its routings are not empty.
    request_id = submitted["submitRequest"]["id"]
    await door.ok(COMMENT, client, id=request_id, body="Rains start in May", internal=False)
    attachment = {
        "name": "Map.pdf",
        "mediaType": "application/pdf",
        "sizeBytes": 9,
        "url": "https://x.org/m.pdf",
    }
    await door.ok(ATTACH, client, id=request_id, input=attachment)

    lists = {
        "comments": ("comments", CommentPublic),
        "attachments": ("attachments", AttachmentPublic),
        "timeline": ("timelines", TimelineEntryPublic),
        "metrics": ("request-metrics", RequestMetrics),
    }
    query = f"""query($id: ID!) {{
      request(id: $id) {{ {_selection(RequestPublic)}
        {" ".join(f"{name} {{ {_selection(model)} }}" for name, (_, model) in lists.items())} }}
      desks {{ {_selection(DeskPublic)} }} }}"""
    shown = await door.ok(query, admin, id=request_id)

    answer = await desks.get(request_id)
    assert answer["routings"] and answer["sla"], "a request with something in each list"
    assert_agree(RequestPublic, answer, shown["request"], "request")
    for name, (path, model) in lists.items():
        response = await desks.http.get(
            f"/{path}", params={"request_id": request_id}, headers=admin
        )
        items = response.json()
        assert items, f"{path} answers something to compare"
        graphql = shown["request"][name]
        for index, item in enumerate(items):
            assert_agree(
                model, item, graphql if name == "metrics" else graphql[index], f"{path}[{index}]"
            )
    desk_list = (await desks.http.get("/desks", headers=admin)).json()
    assert len(desk_list) == len(shown["desks"])
    for index, desk in enumerate(desk_list):
        assert_agree(DeskPublic, desk, shown["desks"][index], f"desks[{index}]")
