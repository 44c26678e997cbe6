"""SLA time per party, the cost of coordination and demand without supply, from the
other services' events on the real broker (tests/integration/insights/conftest.py's
scenario), on SQLite and PostgreSQL: each view, each caller's part, the exports.

The views only read, so the module shares one service per database, fed once."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from services.insights.app import DEFINITION, create_app
from shared.auth import Principal, Role
from shared.clock import ManualClock
from shared.settings import PlatformSettings
from shared.sharing import REACHES, RecordKind, allowed, known, outside_policy, viewer_of
from shared.testing.databases import Databases, DatabaseTemplates
from shared.testing.services import running_service
from tests.integration.insights.conftest import (
    NOW,
    R1,
    R2,
    Insights,
    insights_settings,
    scenario,
)

EA, MS = "ELECTORAL_ASSISTANCE", "MEDIATION_SUPPORT"
HOUR = 3600


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
async def fed(
    request: pytest.FixtureRequest,
    keys_dir: Path,
    broker: Any,
    database_templates: DatabaseTemplates,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Insights]:
    server = request.getfixturevalue("postgres") if request.param == "postgresql" else None
    databases = Databases(
        request.param, tmp_path_factory.mktemp("coordination"), server, database_templates
    )
    platform = PlatformSettings(
        var_dir=keys_dir,
        kafka_bootstrap_servers=broker.bootstrap_servers,
        kafka_namespace=f"t{uuid.uuid4().hex[:10]}",
    )
    settings = insights_settings(platform, await databases.migrated(DEFINITION))
    try:
        async with running_service(
            DEFINITION,
            create_app,
            settings,
            ManualClock(NOW),
            harness=Insights,
            prepare_database=False,
        ) as insights:
            await insights.feed(*scenario())
            yield insights
    finally:
        await databases.drop_all()


def parties(figures: dict[str, Any]) -> dict[str, tuple[int, int, int]]:
    """kind:party -> (hours, share, breaches)."""
    return {
        f"{p['party_kind']}:{p['party']}": (p["seconds"] // HOUR, p["share_pct"], p["breaches"])
        for p in figures["parties"]
    }


async def test_sla_time_per_party_of_each_request(fed: Insights) -> None:
    page = await fed.view("/request-figures")
    assert page["total"] == 2 and [r["request_id"] for r in page["items"]] == [R2, R1]
    sierra_leone, mali = page["items"]
    # R1: the desk 24 h (submitted, triaged), the electoral provider since its acceptance
    # until the newest event (the AU's assessment turned active on 16 January); the
    # mediation decline took no time; the assessment ran beside the provider's work.
    assert parties(mali) == {
        "client:MINUSMA": (0, 0, 0),
        "desk:AFRICA_II": (24, 17, 0),
        f"provider:{EA}": (120, 83, 1),
        f"provider:{MS}": (0, 0, 0),
        "partner:AU": (0, 0, 0),
    }
    assert mali["measured_seconds"] == 144 * HOUR and mali["held_by"] == [f"provider:{EA}"]
    assert mali["breaches"] == [
        {"clock": "deliver", "breached_at": "2026-01-13T09:00:00Z", "held_by": [f"provider:{EA}"]}
    ]
    assert mali["parties"][2]["org_name"] == "Electoral Assistance Division"
    # R2: the desk until the engagement opened, the provider until delivery, the client
    # until it closed the request.
    assert parties(sierra_leone) == {
        "client:GOV_SIERRA_LEONE": (456, 41, 0),
        "desk:AFRICA_I": (24, 2, 0),
        f"provider:{EA}": (624, 57, 0),
    }
    assert sierra_leone["held_by"] == [] and sierra_leone["status"] == "closed"
    assert (mali["route"], sierra_leone["route"]) == ("triage", "intake")
    costs = [
        (r["hand_offs"], r["parties_involved"], r["reroutings"], r["declines"])
        for r in (mali, sierra_leone)
    ]
    assert costs == [(1, 5, 0, 1), (2, 3, 0, 0)]
    assert (mali["first_engagement_seconds"], sierra_leone["first_engagement_seconds"]) == (
        24 * HOUR,
        48 * HOUR,
    )
    assessed = mali["joint_assessment_seconds"], sierra_leone["joint_assessment_seconds"]
    assert assessed == (24 * HOUR, 0)
    only_intake = await fed.view("/request-figures", route="intake", country="SLE")
    assert [r["request_id"] for r in only_intake["items"]] == [R2]


def shares(rows: list[dict[str, Any]]) -> dict[tuple[str, str], tuple[int, int, int]]:
    return {
        (r["key"], r["party_kind"]): (r["requests"], r["median_share_pct"], r["p90_share_pct"])
        for r in rows
    }


async def test_each_partys_share_per_desk_and_per_product(fed: Insights) -> None:
    by_desk = await fed.view("/sla-shares", by="desk")
    assert shares(by_desk) == {
        ("AFRICA_I", "client"): (1, 41, 41),
        ("AFRICA_I", "desk"): (1, 2, 2),
        ("AFRICA_I", "provider"): (1, 57, 57),
        ("AFRICA_I", "partner"): (1, 0, 0),
        ("AFRICA_II", "client"): (1, 0, 0),
        ("AFRICA_II", "desk"): (1, 17, 17),
        ("AFRICA_II", "provider"): (1, 83, 83),
        ("AFRICA_II", "partner"): (1, 0, 0),
    }
    breaches = {(r["key"], r["party_kind"]): r["breaches"] for r in by_desk}
    assert breaches[("AFRICA_II", "provider")] == 1 and sum(breaches.values()) == 1
    by_product = shares(await fed.view("/sla-shares", by="product"))
    # Electoral assistance: both requests (median the lower, 90th percentile the higher).
    assert by_product[(EA, "client")] == (2, 0, 41)
    assert by_product[(EA, "desk")] == (2, 2, 17)
    assert by_product[(EA, "provider")] == (2, 57, 83)
    assert by_product[(MS, "provider")] == (1, 83, 83)
    refused = await fed.http.get("/sla-shares", params={"by": "month"}, headers=fed.as_hq())
    assert refused.status_code == 422


def cost(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (
            r["key"],
            r["route"],
            r["requests"],
            r["hand_offs"],
            r["parties_involved"],
            r["reroutings"],
            r["declines"],
            r["first_engagement_hours"],
            r["joint_assessment_hours"],
        )
        for r in rows
    ]


async def test_the_cost_of_coordination_per_month_desk_product_and_country(
    fed: Insights,
) -> None:
    trend = await fed.view("/coordination-costs", by="month")
    assert cost(trend) == [
        ("2026-01", "triage", 1, 1.0, 5.0, 0, 1, 24.0, 24.0),
        ("2026-03", "intake", 1, 2.0, 3.0, 0, 0, 48.0, None),
    ]
    per_product = cost(await fed.view("/coordination-costs", by="product"))
    assert [(row[0], row[1], row[2]) for row in per_product] == [
        (EA, "intake", 1),
        (EA, "triage", 1),
        (MS, "triage", 1),
    ]
    per_country = cost(await fed.view("/coordination-costs", by="country"))
    assert [row[:3] for row in per_country] == [("MLI", "triage", 1), ("SLE", "intake", 1)]
    per_desk = cost(await fed.view("/coordination-costs", by="desk", start="2026-02-01T00:00:00Z"))
    assert [row[:3] for row in per_desk] == [("AFRICA_I", "intake", 1)]


async def test_demand_without_supply_beside_utilisation_and_capacity(fed: Insights) -> None:
    view = await fed.view("/demand-without-supply")
    assert view["unmet"] == [
        {
            "month": "2026-01",
            "product_code": MS,
            "region": "Africa",
            "reason_code": "capacity",
            "requests": 1,
        }
    ]
    load = [
        (
            r["product_code"],
            r["month"],
            r["requested"],
            r["accepted"],
            r["declined"],
            r["in_hand"],
            r["capacity"],
            r["utilisation"],
            r["unmet"],
        )
        for r in view["load"]
    ]
    assert load == [
        (EA, "2026-01", 1, 1, 0, 1, 5, 0.2, 0),
        (EA, "2026-02", 0, 0, 0, 1, 5, 0.2, 0),
        (EA, "2026-03", 1, 1, 0, 2, 5, 0.4, 0),
        (EA, "2026-04", 0, 0, 0, 1, 5, 0.2, 0),
        (MS, "2026-01", 1, 0, 1, 0, 5, 0.0, 1),
    ]
    assert (view["unmet_total"], view["has_next_page"]) == (1, False)
    # A page of the rows past them: none, the total and the supply beside it the same.
    past = await fed.view("/demand-without-supply", first=1, offset=1)
    assert (past["unmet"], past["unmet_total"], past["has_next_page"]) == ([], 1, False)
    assert past["load"] == view["load"]
    # The window keeps its months, the engagements in hand still counted from the start.
    march = await fed.view("/demand-without-supply", start="2026-03-01T00:00:00Z")
    assert [(r["month"], r["in_hand"]) for r in march["load"]] == [("2026-03", 2), ("2026-04", 1)]
    assert march["unmet"] == []


async def test_each_caller_sees_its_own_part_of_every_view(fed: Insights) -> None:
    async def ids(headers: dict[str, str], **params: Any) -> list[str]:
        page = await fed.view("/request-figures", headers, **params)
        # The total is read from the cost aggregate: the same requests as the list's.
        assert page["total"] == len(page["items"]) and not page["has_next_page"]
        return [r["request_id"] for r in page["items"]]

    minusma = fed.headers(Role.client, client="MINUSMA")
    mediation = fed.headers(Role.provider, products=[MS])
    au, wb = fed.headers(Role.partner, partner="AU"), fed.headers(Role.partner, partner="WB")
    africa_i = fed.headers(Role.desk_officer, desk="AFRICA_I")
    assert await ids(minusma) == [R1]
    assert await ids(minusma, client_code="GOV_SIERRA_LEONE") == []  # a filter cannot widen
    assert await ids(mediation) == [R1]
    assert await ids(au) == [R1] and await ids(wb) == []
    assert await ids(africa_i) == [R2]

    trend = await fed.view("/coordination-costs", minusma, by="month")
    assert [(r["key"], r["requests"]) for r in trend] == [("2026-01", 1)]
    assert [r["key"] for r in await fed.view("/coordination-costs", au, by="desk")] == ["AFRICA_II"]
    assert await fed.view("/coordination-costs", wb, by="desk") == []
    # A provider's figures count each request once per product of its own; the
    # engagements' outcomes on every product are not its reading (docs/sharing.md).
    assert cost(await fed.view("/coordination-costs", mediation, by="country")) == [
        ("MLI", "triage", 1, 1.0, 5.0, None, None, None, 24.0)
    ]
    assert {r["key"] for r in await fed.view("/sla-shares", mediation, by="product")} == {MS}
    partner_shares = shares(await fed.view("/sla-shares", au, by="product"))
    assert partner_shares[(EA, "provider")] == (1, 83, 83)
    assert {key for key, _ in partner_shares} == {EA, MS}
    assert {r["key"] for r in await fed.view("/sla-shares", africa_i)} == {"AFRICA_I"}

    # Unmet demand: the client's own, the provider's products'; supply for providers,
    # desks and HQ only; a partner has no assessment in it.
    theirs = await fed.view("/demand-without-supply", minusma)
    assert len(theirs["unmet"]) == 1 and theirs["load"] == []
    sierra_leone = await fed.view(
        "/demand-without-supply", fed.headers(Role.client, client="GOV_SIERRA_LEONE")
    )
    assert sierra_leone == {"unmet": [], "load": [], "unmet_total": 0, "has_next_page": False}
    provider_view = await fed.view("/demand-without-supply", mediation)
    assert {r["product_code"] for r in provider_view["load"]} == {MS}
    assert await fed.view("/demand-without-supply", au) == {
        "unmet": [],
        "load": [],
        "unmet_total": 0,
        "has_next_page": False,
    }
    assert (await fed.view("/demand-without-supply", africa_i))["unmet"] == []


async def test_the_exports_stream_each_callers_rows(fed: Insights) -> None:
    async def rows(name: str, headers: dict[str, str] | None = None) -> list[list[str]]:
        response = await fed.http.get(f"/exports/{name}.csv", headers=headers or fed.as_hq())
        assert response.status_code == 200 and response.headers["content-type"].startswith(
            "text/csv"
        )
        return list(csv.reader(io.StringIO(response.text)))

    per_party = await rows("sla-time-per-party")
    assert per_party[0][:2] == ["Request", "Desk"] and per_party[0][-3:] == [
        "Seconds",
        "Share (%)",
        "Breaches",
    ]
    # Oldest request first, a row per party (two requests a chunk in this fixture).
    assert [(r[0], r[8], r[9], r[11], r[12]) for r in per_party[1:]] == [
        (R1, "client", "MINUSMA", "0", "0"),
        (R1, "desk", "AFRICA_II", str(24 * HOUR), "17"),
        (R1, "provider", EA, str(120 * HOUR), "83"),
        (R1, "provider", MS, "0", "0"),
        (R1, "partner", "AU", "0", "0"),
        (R2, "client", "GOV_SIERRA_LEONE", str(456 * HOUR), "41"),
        (R2, "desk", "AFRICA_I", str(24 * HOUR), "2"),
        (R2, "provider", EA, str(624 * HOUR), "57"),
    ]
    costs = await rows("coordination-cost")
    assert [(r[0], r[5], r[8], r[11], r[14]) for r in costs[1:]] == [
        (R1, "triage", "1", "1", f"deliver@provider:{EA}"),
        (R2, "intake", "2", "0", ""),
    ]
    client = fed.headers(Role.client, client="GOV_SIERRA_LEONE")
    assert [r[0] for r in (await rows("coordination-cost", client))[1:]] == [R2]
    demand = await rows("demand-without-supply")
    assert demand[1] == ["2026-01", MS, "Africa", "capacity", "1", "5", "1", "0", "1", "0", "0.0"]
    assert len(await rows("demand-without-supply", client)) == 1  # the header only


# Each caller of the views, as its token names it, and its audience (docs/sharing.md).
CALLERS: dict[str, tuple[Role, dict[str, Any]]] = {
    "client": (Role.client, {"client": "MINUSMA"}),
    "desk": (Role.desk_officer, {"desk": "AFRICA_II"}),
    "electoral provider": (Role.provider, {"products": [EA]}),
    "mediation provider": (Role.provider, {"products": [MS]}),
    "partner": (Role.partner, {"partner": "AU"}),
    "hq": (Role.hq_analyst, {}),
}
# Each view's path and parameters, the record kind of its rows, and where they are.
VIEWS: list[tuple[str, dict[str, str], RecordKind, str | None]] = [
    ("/who-does-what", {}, RecordKind.who_does_what, "items"),
    ("/who-does-what", {"start": "2026-01-01T00:00:00Z"}, RecordKind.who_does_what, "items"),
    ("/who-does-what/countries", {}, RecordKind.country_summary, None),
    ("/request-figures", {}, RecordKind.request_figures, "items"),
    ("/sla-shares", {"by": "desk"}, RecordKind.share_distribution, None),
    ("/sla-shares", {"by": "product"}, RecordKind.share_distribution, None),
    *[
        ("/coordination-costs", {"by": by}, RecordKind.coordination_cost, None)
        for by in ("desk", "product", "country", "month")
    ],
    ("/demand-without-supply", {}, RecordKind.demand_without_supply, ""),
]


SUPPLY_COLUMNS = ("Capacity", "Routed to it", "Accepted", "Declined", "In hand at month end")


def principal_of(role: Role, tenant: dict[str, Any]) -> Principal:
    return Principal("someone", role, **{**tenant, "products": tuple(tenant.get("products", ()))})


async def test_no_field_outside_the_policy_reaches_any_caller_on_any_view_or_export(
    fed: Insights,
) -> None:
    async def csv_rows(name: str, headers: dict[str, str]) -> list[dict[str, str]]:
        response = await fed.http.get(f"/exports/{name}.csv", headers=headers)
        assert response.status_code == 200, response.text
        return list(csv.DictReader(io.StringIO(response.text)))

    for caller, (role, tenant) in CALLERS.items():
        headers, viewer = fed.headers(role, **tenant), viewer_of(principal_of(role, tenant))
        for path, params, kind, where in VIEWS:
            answer = await fed.view(path, headers, **params)
            rows = [answer] if where == "" else answer[where] if where else answer
            for row in rows:
                assert outside_policy(viewer, kind, row) == [], (caller, path, params)

        # The exports: a party the caller may not know of has no row, a hidden figure
        # is a blank cell, whatever the view's JSON would have said.
        for row in await csv_rows("sla-time-per-party", headers):
            assert known(viewer, row["Party type"], row["Party"]), (caller, row)
        outcomes = {"reroutings", "declines"} <= allowed(
            RecordKind.request_figures, viewer.audience
        )
        for row in await csv_rows("coordination-cost", headers):
            figures = (row["Re-routings"], row["Declines"], row["Seconds to first engagement"])
            assert outcomes or figures == ("", "", ""), (caller, row)
            # clock@holder;holder;clock@holder...: every holder named is one it knows of.
            for token in filter(None, row["Breaches"].split(";")):
                holder = token.partition("@")[2] if "@" in token else token
                assert not holder or known(viewer, *holder.split(":", 1)), (caller, row)
        supply = viewer.audience in REACHES[RecordKind.product_load]
        for row in await csv_rows("demand-without-supply", headers):
            assert supply or {row[name] for name in SUPPLY_COLUMNS} == {""}, (caller, row)


async def test_a_provider_and_a_partner_read_only_their_part_of_a_requests_figures(
    fed: Insights,
) -> None:
    async def r1(headers: dict[str, str]) -> dict[str, Any]:
        [figures] = (await fed.view("/request-figures", headers))["items"]
        assert figures["request_id"] == R1
        return figures

    mediation = await r1(fed.headers(Role.provider, products=[MS]))
    # The electoral provider's 120 hours and its breach are not the mediation unit's
    # reading, nor how the engagements went on the other product.
    assert list(parties(mediation)) == [
        "client:MINUSMA",
        "desk:AFRICA_II",
        f"provider:{MS}",
        "partner:AU",
    ]
    assert mediation["held_by"] == [] and mediation["breaches"][0]["held_by"] == []
    assert (mediation["declines"], mediation["reroutings"]) == (None, None)
    assert mediation["first_engagement_seconds"] is None
    au = await r1(fed.headers(Role.partner, partner="AU"))
    assert list(parties(au)) == ["client:MINUSMA", "desk:AFRICA_II", "partner:AU"]
    client = await r1(fed.headers(Role.client, client="MINUSMA"))
    assert client["held_by"] == [f"provider:{EA}"] and client["declines"] == 1
    assert len(client["parties"]) == 5
    rows = await fed.http.get(
        "/exports/sla-time-per-party.csv", headers=fed.headers(Role.partner, partner="AU")
    )
    assert [row[8:10] for row in csv.reader(io.StringIO(rows.text))][1:] == [
        ["client", "MINUSMA"],
        ["desk", "AFRICA_II"],
        ["partner", "AU"],
    ]
