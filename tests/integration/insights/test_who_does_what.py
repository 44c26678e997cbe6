"""Who does what where (3W/4W), from the other services' events on the real broker:
the lines, the time window, each caller's part, the map summary and the HXL export."""

from __future__ import annotations

import csv
import io
from typing import Any

from shared.auth import Role
from tests.integration.insights.conftest import Insights, scenario
from tests.integration.insights.test_rebuild import VIEWS

EA, MS = "ELECTORAL_ASSISTANCE", "MEDIATION_SUPPORT"


def lines(page: dict[str, Any]) -> list[tuple[str, ...]]:
    return [
        (
            row["country"],
            row["party_kind"],
            row["org_name"],
            row["product_code"],
            row["client_code"],
            row["status"],
            row["since"][:10],
            str(row["requests"]),
        )
        for row in page["items"]
    ]


MALI = [
    ("MLI", "desk", "AFRICA_II", EA, "MINUSMA", "in_progress", "2026-01-10", "1"),
    ("MLI", "desk", "AFRICA_II", MS, "MINUSMA", "in_progress", "2026-01-10", "1"),
    ("MLI", "partner", "AU", EA, "MINUSMA", "active", "2026-01-15", "1"),
    ("MLI", "partner", "AU", MS, "MINUSMA", "active", "2026-01-15", "1"),
    (
        "MLI",
        "provider",
        "Electoral Assistance Division",
        EA,
        "MINUSMA",
        "accepted",
        "2026-01-11",
        "1",
    ),
    ("MLI", "provider", "Mediation Support Unit", MS, "MINUSMA", "declined", "2026-01-12", "1"),
]
SIERRA_LEONE = [
    ("SLE", "desk", "AFRICA_I", EA, "GOV_SIERRA_LEONE", "closed", "2026-03-05", "1"),
    (
        "SLE",
        "provider",
        "Electoral Assistance Division",
        EA,
        "GOV_SIERRA_LEONE",
        "delivered",
        "2026-03-06",
        "1",
    ),
]


async def test_hq_sees_every_organisation_engaged_per_country(insights: Insights) -> None:
    await insights.feed(*scenario())
    page = await insights.view("/who-does-what")
    assert lines(page) == MALI + SIERRA_LEONE
    assert page["total"] == 8 and not page["has_next_page"]
    second = await insights.view("/who-does-what", first=3, offset=3)
    assert lines(second) == (MALI + SIERRA_LEONE)[3:6] and second["has_next_page"]


async def test_the_time_window_keeps_what_was_active_in_it(insights: Insights) -> None:
    await insights.feed(*scenario())
    since_may = await insights.view("/who-does-what", start="2026-05-01T00:00:00Z")
    # What ended before May (the decline, the delivery, the closed request) is gone.
    assert lines(since_may) == [line for line in MALI if line[5] != "declined"]
    # The count of a window's lines (read from their spans of months) is the lines'.
    assert since_may["total"] == len(lines(since_may))
    until_february = await insights.view("/who-does-what", end="2026-02-28T00:00:00Z")
    assert lines(until_february) == MALI and until_february["total"] == len(MALI)
    page = await insights.view("/who-does-what", first=2, start="2026-05-01T00:00:00Z")
    assert page["total"] == since_may["total"] and page["has_next_page"]
    provider = insights.headers(Role.provider, products=[MS])
    in_march = {"start": "2026-03-01T00:00:00Z", "end": "2026-03-31T00:00:00Z"}
    theirs = await insights.view("/who-does-what", provider, **in_march)
    assert theirs["total"] == len(lines(theirs))
    refused = await insights.http.get(
        "/who-does-what",
        params={"start": "2026-05-01T00:00:00Z", "end": "2026-01-01T00:00:00Z"},
        headers=insights.as_hq(),
    )
    assert refused.status_code == 422


async def test_each_caller_sees_its_own_part_only(insights: Insights) -> None:
    await insights.feed(*scenario())
    view = insights.view
    client = insights.headers(Role.client, client="MINUSMA")
    assert lines(await view("/who-does-what", client)) == MALI
    provider = insights.headers(Role.provider, products=[MS])
    assert lines(await view("/who-does-what", provider)) == [MALI[1], MALI[3], MALI[5]]
    partner = insights.headers(Role.partner, partner="AU")
    assert lines(await view("/who-does-what", partner)) == MALI[2:4]
    stranger = insights.headers(Role.partner, partner="WB")
    assert lines(await view("/who-does-what", stranger)) == []
    desk = insights.headers(Role.desk_officer, desk="AFRICA_I")
    assert lines(await view("/who-does-what", desk)) == SIERRA_LEONE
    # A filter cannot widen the scope: the client asking for another client gets nothing.
    assert lines(await view("/who-does-what", client, client_code="GOV_SIERRA_LEONE")) == []
    summary = await view("/who-does-what/countries", client)
    assert [entry["country"] for entry in summary] == ["MLI"]


async def test_the_map_summary_counts_per_country(insights: Insights) -> None:
    await insights.feed(*scenario())
    assert await insights.view("/who-does-what/countries") == [
        {
            "country": "MLI",
            "region": "Africa",
            "engagements": 6,
            "open_engagements": 5,
            "organisations": 4,
            "products": 2,
        },
        {
            "country": "SLE",
            "region": "Africa",
            "engagements": 2,
            "open_engagements": 0,
            "organisations": 2,
            "products": 1,
        },
    ]


async def test_the_export_is_csv_with_hxl_hashtags_under_the_header(insights: Insights) -> None:
    await insights.feed(*scenario())
    response = await insights.http.get(
        "/exports/who-does-what.csv", params={"country": "MLI"}, headers=insights.as_hq()
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0][:3] == ["Country code", "Region", "Organisation"]
    assert rows[1] == [
        "#country+code",
        "#region+name",
        "#org+name",
        "#org+type",
        "#org+code",
        "#sector+code",
        "#activity+type",
        "#org+client+code",
        "#date+start",
        "#status",
        "#meta+count",
    ]
    # Streamed two rows a chunk (the fixture's export_chunk_rows), all six arrive in order.
    assert [
        (row[0], row[3], row[2], row[5], row[7], row[9], row[8], row[10]) for row in rows[2:]
    ] == [(c, k, o, p, cl, s, d, n) for c, k, o, p, cl, s, d, n in MALI]
    client = insights.headers(Role.client, client="GOV_SIERRA_LEONE")
    theirs = await insights.http.get("/exports/who-does-what.csv", headers=client)
    assert [row[0] for row in csv.reader(io.StringIO(theirs.text))][2:] == ["SLE", "SLE"]


async def test_every_event_applied_twice_changes_no_figure(insights: Insights) -> None:
    """Beyond the inbox (which stops a redelivered id): the same facts sent again under
    new ids, as a producer re-publishing would, leave every figure of every view as it
    was."""
    await insights.feed(*scenario())
    before = [await insights.view(path, **params) for path, params in VIEWS]
    await insights.feed(*scenario())
    assert [await insights.view(path, **params) for path, params in VIEWS] == before
