"""Commands on one joint assessment at once (SQLite and PostgreSQL): the command
pipeline locks the assessment, so the second meets the first's version; and every
command names the version its caller saw."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from shared.messaging import OutboxMessage
from tests.integration.partnerships.conftest import Partnerships, known_request


async def _opened(p: Partnerships) -> dict[str, Any]:
    request_id = str(uuid.uuid4())
    await known_request(p, request_id)
    body = {"request_id": request_id, "partners": ["AU"], "scope": "Mediation in the north"}
    response = await p.http.post("/assessments", json=body, headers=p.desk())
    assert response.status_code == 201, response.text
    return dict(response.json())


async def _outbox(p: Partnerships, event_type: str) -> list[OutboxMessage]:
    async with p.service.sessions() as session, session.begin():
        rows = await session.scalars(
            select(OutboxMessage).where(col(OutboxMessage.event_type) == event_type)
        )
        return list(rows.all())


async def test_two_officers_cancelling_at_once_one_wins_and_one_event_is_published(
    partnerships: Partnerships,
) -> None:
    p = partnerships
    opened = await _opened(p)
    path = f"/assessments/{opened['id']}/cancel"
    body = {"reason": "the partner withdrew", "expected_version": opened["version"]}
    answers = await asyncio.gather(
        p.http.post(path, json=body, headers=p.desk()),
        p.http.post(path, json=body, headers=p.admin),
    )
    assert sorted(answer.status_code for answer in answers) == [200, 409], [
        answer.text for answer in answers
    ]
    loser = next(answer for answer in answers if answer.status_code == 409)
    assert loser.json()["detail"]["code"] == "VERSION_CONFLICT"
    assert loser.json()["detail"]["current_version"] == opened["version"] + 1
    stored = (await p.http.get(f"/assessments/{opened['id']}", headers=p.desk())).json()
    assert (stored["status"], stored["version"]) == ("cancelled", opened["version"] + 1)
    assert len(await _outbox(p, "onedoor.assessment.status-changed.v1")) == 1


async def test_a_command_without_the_version_it_saw_is_bad_input(
    partnerships: Partnerships,
) -> None:
    p = partnerships
    opened = await _opened(p)
    refused = await p.http.post(
        f"/assessments/{opened['id']}/cancel", json={"reason": "x"}, headers=p.desk()
    )
    assert refused.status_code == 422
    assert refused.json()["detail"]["code"] == "BAD_USER_INPUT"
    assert (await p.http.get(f"/assessments/{opened['id']}", headers=p.desk())).json() == opened
