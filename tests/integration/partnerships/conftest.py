"""The partnerships service in-process on the real broker and a real database (SQLite
and PostgreSQL), with a manual clock, helpers to feed it events through the broker, and
a real loopback webhook receiver that partners' systems stand for."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from fastapi import FastAPI, Request, Response

from contracts.events import ClientKind, Event, RequestSubmitted, Urgency
from services.partnerships.app import DEFINITION, PartnershipsSettings, create_app
from services.partnerships.models import KnownRequest
from services.partnerships.signatures import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    InvalidSignature,
    verify,
)
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
from shared.testing.serving import served
from shared.testing.waiting import eventually

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Partnerships(ServiceUnderTest):
    clock: ManualClock

    @property
    def admin(self) -> dict[str, str]:
        return self.headers(Role.admin)

    def desk(self, desk: str = "AFRICA_II") -> dict[str, str]:
        return self.headers(Role.desk_officer, desk=desk)

    def partner(self, code: str) -> dict[str, str]:
        return self.headers(Role.partner, partner=code)

    async def command(
        self, path: str, *, json: dict[str, Any], headers: dict[str, str]
    ) -> httpx.Response:
        """POST a command on an assessment (`/assessments/{id}/…`) as a client that read
        it first: with the version it read, unless the body names one. A caller who may
        not read it sends some version, so the answer is the service's refusal."""
        if "expected_version" not in json:
            assessment_id = path.split("/")[2]
            read = await self.http.get(f"/assessments/{assessment_id}", headers=headers)
            version = read.json()["version"] if read.status_code == 200 else 1
            json = {**json, "expected_version": version}
        response: httpx.Response = await self.http.post(path, json=json, headers=headers)
        return response


@pytest.fixture
async def partnerships(
    platform: PlatformSettings, databases: Databases
) -> AsyncIterator[Partnerships]:
    settings = PartnershipsSettings(
        **platform.model_dump(),
        **FAST_RETRY,
        database_url=await databases.migrated(DEFINITION),
        # The tests drive the dispatcher's tick themselves, with the manual clock.
        webhook_dispatch_interval_s=3600,
        webhook_dispatch_on_commit=False,
        webhook_backoff_base_s=2,
        webhook_backoff_cap_s=60,
        webhook_max_attempts=8,
        # The partners' receivers in these tests listen on loopback.
        webhook_allow_private_targets=True,
    )
    async with running_service(
        DEFINITION,
        create_app,
        settings,
        ManualClock(START),
        harness=Partnerships,
        prepare_database=False,
    ) as under_test:
        yield under_test


async def publish(platform: PlatformSettings, event: Event, event_id: str) -> None:
    """Put an event on the real broker as another service's relay would."""
    await publish_on_broker(platform, event, event_id)


def submitted(
    request_id: str, *, desk: str = "AFRICA_II", client: str = "MINUSMA"
) -> RequestSubmitted:
    return RequestSubmitted(
        request_id=request_id,
        client_code=client,
        client_kind=ClientKind.peacekeeping_operation,
        country="MLI",
        region="Africa",
        desk_code=desk,
        title="Joint assessment of the security sector",
        description="",
        products=["RULE_OF_LAW"],
        urgency=Urgency.priority,
        submitted_by="client:MINUSMA:dev",
        submitted_at=START,
    )


async def known_request(partnerships: Partnerships, request_id: str, **kwargs: Any) -> None:
    """Submit a request on the broker and wait until the service has its copy."""
    await publish(partnerships.platform, submitted(request_id, **kwargs), f"sub-{request_id}")

    async def arrived() -> bool:
        async with partnerships.service.sessions() as session, session.begin():
            return await session.get(KnownRequest, request_id) is not None

    await eventually(arrived)


async def events_on(platform: PlatformSettings, topic: str) -> list[tuple[str, dict[str, Any]]]:
    """Every (type, payload) on a topic of this test's namespace, read from the broker."""
    consumer = AIOKafkaConsumer(bootstrap_servers=platform.kafka_bootstrap_servers)
    await consumer.start()
    try:
        name = platform.physical_topic(topic)
        partitions = [TopicPartition(name, p) for p in consumer.partitions_for_topic(name) or ()]
        if not partitions:
            await consumer.force_metadata_update()  # type: ignore[attr-defined]
            partitions = [
                TopicPartition(name, p) for p in consumer.partitions_for_topic(name) or ()
            ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        found: list[tuple[tuple[int, int], tuple[str, dict[str, Any]]]] = []
        async with asyncio.timeout(10):
            while True:
                positions = [await consumer.position(tp) for tp in partitions]
                if all(pos >= ends[tp] for pos, tp in zip(positions, partitions, strict=True)):
                    break
                batch = await consumer.getmany(timeout_ms=200)
                for records in batch.values():
                    for record in records:
                        headers = {key: value.decode() for key, value in record.headers}
                        payload = json.loads(record.value or b"{}")
                        found.append(
                            ((record.timestamp, record.offset), (headers["ce_type"], payload))
                        )
        return [item for _, item in sorted(found, key=lambda pair: pair[0])]
    finally:
        await consumer.stop()


@dataclass
class Receiver:
    """A partner's webhook endpoint: fails the first `failures` calls with 503, then
    accepts; verifies every signature and de-duplicates by delivery id."""

    secrets: dict[str, str]
    clock: ManualClock
    failures: int = 0
    calls: list[tuple[str, str]] = field(default_factory=list)  # (partner, delivery id)
    accepted: dict[str, dict[str, Any]] = field(default_factory=dict)
    duplicates: list[str] = field(default_factory=list)
    refused_signatures: int = 0

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/hooks/{partner}")
        async def hook(partner: str, request: Request) -> Response:
            body = await request.body()
            delivery = request.headers.get(DELIVERY_HEADER, "")
            self.calls.append((partner, delivery))
            try:
                verify(
                    self.secrets[partner],
                    body,
                    request.headers.get(SIGNATURE_HEADER),
                    request.headers.get(TIMESTAMP_HEADER),
                    now=self.clock.now().timestamp(),
                )
            except InvalidSignature:
                self.refused_signatures += 1
                return Response(status_code=401)
            if len(self.calls) <= self.failures:
                return Response(status_code=503)
            if delivery in self.accepted:
                self.duplicates.append(delivery)
            else:
                self.accepted[delivery] = {"partner": partner, **json.loads(body)}
            return Response(status_code=204)

        return app


@pytest.fixture
async def receiver(partnerships: Partnerships) -> AsyncIterator[tuple[Receiver, str]]:
    """A receiver on a real loopback port, with AU's and the World Bank's webhooks set to it."""
    hooks = Receiver(secrets={}, clock=partnerships.clock)
    async with served(hooks.app()) as url:
        for code in ("AU", "WORLD_BANK"):
            names = {"AU": "African Union Commission", "WORLD_BANK": "World Bank Group"}
            body = {"name": names[code], "webhook_url": f"{url}/hooks/{code}", "active": True}
            response = await partnerships.http.put(
                f"/partners/{code}", json=body, headers=partnerships.admin
            )
            assert response.status_code == 200, response.text
            rotated = await partnerships.http.post(
                f"/partners/{code}/secret", headers=partnerships.admin
            )
            hooks.secrets[code] = rotated.json()["webhook_secret"]
        yield hooks, url
