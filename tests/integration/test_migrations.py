"""Each service's Alembic migrations build exactly the schema its models declare,
on SQLite and on PostgreSQL, and can run twice. The platform's own tables come from
one branch every service includes, and a database made before that branch existed
reaches the new heads with its rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import String, column, func, insert, inspect, select, table, text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.desks.app import DEFINITION as DESKS
from services.desks.models import Client, Desk, ServiceRequest, SlaClockState
from services.insights.app import DEFINITION as INSIGHTS
from services.lessons.app import DEFINITION as LESSONS
from services.lessons.models import Lesson, LessonTag
from services.notifications.app import DEFINITION as NOTIFICATIONS
from services.notifications.models import Person
from services.partnerships.app import DEFINITION as PARTNERSHIPS
from services.products.app import DEFINITION as PRODUCTS
from shared.db import UTCDateTime, create_engine
from shared.messaging import InboxEntry, OutboxMessage, PlatformState, PlatformTable
from shared.migrations import PLATFORM_BRANCH, alembic_config, upgrade
from shared.service import ServiceDefinition
from shared.testing.databases import Databases

EVERY_SERVICE = pytest.mark.parametrize(
    "definition",
    [DESKS, PRODUCTS, LESSONS, PARTNERSHIPS, NOTIFICATIONS, INSIGHTS],
    ids=lambda d: d.name,
)
PLATFORM_TABLES = [OutboxMessage, InboxEntry, PlatformState]
AT = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@EVERY_SERVICE
async def test_migrations_match_the_models(
    definition: ServiceDefinition, databases: Databases
) -> None:
    engine = create_engine(await databases.new(definition.name))
    try:
        await upgrade(engine, definition.migrations_dir)
        await upgrade(engine, definition.migrations_dir)  # idempotent: already at head
        differences = await _differences(engine, definition)
        assert differences == [], "run `python -m services.<name> revision -m '...'`"
    finally:
        await engine.dispose()


@EVERY_SERVICE
def test_each_branch_has_one_head(definition: ServiceDefinition) -> None:
    """Two revisions written side by side on one parent (two branches merged) would both
    be heads; `upgrade heads` runs them in either order, so their author must chain them."""
    scripts = _scripts(definition)
    heads = [scripts.get_revision(head) for head in scripts.get_heads()]
    labels = [label for head in heads if head is not None for label in head.branch_labels]
    assert len(heads) == 2 and sorted(labels) == sorted({PLATFORM_BRANCH, definition.name}), [
        (head.revision, head.branch_labels) for head in heads if head is not None
    ]


@EVERY_SERVICE
def test_only_the_platform_branch_creates_the_platform_tables(
    definition: ServiceDefinition,
) -> None:
    for script in _scripts(definition).walk_revisions():
        if PLATFORM_BRANCH in script.branch_labels:
            continue
        assert script.path is not None
        source = open(script.path, encoding="utf-8").read()
        for model in PLATFORM_TABLES:
            assert f"'{model.__tablename__}'" not in source, script.path


async def test_a_new_service_gets_the_platform_tables_without_a_revision_of_its_own(
    databases: Databases, tmp_path: Path
) -> None:
    migrations = tmp_path / "migrations"
    (migrations / "versions").mkdir(parents=True)
    (migrations / "env.py").write_text(
        "from alembic import context\n"
        "from shared.messaging import PlatformTable\n"
        "from shared.migrations import run_env\n"
        "run_env(context, [PlatformTable.metadata])\n"
    )
    engine = create_engine(await databases.new("newcomer"))
    try:
        await upgrade(engine, migrations)
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
        assert {model.__tablename__ for model in PLATFORM_TABLES} <= set(tables)
    finally:
        await engine.dispose()


@EVERY_SERVICE
async def test_a_database_from_before_the_platform_branch_upgrades_with_its_rows(
    definition: ServiceDefinition, databases: Databases
) -> None:
    """Before the platform branch, each service's initial revision created the platform
    tables itself, exactly as the models declare them (the first test held that): such
    a database is the service's branch at its head plus those tables, with rows in them."""
    engine = create_engine(await databases.new(definition.name))
    try:
        await upgrade(engine, definition.migrations_dir, f"{definition.name}@head")
        async with engine.begin() as connection:
            tables = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
            assert not {model.__tablename__ for model in PLATFORM_TABLES} & set(tables)
            await connection.run_sync(PlatformTable.metadata.create_all)
            for model, row in _ONE_ROW_EACH.items():
                await connection.execute(insert(model), row)

        await upgrade(engine, definition.migrations_dir)

        async with engine.connect() as connection:
            versions = await connection.scalars(text("SELECT version_num FROM alembic_version"))
            assert set(versions) == set(_scripts(definition).get_heads())
            for model in PLATFORM_TABLES:
                count = select(func.count()).select_from(model)
                assert await connection.scalar(count) == 1, model.__tablename__
        assert await _differences(engine, definition) == []
    finally:
        await engine.dispose()


_ONE_ROW_EACH: dict[type[PlatformTable], dict[str, Any]] = {
    OutboxMessage: {
        "event_id": "event-1",
        "topic": "onedoor.requests",
        "key": "request-1",
        "event_type": "onedoor.request.submitted.v1",
        "source": "/onedoor/desks",
        "occurred_at": AT,
        "correlation_id": "event-1",
        "payload": "{}",
        "created_at": AT,
    },
    InboxEntry: {
        "consumer": "desks",
        "event_id": "event-0",
        "event_type": "onedoor.product.published.v1",
        "outcome": "applied",
        "processed_at": AT,
    },
    PlatformState: {"key": "broker_cluster_id", "value": "cluster-1"},
}


def _scripts(definition: ServiceDefinition) -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config(definition.migrations_dir, "sqlite://"))


async def _differences(engine: AsyncEngine, definition: ServiceDefinition) -> list[Any]:
    async with engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: compare_metadata(
                MigrationContext.configure(
                    sync, opts={"compare_type": True, "include_name": definition.include_name}
                ),
                definition.all_metadata,
            )
        )


async def test_people_registered_before_the_new_notification_kinds_get_them_turned_on(
    databases: Databases,
) -> None:
    """A new person gets every kind, so one registered earlier hears of the kinds added
    since as well; a kind they had turned off stays off."""
    engine = create_engine(await databases.new("notifications"))
    before_new_kinds = ["request_status_changed", "sla_at_risk", "sla_breached", "task_assigned"]
    try:
        await upgrade(engine, NOTIFICATIONS.migrations_dir, "7f28b9fd3a38")
        async with engine.begin() as connection:
            await connection.execute(
                insert(Person),
                {"key": "client:MINUSMA:liaison-1", "role": "client", "kinds": before_new_kinds,
                 "created_at": AT, "updated_at": AT},
            )  # fmt: skip
        await upgrade(engine, NOTIFICATIONS.migrations_dir)
        async with engine.connect() as connection:
            kinds = await connection.scalar(select(Person.kinds))
        assert kinds == [
            *before_new_kinds,
            "approval_requested",
            "approval_decided",
            "request_reopened",
            "delivery_disputed",
            "request_merged",
            "followed_lesson_changed",
            "followed_request_changed",
        ]
        assert "public_comment" not in kinds and "engagement_proposed" not in kinds
    finally:
        await engine.dispose()


async def test_sla_clocks_from_before_calendars_keep_their_due_time_and_count_from_submission(
    databases: Databases,
) -> None:
    """A clock started before business calendars ran around the clock: it gets the target
    it was due by (with any wait already in its due time) and counts from submission."""
    engine = create_engine(await databases.new("desks"))
    clock = table(
        "sla_clock",
        column("request_id", String),
        column("clock", String),
        column("due_at", UTCDateTime(timezone=True)),
    )
    try:
        await upgrade(engine, DESKS.migrations_dir, "e7a3c5d9f1b4")
        async with engine.begin() as connection:
            await connection.execute(
                insert(Desk), {"code": "AFRICA_II", "name": "Africa II", "region": "Sahel"}
            )
            await connection.execute(
                insert(Client),
                {"code": "MINUSMA", "name": "MINUSMA", "kind": "mission", "country": "MLI"},
            )
            await connection.execute(
                insert(ServiceRequest),
                {
                    "id": "request-1",
                    "client_code": "MINUSMA",
                    "client_kind": "mission",
                    "country": "MLI",
                    "region": "Sahel",
                    "desk_code": "AFRICA_II",
                    "title": "Advice",
                    "description": "",
                    "urgency": "routine",
                    "status": "submitted",
                    "products": [],
                    "details": {},
                    "submitted_by": "client:MINUSMA:focal",
                    "created_at": AT,
                    "updated_at": AT,
                },
            )
            await connection.execute(
                insert(clock), {"request_id": "request-1", "clock": "acknowledge", "due_at": AT + timedelta(hours=30)}
            )  # fmt: skip
        await upgrade(engine, DESKS.migrations_dir)
        async with engine.connect() as connection:
            row = (
                await connection.execute(
                    select(SlaClockState.due_at, SlaClockState.target_s).add_columns(
                        SlaClockState.elapsed_s, SlaClockState.counted_from
                    )
                )
            ).one()
        assert tuple(row) == (AT + timedelta(hours=30), 30 * 3600.0, 0.0, AT)
    finally:
        await engine.dispose()


async def test_requests_and_lessons_from_before_languages_are_english(
    databases: Databases,
) -> None:
    """The languages' revisions fill in the rows already there: requests and lessons are
    English, and each lesson gets its language facet, so filters and counts find it."""
    desks = create_engine(await databases.new("desks"))
    lessons = create_engine(await databases.new("lessons"))
    stamp = {"created_at": AT, "updated_at": AT}
    try:
        await upgrade(desks, DESKS.migrations_dir, "f2b8c4d6a9e1")
        async with desks.begin() as connection:
            await connection.execute(
                insert(Desk), {"code": "AFRICA_II", "name": "Africa II", "region": "Africa"}
            )
            await connection.execute(
                insert(Client),
                {
                    "code": "MINUSMA",
                    "name": "MINUSMA",
                    "kind": "peacekeeping_operation",
                    "country": "MLI",
                },
            )
            await connection.execute(
                insert(ServiceRequest),
                {"id": "request-1", "client_code": "MINUSMA", "client_kind": "peacekeeping_operation",
                 "country": "MLI", "region": "Africa", "desk_code": "AFRICA_II", "title": "Old",
                 "description": "", "urgency": "routine", "status": "submitted", "products": [],
                 "details": {}, "submitted_by": "client:MINUSMA:x", "version": 1, **stamp},
            )  # fmt: skip
        await upgrade(lessons, LESSONS.migrations_dir, "c3e8a1d5b7f2")
        async with lessons.begin() as connection:
            await connection.execute(
                insert(Lesson),
                {"id": "lesson-1", "title": "Old", "summary": "", "body": "", "themes": [],
                 "countries": [], "regions": [], "client_kinds": [], "source_kind": "direct",
                 "authoring_entity": "headquarters", "sensitivity": "public",
                 "status": "published", "version": 1, **stamp},
            )  # fmt: skip
        await upgrade(desks, DESKS.migrations_dir)
        await upgrade(lessons, LESSONS.migrations_dir)
        async with desks.connect() as connection:
            assert await connection.scalar(select(ServiceRequest.language)) == "en"
        async with lessons.connect() as connection:
            assert (
                await connection.execute(select(Lesson.language, Lesson.translation_of))
            ).one() == ("en", None)
            tags = select(LessonTag.facet, LessonTag.value).where(LessonTag.lesson_id == "lesson-1")
            assert (await connection.execute(tags)).all() == [("language", "en")]
    finally:
        await desks.dispose()
        await lessons.dispose()
