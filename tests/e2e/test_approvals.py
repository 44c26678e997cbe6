"""The approval step through the one door of the embedded stack: a host government's
request for mediation waits for its desk's approval, the approver finds it in the
approval queue and decides through the gateway, the request then reaches its provider;
the approver and the client are notified; bad decisions are refused with a code."""

from __future__ import annotations

from typing import Any

import pytest

from shared.auth import Role
from shared.testing.waiting import eventually
from tests.e2e.conftest import Door

pytestmark = pytest.mark.e2e
SHARED_STACK = "e2e"

FIELDS = """id status version statusReason routings { productCode }
  approvals { rules decision decidedBy comment }"""
SUBMIT = f"mutation($input: SubmitRequestInput!) {{ submitRequest(input: $input) {{ {FIELDS} }} }}"
APPROVE = f"""mutation($id: ID!, $v: Int!, $comment: String) {{
  approveRequest(id: $id, expectedVersion: $v, comment: $comment) {{ {FIELDS} }} }}"""
REJECT = f"""mutation($id: ID!, $v: Int!, $comment: String!) {{
  rejectApproval(id: $id, expectedVersion: $v, comment: $comment) {{ {FIELDS} }} }}"""
QUEUE = "{ approvalQueue { id status } }"
REQUEST = f"""query($id: ID!) {{ request(id: $id) {{ {FIELDS}
  engagements {{ productCode }} timeline {{ eventType summary }} }} }}"""
NOTIFICATIONS = "{ notifications(first: 50) { edges { node { kind requestId params } } } }"
RULES = "{ approvalRules { id name active version urgency clientKind productCode } }"
CREATE_RULE = """mutation($input: ApprovalRuleInput!) {
  createApprovalRule(input: $input) { id name version active deskCode } }"""
UPDATE_RULE = """mutation($id: ID!, $v: Int!, $input: ApprovalRuleInput!) {
  updateApprovalRule(id: $id, expectedVersion: $v, input: $input) { id name version } }"""
MEDIATION = {
    "title": "Facilitation of the national dialogue on the constitution",
    "products": ["MEDIATION_SUPPORT"],
    "urgency": "IMMEDIATE",
    "details": {
        "MEDIATION_SUPPORT": {"parties": ["Government", "Opposition"], "confidentiality": "public"}
    },
}


def code_of(answer: dict[str, Any]) -> str:
    return str(answer["errors"][0]["extensions"]["code"])


async def kinds_for(door: Door, headers: dict[str, str], request_id: str) -> set[str]:
    answer = await door.call(NOTIFICATIONS, headers)
    edges = answer["data"]["notifications"]["edges"]
    return {edge["node"]["kind"] for edge in edges if edge["node"]["requestId"] == request_id}


async def test_a_request_waits_for_approval_then_reaches_its_provider(door: Door) -> None:
    liaison = door.headers(Role.client, client="GOV_SIERRA_LEONE")
    approver = door.headers(Role.desk_officer, desk="AFRICA_II")
    created = (await door.call(SUBMIT, liaison, input=MEDIATION))["data"]["submitRequest"]
    assert created["status"] == "AWAITING_APPROVAL"
    assert created["approvals"][0]["rules"] == ["Host-country requests for mediation support"]

    queue = (await door.call(QUEUE, approver))["data"]["approvalQueue"]
    assert created["id"] in [request["id"] for request in queue]

    async def asked() -> bool:
        return "APPROVAL_REQUESTED" in await kinds_for(door, approver, created["id"])

    await eventually(asked, timeout_s=20)

    by_client = await door.call(APPROVE, liaison, id=created["id"], v=created["version"])
    assert code_of(by_client) == "FORBIDDEN"
    stale = await door.call(APPROVE, approver, id=created["id"], v=created["version"] + 5)
    assert code_of(stale) == "VERSION_CONFLICT"
    approved = await door.call(
        APPROVE, approver, id=created["id"], v=created["version"], comment="Agreed"
    )
    request = approved["data"]["approveRequest"]
    assert request["status"] == "ROUTED"
    assert request["approvals"][0]["decision"] == "approved"

    async def refused_again() -> str | None:
        # The provider's answers move (and version) the request meanwhile: read it first.
        seen = (await door.call(REQUEST, liaison, id=created["id"]))["data"]["request"]
        code = code_of(await door.call(APPROVE, approver, id=created["id"], v=seen["version"]))
        return code if code != "VERSION_CONFLICT" else None

    assert await eventually(refused_again, timeout_s=20) == "ILLEGAL_TRANSITION"

    async def engaged() -> dict[str, Any] | None:
        seen = (await door.call(REQUEST, liaison, id=created["id"]))["data"]["request"]
        return seen if seen["engagements"] else None

    seen = await eventually(engaged, timeout_s=20)
    assert seen["approvals"][0]["comment"] == "Agreed"
    assert "approval decision: approved (Agreed)" in [
        entry["summary"] for entry in seen["timeline"]
    ]

    async def told() -> bool:
        return "APPROVAL_DECIDED" in await kinds_for(door, liaison, created["id"])

    await eventually(told, timeout_s=20)
    stranger = await door.call(
        REQUEST, door.headers(Role.client, client="MINUSMA"), id=created["id"]
    )
    assert code_of(stranger) == "REQUEST_NOT_FOUND"


async def test_a_rejection_closes_the_request_and_rules_are_edited_with_versions(
    door: Door,
) -> None:
    liaison = door.headers(Role.client, client="GOV_GUINEA")
    approver, admin = door.headers(Role.desk_officer, desk="AFRICA_II"), door.headers(Role.admin)
    created = (await door.call(SUBMIT, liaison, input=MEDIATION))["data"]["submitRequest"]
    silent = await door.call(REJECT, approver, id=created["id"], v=created["version"], comment=" ")
    assert code_of(silent) == "BAD_USER_INPUT"
    rejected = await door.call(
        REJECT, approver, id=created["id"], v=created["version"], comment="The envoy leads this"
    )
    request = rejected["data"]["rejectApproval"]
    assert (request["status"], request["statusReason"]) == ("REJECTED", "The envoy leads this")

    rules = (await door.call(RULES, approver))["data"]["approvalRules"]
    assert {"Host-country requests for mediation support", "Immediate requests"} <= {
        rule["name"] for rule in rules
    }
    # A rule of its own, created off so that no other test's request meets it.
    rule_input = {"name": "Europe human rights", "deskCode": "EUROPE", "active": False}
    refused = await door.call(CREATE_RULE, approver, input=rule_input)
    assert code_of(refused) == "FORBIDDEN"
    made = (await door.call(CREATE_RULE, admin, input=rule_input))["data"]["createApprovalRule"]
    assert (made["version"], made["active"], made["deskCode"]) == (1, False, "EUROPE")
    renamed = {**rule_input, "name": "Europe: human rights"}
    stale = await door.call(UPDATE_RULE, admin, id=made["id"], v=3, input=renamed)
    assert code_of(stale) == "VERSION_CONFLICT"
    updated = await door.call(UPDATE_RULE, admin, id=made["id"], v=1, input=renamed)
    assert updated["data"]["updateApprovalRule"]["version"] == 2
    nothing = await door.call(
        UPDATE_RULE, admin, id="00000000-0000-0000-0000-000000000000", v=1, input=renamed
    )
    assert code_of(nothing) == "APPROVAL_RULE_NOT_FOUND"
