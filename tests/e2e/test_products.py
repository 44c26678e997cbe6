"""A provider officer drives an engagement through the one GraphQL door, on the whole
embedded stack (broker, four services and the gateway as separate processes)."""

from __future__ import annotations

from typing import Any

import pytest

from shared.auth import Role
from shared.testing.waiting import eventually
from tests.e2e.conftest import Door

pytestmark = pytest.mark.e2e
# One stack with the other e2e modules that do not get in each other's way (conftest).
SHARED_STACK = "e2e"

ENGAGEMENT_FIELDS = """
  id version status dueAt overdue productCode description clientCode clientKind deskCode urgency details decidedBy
  deliverables { title kind reference deliveredOn }
  assignments { id expertId expertName startsOn endsOn }
"""
SUBMIT = """
mutation Submit($input: SubmitRequestInput!) { submitRequest(input: $input) { id status } }
"""
QUEUE = f"""
query Queue($status: [String!], $product: [ProductCode!]) {{
  providerQueue(first: 50, status: $status, product: $product) {{
    edges {{ cursor node {{ requestId {ENGAGEMENT_FIELDS} }} }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}"""
ACCEPT = f"""
mutation Accept($id: ID!, $v: Int!) {{ acceptEngagement(id: $id, expectedVersion: $v) {{
  {ENGAGEMENT_FIELDS} }} }}"""
PLAN = f"""
mutation Plan($id: ID!, $v: Int!) {{ startPlanning(id: $id, expectedVersion: $v) {{
  {ENGAGEMENT_FIELDS} }} }}"""
ASSIGN = f"""
mutation Assign($id: ID!, $v: Int!, $expert: String!, $from: Date!, $to: Date!) {{
  assignExpert(id: $id, expectedVersion: $v, expertId: $expert, startsOn: $from, endsOn: $to) {{
    {ENGAGEMENT_FIELDS} }} }}"""
DEPLOY = f"""
mutation Deploy($id: ID!, $v: Int!) {{ deployEngagement(id: $id, expectedVersion: $v) {{
  {ENGAGEMENT_FIELDS} }} }}"""
RECORD = f"""
mutation Record($id: ID!, $v: Int!, $d: DeliverableInput!) {{
  recordDeliverable(id: $id, expectedVersion: $v, deliverable: $d) {{ {ENGAGEMENT_FIELDS} }} }}"""
DELIVER = f"""
mutation Deliver($id: ID!, $v: Int!) {{ deliverEngagement(id: $id, expectedVersion: $v) {{
  {ENGAGEMENT_FIELDS} }} }}"""
MEDIATION_INPUT = {
    "title": "Support to the inter-Malian dialogue",
    "description": "The mission asks for a process designer for the next round of talks.",
    "products": ["MEDIATION_SUPPORT"],
    "urgency": "IMMEDIATE",
    "details": {
        "MEDIATION_SUPPORT": {
            "parties": ["Government of Mali", "Platform coalition"],
            "confidentiality": "confidential",
            "languages": ["fr", "ar"],
        }
    },
}


def ok(answer: dict[str, Any], field: str) -> Any:
    assert "errors" not in answer, answer
    return answer["data"][field]


def code_of(answer: dict[str, Any]) -> str:
    return str(answer["errors"][0]["extensions"]["code"])


async def test_a_provider_drives_an_engagement_to_delivered(door: Door) -> None:
    admin = door.headers(Role.admin)
    product = ok(
        await door.call('{ product(code: "MEDIATION_SUPPORT") { revision } }', admin), "product"
    )
    edited = await door.call(
        """mutation Edit($input: ProductChangeInput!) {
             updateProduct(code: MEDIATION_SUPPORT, input: $input) { revision autoAccept } }""",
        admin,
        input={"expectedVersion": product["revision"], "autoAccept": False},
    )
    assert ok(edited, "updateProduct") == {"revision": product["revision"] + 1, "autoAccept": False}

    minusma = door.headers(Role.client, client="MINUSMA")
    request = ok(await door.call(SUBMIT, minusma, input=MEDIATION_INPUT), "submitRequest")
    officer = door.headers(Role.provider, products=["MEDIATION_SUPPORT"])

    async def proposed() -> dict[str, Any] | None:
        queue = ok(await door.call(QUEUE, officer, status=["proposed"]), "providerQueue")
        mine = [e["node"] for e in queue["edges"] if e["node"]["requestId"] == request["id"]]
        return mine[0] if mine else None

    engagement = await eventually(proposed, timeout_s=20)
    assert engagement["clientCode"] == "MINUSMA"
    assert engagement["description"] == MEDIATION_INPUT["description"]
    assert engagement["urgency"] == "IMMEDIATE"
    assert engagement["dueAt"] and engagement["overdue"] is False
    assert engagement["details"]["confidentiality"] == "confidential"

    outsider = door.headers(Role.provider, products=["HUMAN_RIGHTS"])
    hidden = await door.call(ACCEPT, outsider, id=engagement["id"], v=engagement["version"])
    assert code_of(hidden) == "ENGAGEMENT_NOT_FOUND"
    assert code_of(await door.call(ACCEPT, minusma, id=engagement["id"], v=1)) == "FORBIDDEN"

    engagement = ok(
        await door.call(ACCEPT, officer, id=engagement["id"], v=engagement["version"]),
        "acceptEngagement",
    )
    assert engagement["status"] == "accepted"
    stale = await door.call(PLAN, officer, id=engagement["id"], v=engagement["version"] - 1)
    assert code_of(stale) == "VERSION_CONFLICT"
    engagement = ok(
        await door.call(PLAN, officer, id=engagement["id"], v=engagement["version"]),
        "startPlanning",
    )

    free = ok(
        await door.call(
            """query Free($from: Date!, $to: Date!) {
                 experts(language: "ar", freeFrom: $from, freeTo: $to) { id name languages } }""",
            officer,
            **{"from": "2026-12-01", "to": "2026-12-18"},
        ),
        "experts",
    )
    assert "EXP-MED-01" in [expert["id"] for expert in free]
    engagement = ok(
        await door.call(
            ASSIGN,
            officer,
            id=engagement["id"],
            v=engagement["version"],
            expert="EXP-MED-01",
            **{"from": "2026-12-01", "to": "2026-12-18"},
        ),
        "assignExpert",
    )
    assert [a["expertName"] for a in engagement["assignments"]] == ["Leila Haddad"]
    engagement = ok(
        await door.call(DEPLOY, officer, id=engagement["id"], v=engagement["version"]),
        "deployEngagement",
    )

    early = await door.call(DELIVER, officer, id=engagement["id"], v=engagement["version"])
    assert code_of(early) == "DELIVERABLE_REQUIRED"
    deliverable = {
        "title": "Process design note for the third round",
        "kind": "advisory_note",
        "reference": "DPPA/MSU/2026/117",
        "deliveredOn": "2026-12-16",
    }
    engagement = ok(
        await door.call(
            RECORD, officer, id=engagement["id"], v=engagement["version"], d=deliverable
        ),
        "recordDeliverable",
    )
    engagement = ok(
        await door.call(DELIVER, officer, id=engagement["id"], v=engagement["version"]),
        "deliverEngagement",
    )
    assert engagement["status"] == "delivered"
    assert engagement["deliverables"] == [deliverable]

    seen_by_client = ok(
        await door.call(
            "query R($id: ID!) { request(id: $id) { engagements { productCode status } } }",
            minusma,
            id=request["id"],
        ),
        "request",
    )
    assert seen_by_client["engagements"] == [
        {"productCode": "MEDIATION_SUPPORT", "status": "delivered"}
    ]
    figures = ok(
        await door.call("{ productUtilisation { productCode capacity active byStatus } }", officer),
        "productUtilisation",
    )
    assert [f["productCode"] for f in figures] == ["MEDIATION_SUPPORT"]
    assert figures[0]["byStatus"]["delivered"] >= 1


async def test_a_decline_goes_back_to_the_desk_and_counts_as_unmet_demand(door: Door) -> None:
    admin = door.headers(Role.admin)
    product = ok(await door.call('{ product(code: "RULE_OF_LAW") { revision } }', admin), "product")
    ok(
        await door.call(
            """mutation Edit($input: ProductChangeInput!) {
                 updateProduct(code: RULE_OF_LAW, input: $input) { revision } }""",
            admin,
            input={"expectedVersion": product["revision"], "autoAccept": False},
        ),
        "updateProduct",
    )
    unmiss = door.headers(Role.client, client="UNMISS")
    request = ok(
        await door.call(
            SUBMIT,
            unmiss,
            input={
                "title": "Support to the special court's registry",
                "products": ["RULE_OF_LAW"],
                "details": {"RULE_OF_LAW": {"sector": "justice", "duration_weeks": 20}},
            },
        ),
        "submitRequest",
    )
    officer = door.headers(Role.provider, products=["RULE_OF_LAW"])

    async def proposed() -> dict[str, Any] | None:
        queue = ok(await door.call(QUEUE, officer, product=["RULE_OF_LAW"]), "providerQueue")
        mine = [e["node"] for e in queue["edges"] if e["node"]["requestId"] == request["id"]]
        return mine[0] if mine and mine[0]["status"] == "proposed" else None

    engagement = await eventually(proposed, timeout_s=20)
    declined = await door.call(
        """mutation Decline($id: ID!, $v: Int!) {
             declineEngagement(id: $id, expectedVersion: $v, reasonCode: NEEDS_PARTNER,
                               reason: "A joint assessment with the World Bank comes first.") {
               status declineReasonCode } }""",
        officer,
        id=engagement["id"],
        v=engagement["version"],
    )
    assert ok(declined, "declineEngagement") == {
        "status": "declined",
        "declineReasonCode": "needs_partner",
    }

    async def back_at_the_desk() -> bool:
        answer = await door.call(
            "query R($id: ID!) { request(id: $id) { status } }", unmiss, id=request["id"]
        )
        return bool(ok(answer, "request")["status"] == "TRIAGED")

    await eventually(back_at_the_desk, timeout_s=20)
    [figures] = ok(
        await door.call(
            "{ unmetDemand { productCode declined declinedByReason requests } }", officer
        ),
        "unmetDemand",
    )
    assert figures["productCode"] == "RULE_OF_LAW"
    assert figures["declinedByReason"] == {"needs_partner": 1}
    assert code_of(await door.call("{ unmetDemand { productCode } }", unmiss)) == "FORBIDDEN"
