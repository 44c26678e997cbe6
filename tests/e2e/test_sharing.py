"""Per-audience sharing on the whole embedded stack (docs/sharing.md): for each audience
of a request with two products, and on each path (the services' answers the gateway's
queries read, a GraphQL query and a live subscription through the door, the CSV exports
through the door, a lesson's author view and a lessons feed, the insights views, the
gateway's insights queries and their CSV exports), nothing outside the declared policy
arrives. The checks are built from the policy itself (`outside_policy`,
`allowed`); a partner's webhooks are checked in tests/integration/partnerships."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest

from shared.auth import Role
from shared.runner import EmbeddedStack
from shared.sharing import Audience, RecordKind, Viewer, allowed, known, outside_policy
from shared.testing.waiting import eventually
from tests.e2e.conftest import Door

pytestmark = pytest.mark.e2e
# One stack with the other e2e modules that do not get in each other's way (conftest).
SHARED_STACK = "e2e"

OWN, OTHER = "ELECTORAL_ASSISTANCE", "MEDIATION_SUPPORT"
TWO_PRODUCTS = {
    "title": "Electoral calendar and a dialogue between the parties",
    "description": "The commission and the parties asked for support.",
    "products": [OWN, OTHER],
    "urgency": "PRIORITY",
    "details": {
        OWN: {"election_type": "presidential", "election_date": "2027-07-01"},
        OTHER: {
            "parties": ["Government", "Platform of 14 June"],
            "confidentiality": "confidential",
        },
    },
}
# Each audience of the request: its token's role and tenant.
AUDIENCES: dict[Audience, tuple[Role, dict[str, Any]]] = {
    Audience.owner_client: (Role.client, {"client": "MINUSMA"}),
    Audience.desk: (Role.desk_officer, {"desk": "AFRICA_II"}),
    Audience.provider: (Role.provider, {"products": [OWN]}),
    Audience.hq: (Role.hq_analyst, {}),
}
SUBMIT = "mutation($input: SubmitRequestInput!) { submitRequest(input: $input) { id } }"
SEEN = "details routings { productCode declineReason } approvals { id } satisfactionComment"
REQUEST = f"query($id: ID!) {{ request(id: $id) {{ version {SEEN} }} }}"
UPDATED = f"subscription($id: ID!) {{ requestUpdated(id: $id) {{ owner {SEEN} }} }}"
ASSIGN = """mutation($id: ID!, $v: Int!) {
  assignRequest(id: $id, expectedVersion: $v, owner: "amina") { owner } }"""


def service_urls(stack: EmbeddedStack) -> dict[str, str]:
    return {child.name: child.health_url.removesuffix("/readyz") for child in stack.children}


def viewer(audience: Audience) -> Viewer:
    return Viewer(audience, frozenset({OWN}) if audience is Audience.provider else frozenset())


async def test_no_field_outside_the_policy_reaches_an_audience_of_a_request(
    door: Door, stack: EmbeddedStack
) -> None:
    urls, base = service_urls(stack), door.url.removesuffix("/graphql")
    minusma = door.headers(Role.client, client="MINUSMA")
    submitted = await door.call(SUBMIT, minusma, input=TWO_PRODUCTS)
    assert "errors" not in submitted, submitted
    request_id = submitted["data"]["submitRequest"]["id"]

    async with httpx.AsyncClient(timeout=10) as http:

        async def both_engaged() -> bool:
            answer = await http.get(
                f"{urls['products']}/engagements", params={"request_id": request_id},
                headers=door.headers(Role.hq_analyst),
            )  # fmt: skip
            return len(answer.json()) == 2

        await eventually(both_engaged, timeout_s=20)
        for audience, (role, tenant) in AUDIENCES.items():
            headers, seen_as = door.headers(role, **tenant), viewer(audience)
            # What the gateway's queries and subscriptions read, straight from the services.
            request = await http.get(f"{urls['desks']}/requests/{request_id}", headers=headers)
            assert request.status_code == 200, (audience, request.text)
            assert outside_policy(seen_as, RecordKind.request, request.json()) == [], audience
            engagements = await http.get(
                f"{urls['products']}/engagements", params={"request_id": request_id},
                headers=headers,
            )  # fmt: skip
            for engagement in engagements.json():
                assert outside_policy(seen_as, RecordKind.engagement, engagement) == [], audience
            # The exports through the door: no column outside the policy, the request in.
            for path, kind in (
                ("desks/queue.csv", RecordKind.request),
                ("products/engagements.csv", RecordKind.engagement),
            ):
                export = await http.get(f"{base}/exports/{path}", headers=headers)
                rows = list(csv.reader(io.StringIO(export.text)))
                assert set(rows[0]) <= allowed(kind, audience), (audience, path)
                column = "request_id" if kind is RecordKind.engagement else "id"
                assert request_id in {row[rows[0].index(column)] for row in rows[1:]}, path
            expected = {OWN} if audience is Audience.provider else {OWN, OTHER}
            assert set(request.json()["details"]) == expected, audience
            assert {r["product_code"] for r in request.json()["routings"]} == expected, audience

    # Through the door: the provider's query, and its live subscription's pushes.
    provider = door.headers(Role.provider, products=[OWN])
    answer = (await door.call(REQUEST, provider, id=request_id))["data"]["request"]
    assert set(answer["details"]) == {OWN}
    assert [routing["productCode"] for routing in answer["routings"]] == [OWN]
    assert answer["approvals"] == [] and answer["satisfactionComment"] is None
    desk = door.headers(Role.desk_officer, desk="AFRICA_II")
    version = (await door.call(REQUEST, desk, id=request_id))["data"]["request"]["version"]
    token = provider["Authorization"]
    async with door.listening(token, UPDATED, {"id": request_id}) as pushes:
        assigned = await door.call(ASSIGN, desk, id=request_id, v=version)
        assert "errors" not in assigned, assigned
        pushed = (await pushes.next_data(timeout_s=20))["requestUpdated"]
    assert pushed["owner"] == "amina" and set(pushed["details"]) == {OWN}
    assert [routing["productCode"] for routing in pushed["routings"]] == [OWN]


CREATE = "mutation($input: LessonInput!) { createLesson(input: $input) { id version } }"
SUBMIT_LESSON = """mutation($id: ID!, $v: Int!) {
  submitLesson(id: $id, expectedVersion: $v) { version } }"""
SEND_BACK = """mutation($id: ID!, $v: Int!) {
  sendBackLesson(id: $id, expectedVersion: $v, comment: "Name the regions") { version } }"""
APPROVE = """mutation($id: ID!, $v: Int!) {
  approveLesson(id: $id, expectedVersion: $v) { version } }"""
SAVE_FILTER = """mutation($filter: LessonFilter) {
  saveLessonFilter(name: "Mali", filter: $filter) { feedUrl } }"""


async def test_a_lessons_author_reads_its_review_and_no_reader_or_feed_reads_more(
    door: Door, stack: EmbeddedStack
) -> None:
    urls = service_urls(stack)
    author = door.headers(Role.provider, products=[OWN])
    analyst = door.headers(Role.hq_analyst)
    lesson = {
        "title": "Sharing: a lesson reviewed before it was published",
        "summary": "Plan the calendar with the commission.",
        "themes": [OWN],
        "countries": ["MLI"],
        "sensitivity": "PUBLIC",
    }
    made = (await door.call(CREATE, author, input=lesson))["data"]["createLesson"]
    lesson_id, version = made["id"], made["version"]

    async def move(mutation: str, by: dict[str, str]) -> None:
        nonlocal version
        answer = await door.call(mutation, by, id=lesson_id, v=version)
        assert "errors" not in answer, answer
        (moved,) = answer["data"].values()
        version = moved["version"]

    await move(SUBMIT_LESSON, author)
    await move(SEND_BACK, analyst)
    async with httpx.AsyncClient(timeout=10) as http:
        sent_back = (
            await http.get(f"{urls['lessons']}/lessons/{lesson_id}", headers=author)
        ).json()
        assert sent_back["review_comment"] == "Name the regions"
        assert outside_policy(Viewer(Audience.author), RecordKind.lesson, sent_back) == []
        await move(SUBMIT_LESSON, author)
        await move(APPROVE, analyst)
        # A client reads it as a reader: by query, and through its saved filter's feed.
        client = door.headers(Role.client, client="MINUSMA")
        read = (await http.get(f"{urls['lessons']}/lessons/{lesson_id}", headers=client)).json()
        assert outside_policy(Viewer(Audience.reader), RecordKind.lesson, read) == []
        saved = await door.call(SAVE_FILTER, client, filter={"countries": ["MLI"]})
        feed_url = saved["data"]["saveLessonFilter"]["feedUrl"]
        token = feed_url.rsplit("/", 1)[-1]
        feed = (await http.get(f"{urls['lessons']}/feeds/{token}")).json()
        assert lesson_id in {entry["id"] for entry in feed["entries"]}
        for entry in feed["entries"]:
            assert outside_policy(Viewer(Audience.reader), RecordKind.lesson, entry) == []
        atom = await http.get(feed_url)
        assert atom.status_code == 200 and "Name the regions" not in atom.text


FIGURES = """query($filter: CoordinationFilter) {
  requestFigures(filter: $filter, first: 500) { items {
    requestId heldBy reroutings declines firstEngagementSeconds
    parties { partyKind party } breaches { heldBy } } }
  coordinationCosts(filter: $filter, by: PRODUCT) { key reroutings declines firstEngagementHours }
}"""
# The insights views as the gateway's queries read them, and the kind of their rows.
INSIGHTS_VIEWS: list[tuple[str, dict[str, str], RecordKind, str | None]] = [
    ("who-does-what", {"first": "500"}, RecordKind.who_does_what, "items"),
    ("who-does-what/countries", {}, RecordKind.country_summary, None),
    ("request-figures", {"first": "500"}, RecordKind.request_figures, "items"),
    ("sla-shares", {"by": "product"}, RecordKind.share_distribution, None),
    ("coordination-costs", {"by": "product"}, RecordKind.coordination_cost, None),
    ("demand-without-supply", {}, RecordKind.demand_without_supply, ""),
]


async def test_no_field_outside_the_policy_reaches_an_audience_of_the_insights(
    door: Door, stack: EmbeddedStack
) -> None:
    urls, base = service_urls(stack), door.url.removesuffix("/graphql")
    minusma = door.headers(Role.client, client="MINUSMA")
    submitted = await door.call(SUBMIT, minusma, input=TWO_PRODUCTS)
    assert "errors" not in submitted, submitted
    request_id = submitted["data"]["submitRequest"]["id"]
    mine = {"client_code": "MINUSMA"}

    async with httpx.AsyncClient(timeout=10) as http:

        async def both_providers_counted() -> bool:
            answer = await http.get(
                f"{urls['insights']}/request-figures", params={**mine, "first": "500"},
                headers=door.headers(Role.hq_analyst),
            )  # fmt: skip
            figures = [f for f in answer.json()["items"] if f["request_id"] == request_id]
            providers = {p["party"] for f in figures for p in f["parties"]}
            return {OWN, OTHER} <= providers

        await eventually(both_providers_counted, timeout_s=30)
        for audience, (role, tenant) in AUDIENCES.items():
            headers, seen_as = door.headers(role, **tenant), viewer(audience)
            for path, params, kind, where in INSIGHTS_VIEWS:
                answer = await http.get(
                    f"{urls['insights']}/{path}", params={**mine, **params}, headers=headers
                )
                assert answer.status_code == 200, (audience, path, answer.text)
                body = answer.json()
                rows = [body] if where == "" else body[where] if where else body
                for row in rows:
                    assert outside_policy(seen_as, kind, row) == [], (audience, path)
            # The exports through the door: a row per party it may know of, no more.
            export = await http.get(
                f"{base}/exports/insights/sla-time-per-party.csv", params=mine, headers=headers
            )
            assert export.status_code == 200, (audience, export.text)
            parties = {
                (row["Party type"], row["Party"])
                for row in csv.DictReader(io.StringIO(export.text))
                if row["Request"] == request_id
            }
            assert ("provider", OWN) in parties, audience
            assert (("provider", OTHER) in parties) is (audience is not Audience.provider)
            for party in parties:
                assert known(seen_as, *party), (audience, party)

    # Through the door: the provider's GraphQL figures of the request name its own
    # product's provider only, and no engagement outcome of the other product.
    provider = door.headers(Role.provider, products=[OWN])
    answer = await door.call(FIGURES, provider, filter={"clientCode": "MINUSMA"})
    assert "errors" not in answer, answer
    [figures] = [
        f for f in answer["data"]["requestFigures"]["items"] if f["requestId"] == request_id
    ]
    named = {(p["partyKind"].lower(), p["party"]) for p in figures["parties"]}
    assert ("provider", OWN) in named and ("provider", OTHER) not in named
    assert (figures["declines"], figures["reroutings"], figures["firstEngagementSeconds"]) == (
        None,
        None,
        None,
    )
    for cost in answer["data"]["coordinationCosts"]:
        assert (cost["reroutings"], cost["declines"], cost["firstEngagementHours"]) == (
            None,
            None,
            None,
        )
    analyst = await door.call(
        FIGURES, door.headers(Role.hq_analyst), filter={"clientCode": "MINUSMA"}
    )
    [whole] = [
        f for f in analyst["data"]["requestFigures"]["items"] if f["requestId"] == request_id
    ]
    assert {p["party"] for p in whole["parties"]} >= {OWN, OTHER}
    assert whole["declines"] is not None
