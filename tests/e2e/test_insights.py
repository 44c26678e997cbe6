"""Insights end to end: a request submitted through the one door reaches the insights
service as events, and its 3W/4W lines come back through the gateway, each caller's
own part only, and as a CSV download through the door."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest

from shared.auth import Role
from shared.testing.waiting import eventually
from tests.e2e.conftest import Door

pytestmark = pytest.mark.e2e
SHARED_STACK = "e2e"

SUBMIT = "mutation($input: SubmitRequestInput!) { submitRequest(input: $input) { id } }"
WHO = """query($filter: WhoDoesWhatFilter) { whoDoesWhat(filter: $filter, first: 500) {
  total hasNextPage items { country region partyKind party orgName productCode clientCode
  activity status since requests } } }"""
BY_COUNTRY = """query($filter: WhoDoesWhatFilter) { whoDoesWhatByCountry(filter: $filter) {
  country region engagements openEngagements organisations products } }"""
CLIENT = "UNSMIL"


def codes(answer: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in answer.get("errors", [])]


async def lines(door: Door, headers: dict[str, str], **filter: Any) -> list[dict[str, Any]]:
    answer = await door.call(WHO, headers, filter=filter or None)
    assert "errors" not in answer, answer
    items: list[dict[str, Any]] = answer["data"]["whoDoesWhat"]["items"]
    return items


async def test_who_does_what_through_the_door_each_caller_its_part(door: Door) -> None:
    client = door.headers(Role.client, client=CLIENT)
    hq = door.headers(Role.hq_analyst)
    submitted = await door.call(
        SUBMIT,
        client,
        input={
            "title": "Electoral needs assessment before the legislative elections",
            "description": "The High National Elections Commission asked for support.",
            "products": ["ELECTORAL_ASSISTANCE"],
            "urgency": "PRIORITY",
            "details": {
                "ELECTORAL_ASSISTANCE": {
                    "election_type": "legislative",
                    "election_date": "2027-03-01",
                }
            },
        },
    )
    assert "errors" not in submitted, submitted

    async def engaged() -> list[dict[str, Any]] | None:
        """Settled: the provider accepted, and the desk's line has followed the request
        to in progress (the acceptance and the request's move are two events)."""
        found = await lines(door, hq, clientCode=CLIENT)
        kinds = {(line["partyKind"], line["status"]) for line in found}
        return found if {("PROVIDER", "accepted"), ("DESK", "in_progress")} <= kinds else None

    found = await eventually(engaged, timeout_s=30)
    desk = next(line for line in found if line["partyKind"] == "DESK")
    provider = next(line for line in found if line["partyKind"] == "PROVIDER")
    assert (desk["country"], desk["productCode"], desk["activity"]) == (
        "LBY",
        "ELECTORAL_ASSISTANCE",
        "coordination",
    )
    assert provider["orgName"] == "Electoral Assistance Division"
    assert provider["requests"] >= 1

    # The client sees its own lines, the same as HQ filtered on it; nobody else's.
    assert await lines(door, client) == found
    other_client = door.headers(Role.client, client="UNCT_MALI")
    assert await lines(door, other_client, clientCode=CLIENT) == []
    other_provider = door.headers(Role.provider, products=["RULE_OF_LAW"])
    assert await lines(door, other_provider, clientCode=CLIENT) == []
    partner = door.headers(Role.partner, partner="AU")
    assert await lines(door, partner, clientCode=CLIENT) == []
    electoral = door.headers(Role.provider, products=["ELECTORAL_ASSISTANCE"])
    assert await lines(door, electoral, clientCode=CLIENT) == found

    by_country = await door.call(BY_COUNTRY, client)
    assert [entry["country"] for entry in by_country["data"]["whoDoesWhatByCountry"]] == ["LBY"]
    # Arguments are checked at the door before they reach a URL.
    assert codes(await door.call(WHO, hq, filter={"country": "libya"})) == ["BAD_USER_INPUT"]

    # The same lines as CSV with HXL tags, downloaded through the door's export route,
    # each caller's own part again; the service and the name are checked at the door.
    export = door.url.removesuffix("/graphql") + "/exports/insights/who-does-what.csv"
    async with httpx.AsyncClient(timeout=10) as http:
        mine = await http.get(export, params={"client_code": CLIENT}, headers=client)
        others = await http.get(export, params={"client_code": CLIENT}, headers=other_client)
        anonymous = await http.get(export)
        unknown = await http.get(door.url.removesuffix("/graphql") + "/exports/lessons/x.csv",
                                 headers=hq)  # fmt: skip
    assert mine.status_code == 200 and mine.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(mine.text)))
    assert rows[1][:3] == ["#country+code", "#region+name", "#org+name"]
    assert sorted((row[3], row[2]) for row in rows[2:]) == sorted(
        (line["partyKind"].lower(), line["orgName"]) for line in found
    )
    assert len(list(csv.reader(io.StringIO(others.text)))) == 2  # the header and tags only
    assert (anonymous.status_code, unknown.status_code) == (401, 404)


FIGURES = """query($filter: CoordinationFilter) {
  requestFigures(filter: $filter, first: 500) { total items { requestId route status
    measuredSeconds heldBy handOffs partiesInvolved firstEngagementSeconds
    parties { partyKind party orgName seconds sharePct breaches } } }
  coordinationCosts(filter: $filter, by: MONTH) { key route requests handOffs }
  slaShares(filter: $filter, by: PRODUCT) { key partyKind requests medianSharePct p90SharePct }
  demandWithoutSupply(filter: $filter) { unmet { month productCode requests }
    load { month productCode capacity accepted inHand utilisation } } }"""


async def test_coordination_figures_through_the_door_each_caller_its_part(door: Door) -> None:
    """A request routed at intake reaches the SLA, cost and supply views for its client
    and HQ, and none of another client's; the CSVs download through the door."""
    client = door.headers(Role.client, client="UNSOM")
    hq = door.headers(Role.hq_analyst)
    submitted = await door.call(
        SUBMIT,
        client,
        input={
            "title": "Support to the federal electoral commission",
            "description": "Voter registration in two federal member states.",
            "products": ["ELECTORAL_ASSISTANCE"],
            "urgency": "ROUTINE",
            "details": {
                "ELECTORAL_ASSISTANCE": {
                    "election_type": "general",
                    "election_date": "2027-05-01",
                }
            },
        },
    )
    assert "errors" not in submitted, submitted
    request_id = submitted["data"]["submitRequest"]["id"]

    async def read_figures() -> dict[str, Any]:
        answer = await door.call(FIGURES, client)
        assert "errors" not in answer, answer
        data: dict[str, Any] = answer["data"]
        return data

    async def engaged() -> bool:
        items = (await read_figures())["requestFigures"]["items"]
        mine = [r for r in items if r["requestId"] == request_id]
        return bool(mine) and mine[0]["firstEngagementSeconds"] is not None

    await eventually(engaged, timeout_s=30)
    # Read again once engaged: the gateway resolves the fields concurrently, each a call
    # of its own, so the answer that saw the engagement may hold a field read just
    # before insights committed it (a batch brings the request and its engagement at once).
    data = await read_figures()
    figures = next(r for r in data["requestFigures"]["items"] if r["requestId"] == request_id)
    assert figures["route"] == "INTAKE" and figures["status"] in {"routed", "in_progress"}
    kinds = {(p["partyKind"], p["party"]) for p in figures["parties"]}
    assert {("CLIENT", "UNSOM"), ("PROVIDER", "ELECTORAL_ASSISTANCE")} <= kinds
    assert sum(p["seconds"] for p in figures["parties"]) <= figures["measuredSeconds"] + 5
    assert {row["route"] for row in data["coordinationCosts"]} == {"INTAKE"}
    # A request counts in the shares once time was measured (routed and accepted at intake
    # within the same second, it has none yet).
    measured = {"ELECTORAL_ASSISTANCE"} if figures["measuredSeconds"] else set()
    assert {row["key"] for row in data["slaShares"]} == measured
    # A client reads its own unmet demand, never the providers' supply.
    assert data["demandWithoutSupply"]["load"] == []

    other = door.headers(Role.client, client="UNCT_MALI")
    theirs = await door.call(FIGURES, other, filter={"clientCode": "UNSOM"})
    assert theirs["data"]["requestFigures"]["total"] == 0
    supply = await door.call(FIGURES, hq, filter={"productCode": "ELECTORAL_ASSISTANCE"})
    load = supply["data"]["demandWithoutSupply"]["load"]
    assert load and all(row["capacity"] > 0 for row in load)
    assert max(row["inHand"] for row in load) >= 1
    assert codes(await door.call(FIGURES, hq, filter={"country": "somalia"})) == ["BAD_USER_INPUT"]

    base = door.url.removesuffix("/graphql") + "/exports/insights/"
    async with httpx.AsyncClient(timeout=10) as http:
        per_party = await http.get(base + "sla-time-per-party.csv", headers=client)
        cost = await http.get(base + "coordination-cost.csv", headers=client)
        demand = await http.get(base + "demand-without-supply.csv", headers=hq)
    assert per_party.status_code == cost.status_code == demand.status_code == 200
    assert {row[0] for row in list(csv.reader(io.StringIO(per_party.text)))[1:]} == {request_id}
    assert [row[0] for row in list(csv.reader(io.StringIO(cost.text)))[1:]] == [request_id]
    assert next(csv.reader(io.StringIO(demand.text)))[:2] == ["Month", "Product"]
