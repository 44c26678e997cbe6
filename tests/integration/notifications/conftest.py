"""The notifications service in-process on the real broker and a real database (SQLite
and PostgreSQL), a manual clock, a real SMTP server on loopback, and helpers to put the
other services' events on the broker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlmodel import col

from contracts.events import (
    ClientKind,
    Event,
    RequestStatusChanged,
    RequestSubmitted,
    Urgency,
)
from services.notifications.app import DEFINITION, NotificationsSettings, create_app
from services.notifications.models import KnownRequest, MailMessage, Notification
from services.notifications.workers import send_due_mail
from shared.auth import Role
from shared.clock import ManualClock
from shared.mailsink import MailSink
from shared.messaging.models import InboxEntry
from shared.settings import PlatformSettings
from shared.testing.databases import Databases
from shared.testing.services import FAST_RETRY, ServiceUnderTest, publish_on_broker, running_service
from shared.testing.waiting import eventually

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PORTAL = "https://onedoor.example.org"
CHIEF = "chief-africa-ii"


class Notifications(ServiceUnderTest):
    clock: ManualClock

    def client(self, code: str = "MINUSMA", subject: str = "liaison-1") -> dict[str, str]:
        return self.headers(Role.client, client=code, subject=subject)

    def officer(self, subject: str, desk: str = "AFRICA_II") -> dict[str, str]:
        return self.headers(Role.desk_officer, desk=desk, subject=subject)

    def provider(self, *products: str) -> dict[str, str]:
        return self.headers(Role.provider, products=list(products))

    def partner(self, code: str) -> dict[str, str]:
        return self.headers(Role.partner, partner=code)

    async def page(self, headers: dict[str, str], **params: Any) -> dict[str, Any]:
        response = await self.http.get("/notifications", headers=headers, params=params)
        assert response.status_code == 200, response.text
        page: dict[str, Any] = response.json()
        return page

    async def preferences(self, headers: dict[str, str]) -> dict[str, Any]:
        response = await self.http.get("/preferences", headers=headers)
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found

    async def set_preferences(self, headers: dict[str, str], **changes: Any) -> httpx.Response:
        """PUT the preferences as a client that read them first (with the version read)."""
        current = await self.preferences(headers)
        body = {
            "expected_version": current["version"],
            "kinds": current["kinds"],
            "email_enabled": current["email_enabled"],
            "email_address": current["email_address"],
            "language": current["language"],
            **changes,
        }
        response: httpx.Response = await self.http.put("/preferences", json=body, headers=headers)
        return response

    async def feed(self, *events: Event, event_id: str | None = None) -> list[str]:
        """Put events on the broker as the other services' relays would, and wait until
        this service has handled each (its inbox holds the event's id)."""
        ids = [await publish_on_broker(self.platform, event, event_id) for event in events]

        async def handled() -> bool:
            async with self.sessions() as session, session.begin():
                found = await session.scalars(
                    select(InboxEntry.event_id).where(col(InboxEntry.event_id).in_(ids))
                )
                return len(set(found.all())) == len(set(ids))

        await eventually(handled)
        return ids

    async def notifications_stored(self) -> list[Notification]:
        async with self.sessions() as session, session.begin():
            return list(
                (await session.scalars(select(Notification).order_by(col(Notification.seq)))).all()
            )

    async def mails(self) -> list[MailMessage]:
        async with self.sessions() as session, session.begin():
            rows = await session.scalars(select(MailMessage).order_by(col(MailMessage.created_at)))
            return list(rows.all())

    async def send_mail(self) -> int:
        """One tick of the mail sender, as its periodic worker would run it."""
        return await send_due_mail(self.worker_context())

    async def known(self, request_id: str) -> KnownRequest | None:
        async with self.sessions() as session, session.begin():
            return await session.get(KnownRequest, request_id)


@pytest.fixture
async def notifications(
    platform: PlatformSettings, databases: Databases, smtp_server: MailSink
) -> AsyncIterator[Notifications]:
    settings = NotificationsSettings(
        **platform.model_dump(),
        **FAST_RETRY,
        database_url=await databases.migrated(DEFINITION),
        smtp_host=smtp_server.host,
        smtp_port=smtp_server.port,
        smtp_from="OneDoor <onedoor@example.org>",
        portal_base_url=PORTAL,
        desk_chiefs={"AFRICA_II": CHIEF},
        # The tests run the sender's tick themselves, with the manual clock.
        mail_send_interval_s=3600,
        mail_backoff_base_s=10,
        mail_backoff_cap_s=60,
        mail_max_attempts=3,
    )
    async with running_service(
        DEFINITION,
        create_app,
        settings,
        ManualClock(START),
        harness=Notifications,
        prepare_database=False,
    ) as under_test:
        yield under_test


def submitted(
    request_id: str, *, client: str = "MINUSMA", desk: str = "AFRICA_II"
) -> RequestSubmitted:
    return RequestSubmitted(
        request_id=request_id,
        client_code=client,
        client_kind=ClientKind.peacekeeping_operation,
        country="MLI",
        region="Africa",
        desk_code=desk,
        title="Electoral needs assessment",
        description="",
        products=["ELECTORAL_ASSISTANCE"],
        urgency=Urgency.priority,
        submitted_by=f"client:{client}:liaison-1",
        submitted_at=START,
    )


def status_changed(
    request_id: str, to_status: str, *, client: str = "MINUSMA", from_status: str = "submitted"
) -> RequestStatusChanged:
    return RequestStatusChanged(
        request_id=request_id,
        client_code=client,
        desk_code="AFRICA_II",
        from_status=from_status,
        to_status=to_status,
        actor="desk_officer:AFRICA_II:amina",
        reason="internal triage note",
        changed_at=START,
    )
