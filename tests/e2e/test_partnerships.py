"""A joint assessment through the one door: a desk officer opens it with the AU for a
client's request, the AU (partner token) accepts its task and posts findings, the desk
concludes, and a partner outside the assessment cannot see it."""

from __future__ import annotations

from typing import Any

import pytest

from shared.auth import Role
from shared.testing.waiting import eventually
from tests.e2e.conftest import Door
from tests.e2e.test_one_door import ELECTORAL_INPUT, SUBMIT

pytestmark = pytest.mark.e2e
# One stack with the other e2e modules that do not get in each other's way (conftest).
SHARED_STACK = "e2e"

ASSESSMENT_FIELDS = """
  id requestId status version partners deskCode summary recommendedProducts concludedOn
  tasks { id title lead status findings }
"""
OPEN = f"""
mutation Open($input: OpenAssessmentInput!) {{ openAssessment(input: $input) {{ {ASSESSMENT_FIELDS} }} }}
"""
ACCEPT = f"""
mutation Accept($id: ID!, $version: Int!, $task: ID!) {{
  acceptAssessmentTask(id: $id, expectedVersion: $version, taskId: $task) {{ {ASSESSMENT_FIELDS} }} }}
"""
FINDINGS = f"""
mutation Findings($id: ID!, $version: Int!, $task: ID!, $findings: String!) {{
  postAssessmentFindings(id: $id, expectedVersion: $version, taskId: $task, findings: $findings) {{
    {ASSESSMENT_FIELDS} }} }}
"""
ACTIVATE = f"""
mutation Activate($id: ID!, $version: Int!) {{
  activateAssessment(id: $id, expectedVersion: $version) {{ {ASSESSMENT_FIELDS} }} }}
"""
CONCLUDE = f"""
mutation Conclude($id: ID!, $version: Int!, $summary: String!, $products: [ProductCode!]) {{
  concludeAssessment(
    id: $id, expectedVersion: $version, summary: $summary, recommendedProducts: $products
  ) {{
    {ASSESSMENT_FIELDS} }} }}
"""
ONE = f"""
query One($id: ID!) {{ assessment(id: $id) {{ {ASSESSMENT_FIELDS} history {{ kind actor }} }} }}
"""
ON_THE_REQUEST = """
query OnTheRequest($id: ID!) {
  request(id: $id) {
    assessments { id status summary recommendedProducts }
    jointAssessments { id status }
    timeline { eventType }
  }
}
"""
BY_REQUEST = """
query ByRequest($request: ID!) { assessments(requestId: $request) { id status } }
"""


def data(result: dict[str, Any], field: str) -> dict[str, Any]:
    assert "errors" not in result, result
    return dict(result["data"][field])


async def test_a_joint_assessment_with_the_au_through_the_gateway(door: Door) -> None:
    minusma = door.headers(Role.client, client="MINUSMA")
    desk = door.headers(Role.desk_officer, desk="AFRICA_II")
    au = door.headers(Role.partner, partner="AU")
    world_bank = door.headers(Role.partner, partner="WORLD_BANK")
    request = data(await door.call(SUBMIT, minusma, input=ELECTORAL_INPUT), "submitRequest")
    opening = {
        "requestId": request["id"],
        "partners": ["AU"],
        "scope": "Electoral security ahead of the 2027 presidential election",
        "tasks": [{"title": "Electoral security review", "lead": "AU"}],
    }

    async def opened() -> dict[str, Any] | None:
        # The partnerships service learns of the request from the broker.
        result = await door.call(OPEN, desk, input=opening)
        if result.get("errors", [{}])[0].get("extensions", {}).get("code") == "REQUEST_NOT_FOUND":
            return None
        return data(result, "openAssessment")

    assessment = await eventually(opened, timeout_s=20)
    assert assessment["status"] == "PROPOSED" and assessment["deskCode"] == "AFRICA_II"
    task_id = assessment["tasks"][0]["id"]

    version = assessment["version"]
    refused = await door.call(
        ACCEPT, world_bank, id=assessment["id"], version=version, task=task_id
    )
    assert refused["errors"][0]["extensions"]["code"] == "ASSESSMENT_NOT_FOUND"
    accepted = data(
        await door.call(ACCEPT, au, id=assessment["id"], version=version, task=task_id),
        "acceptAssessmentTask",
    )
    assert accepted["tasks"][0]["status"] == "ACCEPTED"
    active = data(
        await door.call(ACTIVATE, desk, id=assessment["id"], version=accepted["version"]),
        "activateAssessment",
    )
    assert active["status"] == "ACTIVE"
    stale = await door.call(ACTIVATE, desk, id=assessment["id"], version=accepted["version"])
    assert stale["errors"][0]["extensions"]["code"] == "VERSION_CONFLICT"

    findings = "Security forces are stretched in the centre; joint planning needed."
    done = data(
        await door.call(
            FINDINGS,
            au,
            id=assessment["id"],
            version=active["version"],
            task=task_id,
            findings=findings,
        ),
        "postAssessmentFindings",
    )
    assert done["tasks"][0] == {**done["tasks"][0], "status": "DONE", "findings": findings}
    concluded = data(
        await door.call(
            CONCLUDE,
            desk,
            id=assessment["id"],
            version=done["version"],
            summary="Joint UN-AU electoral security support",
            products=["ELECTORAL_ASSISTANCE", "RULE_OF_LAW"],
        ),
        "concludeAssessment",
    )
    assert concluded["status"] == "CONCLUDED"
    assert concluded["recommendedProducts"] == ["ELECTORAL_ASSISTANCE", "RULE_OF_LAW"]

    seen_by_au = data(await door.call(ONE, au, id=assessment["id"]), "assessment")
    assert [entry["kind"] for entry in seen_by_au["history"]] == [
        "opened",
        "task_accepted",
        "status_changed",
        "findings_posted",
        "status_changed",
    ]
    hidden = await door.call(ONE, world_bank, id=assessment["id"])
    assert hidden["data"] is None
    assert hidden["errors"][0]["extensions"]["code"] == "ASSESSMENT_NOT_FOUND"
    listed = await door.call("{ assessments { id } }", world_bank)
    assert listed["data"]["assessments"] == []
    mine = await door.call(BY_REQUEST, minusma, request=request["id"])
    assert mine["data"]["assessments"] == [{"id": assessment["id"], "status": "CONCLUDED"}]
    unmiss = door.headers(Role.client, client="UNMISS")
    assert (await door.call(BY_REQUEST, unmiss, request=request["id"]))["data"]["assessments"] == []

    # The conclusion flows back to the request over the broker: the desks service
    # records it, and the request shows it beside the partnerships service's own view.
    async def concluded_on_the_request() -> dict[str, Any] | None:
        answer = await door.call(ON_THE_REQUEST, minusma, id=request["id"])
        assert "errors" not in answer, answer
        seen = answer["data"]["request"]
        return seen if seen["assessments"] and seen["assessments"][0]["summary"] else None

    on_request = await eventually(concluded_on_the_request, timeout_s=20)
    assert on_request["assessments"] == [
        {
            "id": assessment["id"],
            "status": "concluded",
            "summary": "Joint UN-AU electoral security support",
            "recommendedProducts": ["ELECTORAL_ASSISTANCE", "RULE_OF_LAW"],
        }
    ]
    assert on_request["jointAssessments"] == [{"id": assessment["id"], "status": "CONCLUDED"}]
    events = [entry["eventType"] for entry in on_request["timeline"]]
    assert "onedoor.assessment.opened.v1" in events
    assert "onedoor.assessment.concluded.v1" in events
