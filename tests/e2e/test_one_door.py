"""The whole embedded stack as `make run` starts it (broker, four services and the
gateway as separate processes), driven through the one GraphQL door."""

from __future__ import annotations

from typing import Any

import pytest

from shared.auth import Role
from shared.runner import EmbeddedStack
from shared.testing.waiting import eventually
from tests.e2e.conftest import Door

pytestmark = pytest.mark.e2e
# One stack with the other e2e modules that do not get in each other's way (conftest).
SHARED_STACK = "e2e"

SUBMIT = """
mutation Submit($input: SubmitRequestInput!) {
  submitRequest(input: $input) { id status deskCode desk { name } products }
}"""
REQUEST = """
query Request($id: ID!) {
  request(id: $id) {
    id status deskCode
    engagements { productCode status }
    timeline { at eventType actor summary }
  }
}"""
ELECTORAL_INPUT = {
    "title": "Needs assessment before the 2027 presidential election",
    "description": "The electoral commission asked the mission for support.",
    "products": ["ELECTORAL_ASSISTANCE"],
    "urgency": "PRIORITY",
    "details": {
        "ELECTORAL_ASSISTANCE": {"election_type": "presidential", "election_date": "2027-07-01"}
    },
}


async def until_in_progress(door: Door, request_id: str, headers: dict[str, str]) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        request = (await door.call(REQUEST, headers, id=request_id))["data"]["request"]
        return request if request["status"] == "IN_PROGRESS" else None

    return await eventually(probe, timeout_s=20)


async def test_a_client_request_is_routed_accepted_and_traced_in_its_timeline(door: Door) -> None:
    minusma = door.headers(Role.client, client="MINUSMA")
    submitted = await door.call(SUBMIT, minusma, input=ELECTORAL_INPUT)
    assert "errors" not in submitted, submitted
    created = submitted["data"]["submitRequest"]
    assert created["deskCode"] == "AFRICA_II" and created["desk"] == {"name": "Africa II"}

    request = await until_in_progress(door, created["id"], minusma)
    assert request["engagements"] == [{"productCode": "ELECTORAL_ASSISTANCE", "status": "accepted"}]
    events = [entry["eventType"] for entry in request["timeline"]]
    assert events[0] == "onedoor.request.submitted.v1"
    assert "onedoor.engagement.accepted.v1" in events
    assert all(entry["at"] and entry["actor"] for entry in request["timeline"])

    listed = await door.call(
        "{ myRequests(first: 10) { edges { cursor node { id } } pageInfo { hasNextPage } } }",
        minusma,
    )
    assert created["id"] in [edge["node"]["id"] for edge in listed["data"]["myRequests"]["edges"]]
    catalog = await door.call("{ products { code requestForm } }", minusma)
    codes = {product["code"] for product in catalog["data"]["products"]}
    assert {
        "ELECTORAL_ASSISTANCE",
        "RULE_OF_LAW",
        "MEDIATION_SUPPORT",
        "POLITICAL_ANALYSIS",
        "HUMAN_RIGHTS",
    } <= codes


async def test_errors_come_back_as_graphql_errors_with_codes(door: Door) -> None:
    minusma = door.headers(Role.client, client="MINUSMA")
    cases = {
        "UNKNOWN_PRODUCT": {**ELECTORAL_INPUT, "products": ["TIME_TRAVEL"], "details": {}},
        "BAD_USER_INPUT": {**ELECTORAL_INPUT, "title": ""},
        "INVALID_DETAILS": {
            **ELECTORAL_INPUT,
            "details": {"ELECTORAL_ASSISTANCE": {"election_type": 7}},
        },
    }
    for code, payload in cases.items():
        answer = await door.call(SUBMIT, minusma, input=payload)
        assert answer["errors"][0]["extensions"]["code"] == code, answer
    not_found = await door.call(REQUEST, minusma, id="00000000-0000-0000-0000-000000000000")
    assert not_found["errors"][0]["extensions"]["code"] == "REQUEST_NOT_FOUND"

    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        refused = await door.call("{ products { code } }", headers)
        assert refused["data"] is None
        assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_client_cannot_read_another_clients_request(door: Door) -> None:
    unmiss = door.headers(Role.client, client="UNMISS")
    created = (await door.call(SUBMIT, unmiss, input=ELECTORAL_INPUT))["data"]["submitRequest"]
    minusma = door.headers(Role.client, client="MINUSMA")
    answer = await door.call(REQUEST, minusma, id=created["id"])
    assert answer["errors"][0]["extensions"]["code"] == "REQUEST_NOT_FOUND"


async def test_the_stack_survives_the_death_of_its_broker(stack: EmbeddedStack, door: Door) -> None:
    minusma = door.headers(Role.client, client="MINUSMA")
    before = (await door.call(SUBMIT, minusma, input=ELECTORAL_INPUT))["data"]["submitRequest"]
    await until_in_progress(door, before["id"], minusma)
    assert stack.broker is not None
    old_cluster = stack.broker.cluster_id

    stack.broker.process.kill()
    stack.broker.process.wait()
    stack._restart_everything()  # what supervise() does when it sees the broker gone

    assert stack.broker.cluster_id != old_cluster
    kept = await door.call(REQUEST, minusma, id=before["id"])
    assert kept["data"]["request"]["status"] == "IN_PROGRESS"
    after = (await door.call(SUBMIT, minusma, input=ELECTORAL_INPUT))["data"]["submitRequest"]
    request = await until_in_progress(door, after["id"], minusma)
    assert len(request["engagements"]) == 1
