"""The Mali case: two UN presences in one country ask for the same thing without
knowing it; both desks see the flagged link, each client only that an overlap exists."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from services.desks.models import ServiceRequest
from services.desks.store import OVERLAP_CANDIDATES, overlap_candidate_parameters
from shared.db import is_sqlite
from tests.integration.desks.conftest import ELECTORAL, DesksUnderTest

MISSION_ASK = {
    "title": "Support to the 2027 presidential elections",
    "description": "Needs assessment of the electoral commission and voter registration.",
    "products": ["ELECTORAL_ASSISTANCE"],
    "details": ELECTORAL,
}
COUNTRY_TEAM_ASK = {
    "title": "Needs assessment before the presidential election",
    "description": "Voter registration support for the electoral commission.",
    "products": ["ELECTORAL_ASSISTANCE", "HUMAN_RIGHTS"],
    "details": ELECTORAL,
}


async def test_similar_open_requests_of_one_country_are_linked_on_both_sides(
    desks: DesksUnderTest,
) -> None:
    minusma = await desks.submit(desks.client("MINUSMA"), **MISSION_ASK)
    assert minusma["overlap_count"] == 0
    unct = await desks.submit(desks.client("UNCT_MALI"), **COUNTRY_TEAM_ASK)
    assert unct["overlap_count"] == 1
    elsewhere = await desks.submit(desks.client("UNMISS"), **MISSION_ASK)  # South Sudan
    assert elsewhere["overlap_count"] == 0
    assert (await desks.get(minusma["id"]))["overlap_count"] == 1

    flagged = await desks.outbox("onedoor.request.overlap-flagged.v1")
    assert sorted((e["request_id"], e["other_request_id"]) for e in flagged) == sorted(
        [(unct["id"], minusma["id"]), (minusma["id"], unct["id"])]
    )
    assert {tuple(e["shared_products"]) for e in flagged} == {("ELECTORAL_ASSISTANCE",)}

    officer = desks.officer("AFRICA_II")
    links = (
        await desks.http.get(
            "/overlaps", params={"request_id": [minusma["id"], unct["id"]]}, headers=officer
        )
    ).json()
    assert {(link["request_id"], link["other_request_id"]) for link in links} == {
        (minusma["id"], unct["id"]),
        (unct["id"], minusma["id"]),
    }
    assert {link["other_title"] for link in links} == {
        MISSION_ASK["title"],
        COUNTRY_TEAM_ASK["title"],
    }
    overlapping = await desks.http.get("/requests", params={"overlapping": "true"}, headers=officer)
    assert {edge["node"]["id"] for edge in overlapping.json()["edges"]} == {
        minusma["id"],
        unct["id"],
    }

    # The client learns that an overlap exists and on what, never whose or what it says.
    seen = (
        await desks.http.get(
            "/overlaps",
            params={"request_id": [minusma["id"], unct["id"]]},
            headers=desks.client("MINUSMA"),
        )
    ).json()
    assert len(seen) == 1
    assert seen[0]["request_id"] == minusma["id"]
    assert seen[0]["shared_products"] == ["ELECTORAL_ASSISTANCE"]
    hidden = ("other_request_id", "other_title", "other_client_code", "other_desk_code")
    assert all(seen[0][field] is None for field in hidden)
    timeline = await desks.timeline(minusma["id"], desks.client("MINUSMA"))
    assert "another open request in MLI" in timeline[-1]["summary"]
    assert unct["id"] not in timeline[-1]["summary"] and "UNCT" not in timeline[-1]["summary"]


async def test_a_triaged_request_is_compared_again_once_it_has_products(
    desks: DesksUnderTest,
) -> None:
    first = await desks.submit(desks.client("MINUSMA"), **MISSION_ASK)
    vague = await desks.submit(
        desks.client("GOV_GUINEA"), title="Voter registration and the presidential elections"
    )
    assert vague["overlap_count"] == 0  # another country (Guinea)
    untriaged = await desks.submit(
        desks.client("UNCT_MALI"), title="Voter registration before the elections in Mali"
    )
    assert untriaged["overlap_count"] == 0  # no products, text not close enough alone
    routed = await desks.act(
        untriaged["id"],
        "route",
        desks.officer("AFRICA_II"),
        products=["ELECTORAL_ASSISTANCE"],
        details=ELECTORAL,
    )
    assert routed.json()["overlap_count"] == 1
    assert (await desks.get(first["id"]))["overlap_count"] == 1


async def test_closed_or_withdrawn_requests_are_not_compared(desks: DesksUnderTest) -> None:
    client = desks.client("MINUSMA")
    old = await desks.submit(client, **MISSION_ASK)
    assert (await desks.act(old["id"], "withdraw", client)).status_code == 200
    new = await desks.submit(desks.client("UNCT_MALI"), **COUNTRY_TEAM_ASK)
    assert new["overlap_count"] == 0


async def test_a_burst_of_identical_requests_links_each_to_a_few_only(
    desks: DesksUnderTest,
) -> None:
    client = desks.client("MINUSMA")
    created = [(await desks.submit(client, **MISSION_ASK))["id"] for _ in range(6)]
    counts = [(await desks.get(request_id))["overlap_count"] for request_id in created]
    # each new request links to at most 3 earlier ones (overlap_max_links)
    assert sum(counts) == 2 * (0 + 1 + 2 + 3 + 3 + 3)
    assert max(counts[-3:]) <= 6
    assert len(await desks.outbox("onedoor.request.overlap-flagged.v1")) == sum(counts)


async def test_overlap_candidates_are_read_newest_first_from_an_index(
    desks: DesksUnderTest,
) -> None:
    """Intake's cost must not grow with the stored requests: the candidates come from
    the (country, created_at) index, newest first, with no sort of every open request.
    (SQLite's plan is fixed by the schema; PostgreSQL's depends on table statistics.)"""
    if not is_sqlite(desks.settings.resolved_database_url):
        pytest.skip("PostgreSQL chooses its plan from statistics, not from the schema alone")
    stored = await desks.submit(desks.client("MINUSMA"), **MISSION_ASK)
    async with desks.sessions() as session, session.begin():
        request = await session.scalar(
            select(ServiceRequest).where(ServiceRequest.id == stored["id"])
        )
        assert request is not None
        parameters = overlap_candidate_parameters(request, max_candidates=100)
        statement = OVERLAP_CANDIDATES.params(parameters).compile(
            session.bind, compile_kwargs={"literal_binds": True}
        )
        plan = " ".join(
            str(row[-1]) for row in await session.execute(text(f"EXPLAIN QUERY PLAN {statement}"))
        )
    assert "ix_service_request_country_created_at" in plan, plan
    assert "TEMP B-TREE" not in plan, plan
