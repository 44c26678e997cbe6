"""The lessons service in-process on the real broker and a real database (SQLite and
PostgreSQL), with a manual clock, and helpers to drive its workflow."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from contracts.events import Event
from services.lessons.app import DEFINITION as LESSONS
from services.lessons.app import LessonsSettings
from services.lessons.app import create_app as create_lessons
from shared.auth import Role
from shared.clock import ManualClock
from shared.messaging import OutboxMessage
from shared.settings import PlatformSettings
from shared.testing.databases import Databases
from shared.testing.services import (
    FAST_RETRY,
    ServiceUnderTest,
    publish_on_broker,
    running_service,
)

HQ = {"role": Role.hq_analyst}


def draft_body(**content: Any) -> dict[str, Any]:
    """A valid `POST /lessons` body; `content` overrides its fields."""
    return {
        "title": "A lesson",
        "summary": "",
        "body": "",
        "themes": ["ELECTORAL_ASSISTANCE"],
        "countries": ["MLI"],
        "regions": ["Africa"],
        "client_kinds": ["peacekeeping_operation"],
        "sensitivity": "public",
        **content,
    }


class LessonsUnderTest(ServiceUnderTest):
    clock: ManualClock

    async def create(self, headers: dict[str, str] | None = None, **content: Any) -> dict[str, Any]:
        response = await self.http.post(
            "/lessons", json=draft_body(**content), headers=headers or self.headers(Role.hq_analyst)
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def move(
        self,
        lesson: dict[str, Any],
        command: str,
        headers: dict[str, str] | None = None,
        comment: str | None = None,
    ) -> httpx.Response:
        body = {"command": command, "expected_version": lesson["version"], "comment": comment}
        return await self.http.post(
            f"/lessons/{lesson['id']}/moves",
            json=body,
            headers=headers or self.headers(Role.hq_analyst),
        )

    async def publish(self, **content: Any) -> dict[str, Any]:
        """A lesson through the whole workflow, published one minute after the previous."""
        lesson = await self.create(**content)
        submitted = await self.move(lesson, "submit")
        assert submitted.status_code == 200, submitted.text
        self.clock.advance(timedelta(minutes=1))
        approved = await self.move(submitted.json(), "approve")
        assert approved.status_code == 200, approved.text
        return dict(approved.json())

    async def outbox(self, event_type: str) -> list[OutboxMessage]:
        return await self.outbox_rows(event_type)


@pytest.fixture
async def lessons(
    platform: PlatformSettings, databases: Databases
) -> AsyncIterator[LessonsUnderTest]:
    settings = LessonsSettings(
        **platform.model_dump(), **FAST_RETRY, database_url=await databases.migrated(LESSONS)
    )
    async with running_service(
        LESSONS,
        create_lessons,
        settings,
        ManualClock(),
        harness=LessonsUnderTest,
        prepare_database=False,
    ) as under_test:
        yield under_test


async def publish_raw(platform: PlatformSettings, event: Event, event_id: str | None = None) -> str:
    """Put an event on its topic as another service's relay would."""
    return await publish_on_broker(
        platform, event, event_id, source="/test", at=ManualClock().now()
    )
