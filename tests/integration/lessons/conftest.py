"""The lessons service in-process on the real broker and a real database (SQLite and
PostgreSQL), with a manual clock, and helpers to drive its workflow."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import select
from sqlmodel import col

from contracts.events import Event
from services.lessons.app import DEFINITION as LESSONS
from services.lessons.app import LessonsSettings
from services.lessons.app import create_app as create_lessons
from shared.auth import Role
from shared.clock import ManualClock
from shared.messaging import OutboxMessage
from shared.messaging.envelope import to_headers
from shared.settings import PlatformSettings
from shared.testing.databases import Databases
from shared.testing.services import RunningService, running_service
from shared.testing.tokens import bearer

FAST = {"consumer_retry_backoff_s": 0.01, "broker_watch_interval_s": 0.5}

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


@dataclass
class LessonsUnderTest:
    service: RunningService
    platform: PlatformSettings
    clock: ManualClock

    @property
    def http(self) -> httpx.AsyncClient:
        return self.service.http

    def headers(self, role: Role, **tenant: Any) -> dict[str, str]:
        return bearer(self.platform, role, **tenant)

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
        async with self.service.sessions() as session, session.begin():
            rows = await session.scalars(
                select(OutboxMessage)
                .where(col(OutboxMessage.event_type) == event_type)
                .order_by(col(OutboxMessage.seq))
            )
            return list(rows.all())


@pytest.fixture
async def lessons(
    platform: PlatformSettings, databases: Databases
) -> AsyncIterator[LessonsUnderTest]:
    clock = ManualClock()
    settings = LessonsSettings(
        **platform.model_dump(), **FAST, database_url=await databases.new("lessons")
    )
    async with running_service(LESSONS, create_lessons, settings, clock) as service:
        yield LessonsUnderTest(service, platform, clock)


async def publish_raw(platform: PlatformSettings, event: Event, event_id: str | None = None) -> str:
    """Put an event on its topic as another service's relay would."""
    event_id = event_id or str(uuid.uuid4())
    producer = AIOKafkaProducer(bootstrap_servers=platform.kafka_bootstrap_servers)
    await producer.start()
    try:
        headers = to_headers(
            event_id=event_id,
            event_type=event.type,
            source="/test",
            time=ManualClock().now(),
            correlation_id=event_id,
            subject=event.key(),
            causation_id=None,
            traceparent=None,
        )
        await producer.send_and_wait(
            platform.physical_topic(event.topic),
            event.model_dump_json().encode(),
            key=event.key().encode(),
            headers=headers,
        )
    finally:
        await producer.stop()
    return event_id
