"""The insights service in-process on the real broker and a real database (SQLite and
PostgreSQL), and a scenario of the other services' events to put on the broker: two
requests in Mali and Sierra Leone, their status history, engagements, an SLA breach,
unmet demand, and a joint assessment with the African Union."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from contracts.enums import AssessmentStatus, ClientKind, DeclineReason, SlaClock, Urgency
from contracts.events import (
    AssessmentOpened,
    AssessmentStatusChanged,
    EngagementAccepted,
    EngagementDeclined,
    EngagementDelivered,
    EngagementProposed,
    Event,
    ProductCataloged,
    RequestSlaBreached,
    RequestStatusChanged,
    RequestSubmitted,
    UnmetDemandRecorded,
)
from services.insights.app import DEFINITION, InsightsSettings, create_app
from shared.auth import Role
from shared.clock import ManualClock
from shared.messaging.models import InboxEntry
from shared.settings import PlatformSettings
from shared.testing.databases import Databases
from shared.testing.services import FAST_RETRY, ServiceUnderTest, publish_on_broker, running_service
from shared.testing.waiting import eventually

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
R1, R2 = "11111111-0000-4000-8000-000000000001", "11111111-0000-4000-8000-000000000002"


def at(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


class Insights(ServiceUnderTest):
    def as_hq(self) -> dict[str, str]:
        return self.headers(Role.hq_analyst)

    async def view(self, path: str, headers: dict[str, str] | None = None, **params: Any) -> Any:
        response = await self.http.get(path, headers=headers or self.as_hq(), params=params)
        assert response.status_code == 200, response.text
        return response.json()

    async def feed(self, *events: Event) -> list[str]:
        """Put events on the broker as the other services' relays would, and wait until
        this service has applied each (its inbox holds the event's id)."""
        ids = [await publish_on_broker(self.platform, event) for event in events]
        await self.applied(len(ids), among=ids)
        return ids

    async def applied(self, count: int, among: list[str] | None = None) -> None:
        async def reached() -> bool:
            async with self.sessions() as session, session.begin():
                query = select(func.count()).select_from(InboxEntry)
                if among is not None:
                    query = query.where(col(InboxEntry.event_id).in_(among))
                return (await session.scalar(query) or 0) >= count

        await eventually(reached, timeout_s=60)


def insights_settings(platform: PlatformSettings, database_url: str) -> InsightsSettings:
    return InsightsSettings(
        **platform.model_dump(), **FAST_RETRY, database_url=database_url, export_chunk_rows=2
    )


@pytest.fixture
async def insights_database(databases: Databases) -> str:
    return await databases.migrated(DEFINITION)


@pytest.fixture
async def insights(platform: PlatformSettings, insights_database: str) -> AsyncIterator[Insights]:
    async with running_service(
        DEFINITION,
        create_app,
        insights_settings(platform, insights_database),
        ManualClock(NOW),
        harness=Insights,
        prepare_database=False,
    ) as under_test:
        yield under_test


def catalog() -> list[Event]:
    return [
        ProductCataloged(
            code=code,
            name=name,
            provider_unit=unit,
            description="",
            request_form={},
            capacity=5,
            active=True,
            revision=1,
        )
        for code, name, unit in (
            ("ELECTORAL_ASSISTANCE", "Electoral assistance", "Electoral Assistance Division"),
            ("MEDIATION_SUPPORT", "Mediation support", "Mediation Support Unit"),
        )
    ]


def submitted(
    request_id: str, client: str, country: str, desk: str, products: list[str], when: datetime
) -> RequestSubmitted:
    return RequestSubmitted(
        request_id=request_id,
        client_code=client,
        client_kind=ClientKind.host_country,
        country=country,
        region="Africa",
        desk_code=desk,
        title="Support",
        description="",
        products=products,
        urgency=Urgency.priority,
        submitted_by=f"client:{client}:liaison",
        submitted_at=when,
    )


def status(
    request_id: str,
    client: str,
    desk: str,
    old: str,
    new: str,
    when: datetime,
    actor: str | None = None,
) -> Event:
    return RequestStatusChanged(
        request_id=request_id,
        client_code=client,
        desk_code=desk,
        from_status=old,
        to_status=new,
        actor=actor or f"desk_officer:{desk}:amina",
        changed_at=when,
    )


def scenario() -> list[Event]:
    """R1: MINUSMA in Mali asks for electoral assistance (accepted) and mediation
    (declined, recorded as unmet demand), triaged by the desk, its triage clock breached
    while the electoral provider held it, with a joint assessment with the AU; R2: Sierra
    Leone's government asks for electoral assistance, routed at intake, delivered, and
    the request is closed."""
    electoral, mediation = "ELECTORAL_ASSISTANCE", "MEDIATION_SUPPORT"
    r1 = [
        submitted(R1, "MINUSMA", "MLI", "AFRICA_II", [electoral, mediation], at(1, 10)),
        status(R1, "MINUSMA", "AFRICA_II", "submitted", "triaged", at(1, 10, 13)),
        status(R1, "MINUSMA", "AFRICA_II", "triaged", "routed", at(1, 11)),
        status(R1, "MINUSMA", "AFRICA_II", "submitted", "in_progress", at(1, 11)),
        EngagementAccepted(
            engagement_id="e1",
            request_id=R1,
            routing_id="r1",
            product_code=electoral,
            accepted_by="system",
            accepted_at=at(1, 11),
        ),
        EngagementDeclined(
            engagement_id="e2",
            request_id=R1,
            routing_id="r2",
            product_code=mediation,
            reason_code=DeclineReason.capacity,
            reason="no one free",
            declined_by="provider:MEDIATION_SUPPORT:ola",
            declined_at=at(1, 12),
        ),
        UnmetDemandRecorded(
            request_id=R1,
            product_code=mediation,
            client_code="MINUSMA",
            client_kind=ClientKind.host_country,
            country="MLI",
            region="Africa",
            desk_code="AFRICA_II",
            reason_code=DeclineReason.capacity,
            note="no mediator free before the elections",
            recorded_by="desk_officer:AFRICA_II:amina",
            recorded_at=at(1, 12, 15),
        ),
        RequestSlaBreached(
            request_id=R1,
            client_code="MINUSMA",
            desk_code="AFRICA_II",
            clock=SlaClock.deliver,
            urgency=Urgency.priority,
            due_at=at(1, 13),
            breached_at=at(1, 13),
            escalated_to="desk_chief:AFRICA_II",
        ),
        AssessmentOpened(
            assessment_id="a1",
            request_id=R1,
            desk_code="AFRICA_II",
            partners=["AU"],
            scope="joint",
            opened_by="desk_officer:AFRICA_II:amina",
            opened_at=at(1, 15),
        ),
        AssessmentStatusChanged(
            assessment_id="a1",
            request_id=R1,
            from_status=AssessmentStatus.proposed,
            to_status=AssessmentStatus.active,
            actor="partner:AU:kofi",
            changed_at=at(1, 16),
        ),
    ]
    intake, automation = "desk:AFRICA_I:intake", "desks:automation"
    r2 = [
        submitted(R2, "GOV_SIERRA_LEONE", "SLE", "AFRICA_I", [electoral], at(3, 5)),
        status(R2, "GOV_SIERRA_LEONE", "AFRICA_I", "submitted", "triaged", at(3, 5), intake),
        status(R2, "GOV_SIERRA_LEONE", "AFRICA_I", "triaged", "routed", at(3, 5), intake),
        EngagementProposed(
            engagement_id="e3",
            request_id=R2,
            routing_id="r3",
            product_code=electoral,
            proposed_at=at(3, 6),
        ),
        EngagementAccepted(
            engagement_id="e3",
            request_id=R2,
            routing_id="r3",
            product_code=electoral,
            accepted_by="provider:ELECTORAL_ASSISTANCE:ines",
            accepted_at=at(3, 7),
        ),
        status(R2, "GOV_SIERRA_LEONE", "AFRICA_I", "routed", "in_progress", at(3, 7), automation),
        EngagementDelivered(
            engagement_id="e3",
            request_id=R2,
            routing_id="r3",
            product_code=electoral,
            provider_unit="Electoral Assistance Division",
            client_code="GOV_SIERRA_LEONE",
            client_kind=ClientKind.host_country,
            country="SLE",
            region="Africa",
            desk_code="AFRICA_I",
            title="Support",
            deliverables=[],
            delivered_by="provider:ELECTORAL_ASSISTANCE:ines",
            delivered_at=at(4, 1),
        ),
        status(
            R2, "GOV_SIERRA_LEONE", "AFRICA_I", "in_progress", "delivered", at(4, 1), automation
        ),
        status(R2, "GOV_SIERRA_LEONE", "AFRICA_I", "delivered", "closed", at(4, 20)),
    ]
    return [*catalog(), *r1, *r2]
