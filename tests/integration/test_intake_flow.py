"""A request through desks and products over the real broker, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from services.desks.models import ServiceRequest, TimelineEntry
from services.products.models import Engagement
from shared.auth import Role
from shared.messaging import OutboxMessage
from shared.testing.tokens import bearer
from shared.testing.waiting import eventually
from tests.integration.conftest import DesksAndProducts

ELECTORAL = {
    "ELECTORAL_ASSISTANCE": {"election_type": "presidential", "election_date": "2027-07-01"}
}


def electoral_request(**changes: Any) -> dict[str, Any]:
    body = {
        "title": "Support to the 2027 presidential election",
        "description": "The electoral commission asks for a needs assessment.",
        "products": ["ELECTORAL_ASSISTANCE"],
        "urgency": "priority",
        "details": ELECTORAL,
    }
    return {**body, **changes}


async def submit(stack: DesksAndProducts, body: dict[str, Any], client: str = "MINUSMA") -> Any:
    headers = bearer(stack.platform, Role.client, client=client)
    return await stack.desks.http.post("/requests", json=body, headers=headers)


async def until_status(
    stack: DesksAndProducts, request_id: str, status: str, client: str = "MINUSMA"
) -> Any:
    headers = bearer(stack.platform, Role.client, client=client)

    async def probe() -> Any:
        data = (await stack.desks.http.get(f"/requests/{request_id}", headers=headers)).json()
        return data if data["status"] == status else None

    return await eventually(probe)


async def count(service: Any, model: Any) -> int:
    async with service.sessions() as session, session.begin():
        return int(await session.scalar(select(func.count()).select_from(model)))


async def test_a_named_product_is_routed_accepted_and_in_progress(stack: DesksAndProducts) -> None:
    response = await submit(stack, electoral_request())
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["desk_code"] == "AFRICA_II"
    assert created["status"] == "routed"

    request = await until_status(stack, created["id"], "in_progress")
    assert [routing["status"] for routing in request["routings"]] == ["accepted"]

    headers = bearer(stack.platform, Role.client, client="MINUSMA")
    timeline = (
        await stack.desks.http.get(f"/requests/{created['id']}/timeline", headers=headers)
    ).json()
    assert [entry["event_type"] for entry in timeline] == [
        "onedoor.request.submitted.v1",
        "onedoor.request.status-changed.v1",
        "onedoor.request.status-changed.v1",
        "onedoor.request.routed.v1",
        "onedoor.engagement.accepted.v1",
        "onedoor.request.status-changed.v1",
    ]
    assert timeline[0]["actor"] == "client:MINUSMA:dev-client"
    assert timeline[4]["actor"] == "products:auto-accept"

    engagements = (
        await stack.products.http.get(
            "/engagements", params={"request_id": created["id"]}, headers=headers
        )
    ).json()
    assert [(e["product_code"], e["status"]) for e in engagements] == [
        ("ELECTORAL_ASSISTANCE", "accepted")
    ]


async def test_a_host_country_without_un_presence_is_served_by_its_desk(
    stack: DesksAndProducts,
) -> None:
    response = await submit(stack, electoral_request(), client="GOV_GUINEA")
    assert response.status_code == 201, response.text
    assert response.json()["desk_code"] == "AFRICA_II"
    await until_status(stack, response.json()["id"], "in_progress", client="GOV_GUINEA")


async def test_a_request_without_products_waits_for_triage(stack: DesksAndProducts) -> None:
    response = await submit(stack, electoral_request(products=[], details={}), client="UNMISS")
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "submitted"
    assert response.json()["desk_code"] == "AFRICA_I"
    assert response.json()["routings"] == []


async def test_bad_input_is_refused_with_a_code_and_stores_nothing(stack: DesksAndProducts) -> None:
    cases = {
        "UNKNOWN_PRODUCT": electoral_request(products=["TIME_TRAVEL"], details={}),
        "BAD_USER_INPUT": electoral_request(title="   "),
        "INVALID_DETAILS": electoral_request(
            details={"ELECTORAL_ASSISTANCE": {"election_type": "coronation"}}
        ),
    }
    for code, body in cases.items():
        response = await submit(stack, body)
        assert response.status_code == 422, (code, response.text)
        assert response.json()["detail"]["code"] == code
    oversize = await submit(stack, electoral_request(description="x" * 50_001))
    assert oversize.status_code == 422
    malformed = await submit(
        stack, electoral_request(details={"ELECTORAL_ASSISTANCE": "presidential"})
    )
    assert malformed.status_code == 422
    assert malformed.json()["detail"]["code"] == "BAD_USER_INPUT"
    stray = await submit(stack, electoral_request(details={**ELECTORAL, "MEDIATION_SUPPORT": {}}))
    assert stray.json()["detail"]["code"] == "INVALID_DETAILS"

    assert await count(stack.desks, ServiceRequest) == 0
    assert await count(stack.desks, TimelineEntry) == 0
    assert await count(stack.desks, OutboxMessage) == 0


async def test_tokens_are_required_and_verified(stack: DesksAndProducts) -> None:
    assert (await stack.desks.http.post("/requests", json=electoral_request())).status_code == 401
    forged = {"Authorization": "Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"}
    response = await stack.desks.http.get("/requests", headers=forged)
    assert response.status_code == 401
    assert response.json()["detail"]["code"] == "UNAUTHENTICATED"
    assert (await stack.products.http.get("/products")).status_code == 401
    assert (await stack.desks.http.get("/healthz")).status_code == 200


async def test_tenants_see_only_their_own_requests(stack: DesksAndProducts) -> None:
    mine = (await submit(stack, electoral_request(), client="MINUSMA")).json()
    theirs = (await submit(stack, electoral_request(), client="UNMISS")).json()
    minusma = bearer(stack.platform, Role.client, client="MINUSMA")

    hidden = await stack.desks.http.get(f"/requests/{theirs['id']}", headers=minusma)
    assert hidden.status_code == 404
    assert hidden.json()["detail"]["code"] == "REQUEST_NOT_FOUND"
    listed = (await stack.desks.http.get("/requests", headers=minusma)).json()
    assert [edge["node"]["id"] for edge in listed["edges"]] == [mine["id"]]
    timelines = await stack.desks.http.get(
        "/timelines", params={"request_id": [theirs["id"]]}, headers=minusma
    )
    assert timelines.json() == []

    africa_i = bearer(stack.platform, Role.desk_officer, desk="AFRICA_I")
    desk_view = (await stack.desks.http.get("/requests", headers=africa_i)).json()
    assert [edge["node"]["id"] for edge in desk_view["edges"]] == [theirs["id"]]

    impersonation = await submit(stack, electoral_request(client_code="UNMISS"), client="MINUSMA")
    assert impersonation.status_code == 403

    await until_status(stack, theirs["id"], "in_progress", client="UNMISS")
    engagements = await stack.products.http.get(
        "/engagements", params={"request_id": [theirs["id"]]}, headers=minusma
    )
    assert engagements.json() == []
    provider = bearer(stack.platform, Role.provider, products=["MEDIATION_SUPPORT"])
    assert (await stack.products.http.get("/engagements", headers=provider)).json() == []


async def test_my_requests_pages_newest_first(stack: DesksAndProducts) -> None:
    ids = [
        (await submit(stack, electoral_request(title=f"Request {n}"))).json()["id"]
        for n in range(5)
    ]
    headers = bearer(stack.platform, Role.client, client="MINUSMA")
    seen: list[str] = []
    after = None
    for _ in range(5):
        params = {"first": 2, **({"after": after} if after else {})}
        page = (await stack.desks.http.get("/requests", params=params, headers=headers)).json()
        seen += [edge["node"]["id"] for edge in page["edges"]]
        after = page["end_cursor"]
        if not page["has_next_page"]:
            break
    assert seen == list(reversed(ids))


async def test_seeding_twice_changes_nothing(stack: DesksAndProducts) -> None:
    from services.products.app import DEFINITION as PRODUCTS
    from shared.manage import seed

    before = await count(stack.products, OutboxMessage)
    await seed(PRODUCTS, stack.products.settings)
    assert await count(stack.products, OutboxMessage) == before
    assert await count(stack.products, Engagement) == 0
