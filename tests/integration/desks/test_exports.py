"""CSV exports of the desks through the gateway's download route, on the real broker,
SQLite and PostgreSQL: the caller's visibility and the queue's filters, cells a
spreadsheet would run as formulas escaped, refusals passed through with their status
and detail, and an export sent in several chunks as it is read."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from gateway.app import create_app as create_gateway
from gateway.settings import GatewaySettings
from shared.processes import free_port
from shared.testing.serving import served
from tests.integration.desks.conftest import DesksUnderTest


class Downloads:
    def __init__(self, url: str, desks: DesksUnderTest) -> None:
        self.url = url
        self.desks = desks

    async def get(self, path: str, headers: dict[str, str] | None, **params: Any) -> httpx.Response:
        async with httpx.AsyncClient(timeout=10) as http:
            return await http.get(f"{self.url}{path}", params=params, headers=headers or {})

    async def rows(self, path: str, headers: dict[str, str], **params: Any) -> list[dict[str, str]]:
        response = await self.get(path, headers, **params)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        return list(csv.DictReader(io.StringIO(response.text)))


@pytest.fixture
async def downloads(desks: DesksUnderTest) -> AsyncIterator[Downloads]:
    async with served(desks.app) as desks_url:
        settings = GatewaySettings(
            **desks.platform.model_dump(),
            desks_url=desks_url,
            products_url=f"http://127.0.0.1:{free_port()}",
        )
        async with served(create_gateway(settings), run_lifespan=True) as url:
            yield Downloads(url, desks)


async def test_a_queue_export_holds_what_the_caller_sees_with_the_queues_filters(
    downloads: Downloads,
) -> None:
    desks = downloads.desks
    mine = []
    for number in range(7):
        desks.clock.advance(timedelta(seconds=1))
        urgency = "immediate" if number < 2 else "routine"
        mine.append(
            await desks.submit(
                desks.client("MINUSMA"), title=f"Election logistics {number}", urgency=urgency
            )
        )
    theirs = await desks.submit(desks.client("UNMISS"), title="Election logistics Juba")

    response = await downloads.get("/exports/desks/queue.csv", desks.client("MINUSMA"))
    assert response.headers["content-disposition"] == 'attachment; filename="desk-queue.csv"'
    rows = await downloads.rows("/exports/desks/queue.csv", desks.client("MINUSMA"))
    assert [row["id"] for row in rows] == [item["id"] for item in reversed(mine)]
    assert rows[0]["client_code"] == "MINUSMA" and rows[0]["status"] == "submitted"

    officer = desks.officer("AFRICA_II")
    desk_rows = await downloads.rows("/exports/desks/queue.csv", officer, sort="oldest")
    assert [row["id"] for row in desk_rows] == [item["id"] for item in mine]
    assert theirs["id"] not in {row["id"] for row in desk_rows}
    immediate = await downloads.rows(
        "/exports/desks/queue.csv", officer, urgency="immediate", search="logistics"
    )
    assert {row["id"] for row in immediate} == {mine[0]["id"], mine[1]["id"]}
    admin_rows = await downloads.rows("/exports/desks/queue.csv", desks.admin())
    assert {row["id"] for row in admin_rows} == {item["id"] for item in [*mine, theirs]}


async def test_cells_a_spreadsheet_would_run_are_escaped(downloads: Downloads) -> None:
    desks = downloads.desks
    titles = ['=HYPERLINK("http://evil.example")', "+1+1", "-2", "@SUM(A1)", 'Plain, "quoted"']
    for title in titles:
        desks.clock.advance(timedelta(seconds=1))
        await desks.submit(desks.client("MINUSMA"), title=title)
    rows = await downloads.rows("/exports/desks/queue.csv", desks.admin(), sort="oldest")
    assert [row["title"] for row in rows] == [
        '\'=HYPERLINK("http://evil.example")',
        "'+1+1",
        "'-2",
        "'@SUM(A1)",
        'Plain, "quoted"',
    ]


async def test_metrics_breaches_and_unmet_demand_exports(downloads: Downloads) -> None:
    desks = downloads.desks
    client, officer = desks.client("MINUSMA"), desks.officer("AFRICA_II")
    urgent = await desks.submit(client, title="Immediate mediation", urgency="immediate")
    await desks.submit(client, title="Routine advice")
    await desks.tick(timedelta(hours=2))  # the immediate one's acknowledge clock runs out

    breaches = await downloads.rows("/exports/desks/sla-breaches.csv", officer)
    assert [(row["request_id"], row["clock"]) for row in breaches] == [
        (urgent["id"], "acknowledge")
    ]
    assert breaches[0]["escalated_to"] == "desk_chief:AFRICA_II"
    assert await downloads.rows("/exports/desks/sla-breaches.csv", desks.officer("AFRICA_I")) == []

    metrics = await downloads.rows("/exports/desks/coordination-metrics.csv", client)
    assert {row["request_id"] for row in metrics} == {urgent["id"]} | {
        row["id"] for row in await downloads.rows("/exports/desks/queue.csv", client)
    }
    assert all(row["entities_involved"].startswith("client:MINUSMA;") for row in metrics)

    assert await downloads.rows("/exports/desks/unmet-demand.csv", officer) == []
    refused = await downloads.get("/exports/desks/unmet-demand.csv", client)
    assert refused.status_code == 403
    assert refused.json()["detail"]["code"] == "FORBIDDEN"


async def test_refusals_keep_their_status_and_nothing_unchecked_reaches_a_service(
    downloads: Downloads,
) -> None:
    officer = downloads.desks.officer("AFRICA_II")
    assert (await downloads.get("/exports/desks/queue.csv", None)).status_code == 401
    expired = {"Authorization": "Bearer not-a-token"}
    assert (await downloads.get("/exports/desks/queue.csv", expired)).status_code == 401
    for path in (
        "/exports/lessons/queue.csv",
        "/exports/desks/Queue.csv",
        "/exports/desks/..%2Frequests.csv",
        "/exports/desks/queue%3Fx.csv",
    ):
        answer = await downloads.get(path, officer)
        assert answer.status_code == 404, path
    bad_search = await downloads.get("/exports/desks/queue.csv", officer, search="?!")
    assert bad_search.status_code == 422
    assert bad_search.json()["detail"]["code"] == "BAD_USER_INPUT"
    unknown = await downloads.get("/exports/desks/nothing.csv", officer)
    assert unknown.status_code == 404


async def test_a_large_export_is_sent_in_several_chunks_as_it_is_read(
    desks: DesksUnderTest,
) -> None:
    for number in range(8):
        desks.clock.advance(timedelta(seconds=1))
        await desks.submit(desks.client("MINUSMA"), title=f"Request {number}")
    # The service's app driven as an ASGI server drives it, to see each body message.
    messages: list[dict[str, Any]] = []
    requested, answered = False, asyncio.Event()

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await answered.wait()  # the client stays until the whole answer arrived
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            answered.set()

    authorization = desks.officer("AFRICA_II")["Authorization"].encode()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/exports/queue.csv",
        "raw_path": b"/exports/queue.csv",
        "query_string": b"sort=oldest",
        "headers": [(b"authorization", authorization), (b"host", b"desks")],
        "client": ("127.0.0.1", 1),
        "server": ("desks", 80),
    }
    await asyncio.wait_for(desks.app(scope, receive, send), timeout=30)
    bodies = [m["body"] for m in messages if m["type"] == "http.response.body" and m["body"]]
    # The header, then 3 + 3 + 2 rows (export_chunk_rows=3), each written as it was read.
    assert [len(body.decode().splitlines()) for body in bodies] == [1, 3, 3, 2]
    rows = list(csv.DictReader(io.StringIO(b"".join(bodies).decode())))
    assert [row["title"] for row in rows] == [f"Request {number}" for number in range(8)]
