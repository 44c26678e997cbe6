"""The desks service alone on the real broker and a real database, with a clock the
test moves. Providers and partners are played by the test: it publishes their events
(through an outbox in a test session, so they travel the broker like any other)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from contracts.events import Event, ProductCataloged
from services.desks.app import DEFINITION as DESKS
from services.desks.app import DesksSettings
from services.desks.app import create_app as create_desks
from services.desks.models import CatalogProduct, TimelineEntry
from services.desks.workers import breach_due_clocks
from shared.auth import Role
from shared.clock import ManualClock
from shared.settings import PlatformSettings
from shared.testing.databases import Databases
from shared.testing.services import FAST_RETRY, ServiceUnderTest, running_service
from shared.testing.waiting import eventually

ELECTORAL_FORM = {
    "type": "object",
    "required": ["election_type"],
    "properties": {"election_type": {"enum": ["presidential", "legislative"]}},
}
CATALOG = {
    "ELECTORAL_ASSISTANCE": ELECTORAL_FORM,
    "MEDIATION_SUPPORT": {"type": "object"},
    "RULE_OF_LAW": {"type": "object"},
    "HUMAN_RIGHTS": {"type": "object"},
    "POLITICAL_ANALYSIS": {"type": "object"},
}
ELECTORAL = {"ELECTORAL_ASSISTANCE": {"election_type": "presidential"}}
CHIEF = "chief-africa-ii"  # AFRICA_II's chief (ONEDOOR_DESK_CHIEFS): its approver


def catalog_events() -> list[ProductCataloged]:
    return [
        ProductCataloged(
            code=code,
            name=code.replace("_", " ").title(),
            provider_unit=f"{code} unit",
            description="",
            request_form=form,
            capacity=5,
            active=True,
            revision=1,
        )
        for code, form in CATALOG.items()
    ]


class DesksUnderTest(ServiceUnderTest):
    clock: ManualClock

    def client(self, code: str = "MINUSMA") -> dict[str, str]:
        return self.headers(Role.client, client=code, subject=f"{code.lower()}-focal")

    def officer(self, desk: str = "AFRICA_II", subject: str = "officer-1") -> dict[str, str]:
        return self.headers(Role.desk_officer, desk=desk, subject=subject)

    def admin(self) -> dict[str, str]:
        return self.headers(Role.admin)

    async def submit(self, headers: dict[str, str] | None = None, **body: Any) -> dict[str, Any]:
        payload = {"title": "Advice on a national dialogue", "description": "", **body}
        response = await self.http.post("/requests", json=payload, headers=headers or self.client())
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def get(self, request_id: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
        response = await self.http.get(f"/requests/{request_id}", headers=headers or self.admin())
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def act(
        self, request_id: str, action: str, headers: dict[str, str], **body: Any
    ) -> httpx.Response:
        """An action on the request's current version unless the test names one."""
        if "expected_version" not in body:
            body["expected_version"] = (await self.get(request_id))["version"]
        return await self.http.post(f"/requests/{request_id}/{action}", json=body, headers=headers)

    async def publish(self, *events: Event) -> None:
        """Events of other services, sent over the real broker through an outbox."""
        await self.publish_through_outbox(*events)

    async def until(self, request_id: str, status: str) -> dict[str, Any]:
        async def probe() -> dict[str, Any] | None:
            request = await self.get(request_id)
            return request if request["status"] == status else None

        return await eventually(probe)

    async def timeline(self, request_id: str, headers: dict[str, str] | None = None) -> list[Any]:
        response = await self.http.get(
            f"/requests/{request_id}/timeline", headers=headers or self.admin()
        )
        return list(response.json())

    async def tick(self, advance: timedelta = timedelta()) -> int:
        """Move the clock, then run one tick of the SLA scheduler."""
        self.clock.advance(advance)
        return await breach_due_clocks(self.worker_context())

    async def outbox(self, event_type: str) -> list[dict[str, Any]]:
        return await self.outbox_payloads(event_type)

    async def count_timeline(self, request_id: str, event_type: str) -> int:
        async with self.sessions() as session, session.begin():
            return int(
                await session.scalar(
                    select(func.count())
                    .select_from(TimelineEntry)
                    .where(
                        TimelineEntry.request_id == request_id,
                        TimelineEntry.event_type == event_type,
                    )
                )
                or 0
            )


@asynccontextmanager
async def desks_service(
    platform: PlatformSettings, databases: Databases, **overrides: Any
) -> AsyncIterator[DesksUnderTest]:
    """The desks service with the catalog arrived; `settings` override the tests' own."""
    settings = {
        **platform.model_dump(),
        **FAST_RETRY,
        # Tests tick the scheduler themselves; the background loop must stay out of it.
        "sla_scheduler_interval_s": 3600,
        "desk_chiefs": {"AFRICA_II": CHIEF},
        # Small chunks, so that every export here is read and sent in several.
        "export_chunk_rows": 3,
        **overrides,
    }
    async with running_service(
        DESKS,
        create_desks,
        DesksSettings(**settings, database_url=await databases.migrated(DESKS)),
        ManualClock(),
        harness=DesksUnderTest,
        prepare_database=False,
    ) as under_test:
        await under_test.publish(*catalog_events())

        async def catalog_arrived() -> bool:
            async with under_test.sessions() as session, session.begin():
                count = await session.scalar(select(func.count()).select_from(CatalogProduct))
            return count == len(CATALOG)

        await eventually(catalog_arrived)
        yield under_test


@pytest.fixture
async def desks(platform: PlatformSettings, databases: Databases) -> AsyncIterator[DesksUnderTest]:
    async with desks_service(platform, databases) as under_test:
        yield under_test
