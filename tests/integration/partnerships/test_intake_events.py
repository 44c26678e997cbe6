"""What the partnerships service keeps of a new request, on the real broker."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlmodel import col

from services.partnerships.models import KnownRequest
from shared.messaging.models import INBOX
from shared.testing.waiting import eventually
from tests.integration.partnerships.conftest import (
    Partnerships,
    known_request,
    publish,
    submitted,
)


async def test_a_request_republished_under_a_new_id_keeps_its_first_copy(
    partnerships: Partnerships,
) -> None:
    p = partnerships
    request_id = str(uuid.uuid4())
    await known_request(p, request_id, desk="AFRICA_II", client="MINUSMA")
    # The same fact again under another event id (the inbox cannot catch it), saying
    # something else: the service keeps the copy it has.
    await publish(p.platform, submitted(request_id, desk="AMERICAS", client="MINUJUSTH"), "again")

    async def applied() -> bool:
        async with p.service.sessions() as session, session.begin():
            outcome = await session.scalar(
                select(INBOX.c.outcome).where(INBOX.c.event_id == "again")
            )
            return outcome == "applied"

    await eventually(applied)
    async with p.service.sessions() as session, session.begin():
        query = select(KnownRequest).where(col(KnownRequest.id) == request_id)
        rows = (await session.scalars(query)).all()
    assert [(row.desk_code, row.client_code) for row in rows] == [("AFRICA_II", "MINUSMA")]
