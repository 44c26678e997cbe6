"""Text a database cannot store is the caller's mistake: a coded 4xx, nothing stored.

PostgreSQL refuses a NUL character in text and JSON; the gateway refuses it before any
call, but a service answers the same way when reached directly (SQLite stores it)."""

from __future__ import annotations

from sqlalchemy import func, select

from services.desks.models import ServiceRequest
from tests.integration.desks.conftest import DesksUnderTest


async def test_a_nul_character_is_refused_on_postgresql_never_an_internal_error(
    desks: DesksUnderTest,
) -> None:
    body = {"title": "Advice\u0000 on a dialogue", "description": "", "products": []}
    response = await desks.http.post("/requests", json=body, headers=desks.client("MINUSMA"))
    async with desks.service.sessions() as session, session.begin():
        stored = int(await session.scalar(select(func.count()).select_from(ServiceRequest)) or 0)
        dialect = session.bind.dialect.name
    if dialect == "sqlite":
        assert response.status_code == 201, response.text
        assert stored == 1
        return
    assert response.status_code == 422, response.text
    assert response.json()["detail"]["code"] == "BAD_USER_INPUT"
    assert stored == 0
    assert await desks.outbox("onedoor.request.submitted.v1") == []
