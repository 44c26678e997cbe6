"""The projections come from the event log alone: `rebuild` empties them and rewinds the
consumer, and the next start replays the topics from the beginning into the empty store
with the same figures; a second service reading the same topics into a database of its
own reaches them too."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from services.insights.app import DEFINITION, create_app
from services.insights.models import (
    ActivityLine,
    CoordinationMonth,
    PartyShare,
    ProductLoad,
    RequestCoordination,
    UnmetDemandCount,
    WhoDoesWhat,
    WhoDoesWhatSpan,
)
from services.insights.rebuild import rebuild
from shared.clock import ManualClock
from shared.db import create_engine, session_factory
from shared.messaging.models import InboxEntry
from shared.settings import PlatformSettings
from shared.testing.databases import Databases
from shared.testing.services import running_service
from tests.integration.insights.conftest import NOW, Insights, insights_settings, scenario

VIEWS = (
    ("/who-does-what", {"first": 500}),
    ("/who-does-what", {"first": 500, "start": "2026-05-01T00:00:00Z"}),
    ("/who-does-what", {"first": 500, "end": "2026-02-28T00:00:00Z"}),
    ("/who-does-what/countries", {}),
    ("/request-figures", {"first": 500}),
    ("/sla-shares", {"by": "desk"}),
    ("/sla-shares", {"by": "product"}),
    *(("/coordination-costs", {"by": by}) for by in ("desk", "product", "country", "month")),
    ("/demand-without-supply", {}),
)


async def figures(insights: Insights) -> list[Any]:
    return [await insights.view(path, **params) for path, params in VIEWS]


async def test_rebuild_replays_the_topics_into_an_empty_store(
    platform: PlatformSettings, insights_database: str
) -> None:
    settings = insights_settings(platform, insights_database)
    events = scenario()

    async def started() -> Any:
        return running_service(
            DEFINITION,
            create_app,
            settings,
            ManualClock(NOW),
            harness=Insights,
            prepare_database=False,
        )

    async with await started() as first:
        await first.feed(*events)
        recorded = await figures(first)
    assert recorded[0]["total"] == 8 and recorded[4]["total"] == 2
    assert recorded[-1]["unmet"] and recorded[-1]["load"]

    assert await rebuild(settings) > 0
    engine = create_engine(settings.resolved_database_url)
    async with session_factory(engine)() as session, session.begin():
        emptied = (
            WhoDoesWhat,
            WhoDoesWhatSpan,
            ActivityLine,
            RequestCoordination,
            CoordinationMonth,
            PartyShare,
        )
        for table in (*emptied, ProductLoad, UnmetDemandCount, InboxEntry):
            assert await session.scalar(select(func.count()).select_from(table)) == 0
    await engine.dispose()
    async with await started() as again:
        # Every event of the topics applied again, from the beginning, into the empty store.
        await again.applied(len(events))
        assert await figures(again) == recorded
        async with again.sessions() as session, session.begin():
            assert await session.scalar(select(func.count()).select_from(ActivityLine)) == 8


async def test_a_new_store_reading_the_same_topics_reaches_the_same_figures(
    platform: PlatformSettings, databases: Databases, insights: Insights
) -> None:
    events = scenario()
    await insights.feed(*events)
    recorded = await figures(insights)
    other = insights_settings(platform, await databases.migrated(DEFINITION)).model_copy(
        update={"service_name": "insights-replica"}
    )
    async with running_service(
        DEFINITION, create_app, other, ManualClock(NOW), harness=Insights, prepare_database=False
    ) as replica:
        await replica.applied(len(events))
        assert await figures(replica) == recorded
