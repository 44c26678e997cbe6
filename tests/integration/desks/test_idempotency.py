"""A retried submit returns the request the first attempt stored and creates nothing,
even when two attempts with one key race, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import func, select

from services.desks.models import ServiceRequest
from tests.integration.desks.conftest import DesksUnderTest

BODY = {"title": "Advice on a national dialogue", "description": "", "products": []}


async def submit(desks: DesksUnderTest, key: str, headers: dict[str, str]) -> Any:
    response = await desks.http.post(
        "/requests", json=BODY, headers={**headers, "Idempotency-Key": key}
    )
    assert response.status_code == 201, response.text
    return response.json()


async def stored(desks: DesksUnderTest) -> int:
    async with desks.service.sessions() as session, session.begin():
        return int(await session.scalar(select(func.count()).select_from(ServiceRequest)) or 0)


async def test_a_retry_with_the_same_key_returns_the_first_request(desks: DesksUnderTest) -> None:
    client = desks.client("MINUSMA")
    first = await submit(desks, "submit-1", client)
    again = await submit(desks, "submit-1", client)
    assert again["id"] == first["id"]
    assert await stored(desks) == 1
    assert len(await desks.outbox("onedoor.request.submitted.v1")) == 1

    other = await submit(desks, "submit-2", client)
    assert other["id"] != first["id"]
    # Keys are per principal: another client's same key is another request.
    foreign = await submit(desks, "submit-1", desks.client("UNMISS"))
    assert foreign["id"] != first["id"]
    assert await stored(desks) == 3


async def test_two_concurrent_submits_with_one_key_store_one_request(
    desks: DesksUnderTest,
) -> None:
    client = desks.client("MINUSMA")
    answers = await asyncio.gather(*(submit(desks, "race", client) for _ in range(2)))
    assert answers[0]["id"] == answers[1]["id"]
    assert await stored(desks) == 1
    assert len(await desks.outbox("onedoor.request.submitted.v1")) == 1


async def test_a_malformed_key_is_refused(desks: DesksUnderTest) -> None:
    response = await desks.http.post(
        "/requests", json=BODY, headers={**desks.client(), "Idempotency-Key": "a b/../c"}
    )
    assert response.status_code == 422
    assert await stored(desks) == 0
