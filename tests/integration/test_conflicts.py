"""A request whose transaction PostgreSQL rolled back to break a deadlock runs again
(shared/conflicts.py), against a real server: the deadlock is a real one, made by the
test holding the other side."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from shared.conflicts import ATTEMPTS, RetryTransientConflicts
from shared.errors import install_error_handlers
from shared.testing.databases import Databases, DatabaseTemplates
from shared.testing.postgres import PostgresServer
from shared.testing.serving import served
from shared.testing.waiting import eventually


@pytest.fixture
async def engine(
    postgres: PostgresServer, tmp_path: Path, database_templates: DatabaseTemplates
) -> AsyncIterator[AsyncEngine]:
    databases = Databases("postgresql", tmp_path, postgres, database_templates)
    made = create_async_engine(await databases.new("conflicts"))
    async with made.begin() as connection:
        await connection.execute(text("CREATE TABLE slot (name text PRIMARY KEY)"))
        await connection.execute(text("INSERT INTO slot VALUES ('a'), ('b')"))
    try:
        yield made
    finally:
        await made.dispose()
        await databases.drop_all()


def conflicted_app(engine: AsyncEngine) -> tuple[FastAPI, list[int]]:
    """`/b-then-a` locks b then a; `/always` meets a serialization failure each time."""
    app = FastAPI()
    install_error_handlers(app)
    app.add_middleware(RetryTransientConflicts)
    attempts: list[int] = []

    @app.post("/b-then-a")
    async def b_then_a(body: dict[str, str]) -> dict[str, object]:
        attempts.append(len(attempts) + 1)
        async with engine.begin() as connection:
            for name in ("b", "a"):
                await connection.execute(
                    text("SELECT name FROM slot WHERE name = :name FOR UPDATE"), {"name": name}
                )
        return {"attempts": len(attempts), "echo": body["note"]}

    @app.post("/always")
    async def always() -> None:
        attempts.append(len(attempts) + 1)
        async with engine.begin() as connection:
            await connection.execute(
                text("DO $$ BEGIN RAISE EXCEPTION 'met' USING ERRCODE = '40001'; END $$")
            )

    return app, attempts


async def waiting_for_a_lock(engine: AsyncEngine) -> bool:
    async with engine.connect() as connection:
        waiting = await connection.scalar(
            text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
        )
    return bool(waiting)


async def test_a_request_rolled_back_to_break_a_deadlock_runs_again_and_succeeds(
    engine: AsyncEngine,
) -> None:
    app, attempts = conflicted_app(engine)
    async with served(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
        async with engine.connect() as other:
            transaction = await other.begin()
            # Only the request's side looks for the deadlock, so PostgreSQL rolls it back.
            await other.execute(text("SET LOCAL deadlock_timeout = '60s'"))
            await other.execute(text("SELECT name FROM slot WHERE name = 'a' FOR UPDATE"))
            answer = asyncio.create_task(http.post("/b-then-a", json={"note": "kept"}))
            await eventually(lambda: waiting_for_a_lock(engine))  # it holds b, wants a
            await other.execute(text("SELECT name FROM slot WHERE name = 'b' FOR UPDATE"))
            await transaction.commit()
        response = await answer
    assert response.status_code == 200, response.text
    assert response.json() == {"attempts": 2, "echo": "kept"}  # the body was replayed
    assert attempts == [1, 2]


async def test_a_conflict_that_persists_is_answered_503_after_a_few_attempts(
    engine: AsyncEngine,
) -> None:
    app, attempts = conflicted_app(engine)
    async with served(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
        response = await http.post("/always")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.json()["detail"]["code"] == "SERVICE_UNAVAILABLE"
    assert attempts == list(range(1, ATTEMPTS + 1))
