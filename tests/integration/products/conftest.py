"""The products service alone on the real broker and a real database (SQLite and
PostgreSQL), fed the desks' events by a raw producer, and helpers to drive it.
Its clock is a ManualClock: each routing moves it on a second, tests move it further."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import select

from contracts.events import ClientKind, Event, RequestRouted, Urgency
from services.products.app import DEFINITION as PRODUCTS
from services.products.app import ProductsSettings
from services.products.app import create_app as create_products
from services.products.models import Engagement
from shared.auth import Role
from shared.clock import ManualClock
from shared.settings import PlatformSettings
from shared.testing.databases import Databases
from shared.testing.services import (
    FAST_RETRY,
    ServiceUnderTest,
    publish_on_broker,
    running_service,
)
from shared.testing.waiting import eventually


class Provider(ServiceUnderTest):
    """The products service and the desks' side of the broker, as the tests see them."""

    clock: ManualClock
    producer: AIOKafkaProducer  # set by the fixture: one producer for all of a test's events

    def headers(self, role: Role = Role.admin, **tenant: Any) -> dict[str, str]:
        return super().headers(role, **tenant)

    def officer(self, *products: str) -> dict[str, str]:
        return self.headers(Role.provider, products=list(products))

    async def publish(self, event: Event, event_id: str | None = None) -> str:
        """Put an event on the broker as the desks' relay would (binary CloudEvents)."""
        return await publish_on_broker(
            self.platform, event, event_id, source="/onedoor/desks", producer=self.producer
        )

    async def route(self, product: str = "ELECTORAL_ASSISTANCE", **changes: Any) -> dict[str, Any]:
        """Route a product of a new request and wait for its engagement."""
        event = routed(product, **changes)
        self.clock.advance(timedelta(seconds=1))  # engagements queue in routing order
        await self.publish(event)
        return await self.engagement_of(event.routing_id)

    async def engagement_of(self, routing_id: str) -> dict[str, Any]:
        async def probe() -> str | None:
            async with self.service.sessions() as session, session.begin():
                return await session.scalar(
                    select(Engagement.id).where(Engagement.routing_id == routing_id)
                )

        engagement_id = await eventually(probe)
        return await self.get(engagement_id)

    async def get(self, engagement_id: str) -> dict[str, Any]:
        response = await self.service.http.get(
            f"/engagements/{engagement_id}", headers=self.headers()
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def act(
        self,
        engagement: dict[str, Any],
        action: str,
        headers: dict[str, str] | None = None,
        **body: Any,
    ) -> Any:
        """POST a provider action with the engagement's current version unless given."""
        payload = {"expected_version": engagement["version"], **body}
        return await self.service.http.post(
            f"/engagements/{engagement['id']}/{action}",
            json=payload,
            headers=headers or self.officer(engagement["product_code"]),
        )

    async def events(self, event_type: str) -> list[dict[str, Any]]:
        """The payloads this service put in its outbox, oldest first."""
        return await self.outbox_payloads(event_type)


def routed(product: str = "ELECTORAL_ASSISTANCE", **changes: Any) -> RequestRouted:
    fields: dict[str, Any] = {
        "request_id": str(uuid.uuid4()),
        "routing_id": str(uuid.uuid4()),
        "product_code": product,
        "client_code": "MINUSMA",
        "client_kind": ClientKind.peacekeeping_operation,
        "country": "MLI",
        "region": "Africa",
        "desk_code": "AFRICA_II",
        "title": "Support to the 2027 presidential election",
        "description": "The electoral commission asks for a needs assessment.",
        "urgency": Urgency.priority,
        "details": {},
        "routed_by": "desk:AFRICA_II:intake",
        "routed_at": datetime.now(UTC),
    }
    return RequestRouted(**{**fields, **changes})


@pytest.fixture
async def provider(platform: PlatformSettings, databases: Databases) -> AsyncIterator[Provider]:
    settings = ProductsSettings(
        **platform.model_dump(),
        **FAST_RETRY,
        database_url=await databases.migrated(PRODUCTS),
        export_chunk_rows=2,  # so that an export here is read in several chunks
    )
    producer = AIOKafkaProducer(bootstrap_servers=platform.kafka_bootstrap_servers)
    await producer.start()
    try:
        async with running_service(
            PRODUCTS,
            create_products,
            settings,
            ManualClock(),
            harness=Provider,
            prepare_database=False,
        ) as under_test:
            under_test.producer = producer
            yield under_test
    finally:
        await producer.stop()
