"""Persistence steps shared by the lessons routes and event handlers.

Each function works inside the caller's transaction and never commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ColumnElement, and_, delete, or_, select, true
from sqlmodel import col

from contracts.enums import DEFAULT_CONTENT_LANGUAGE, LessonStatus, Sensitivity
from contracts.events import LessonPublished, LessonStatusChanged
from services.lessons.domain import (
    COMMAND_TARGET,
    REVIEWERS,
    DraftContent,
    LessonCommand,
    Owner,
    OwnerKind,
    SourceKind,
    transition,
    visible_sensitivities,
)
from services.lessons.models import Lesson, LessonHistory, LessonTag
from shared.auth import Principal, Role
from shared.db import AsyncSession
from shared.errors import DomainError
from shared.messaging import Publisher


def readable(principal: Principal) -> ColumnElement[bool]:
    """Which lessons a caller may read, as SQL: published ones of a sensitivity the
    role may see, and the unpublished ones the caller owns; reviewers read all."""
    if principal.role in REVIEWERS:
        return true()
    published = and_(
        col(Lesson.status) == LessonStatus.published.value,
        col(Lesson.sensitivity).in_(sorted(s.value for s in visible_sensitivities(principal.role))),
    )
    if principal.role is Role.provider:
        owned = and_(
            col(Lesson.owner_kind) == OwnerKind.provider.value,
            col(Lesson.owner_code).in_(principal.products),
        )
        return or_(published, owned)
    if principal.role is Role.desk_officer:
        owned = and_(
            col(Lesson.owner_kind) == OwnerKind.desk.value,
            col(Lesson.owner_code) == principal.desk,
        )
        return or_(published, owned)
    return published


async def visible_lesson(session: AsyncSession, principal: Principal, lesson_id: str) -> Lesson:
    """The lesson if the caller may read it; otherwise the same not-found as a missing one.
    (Commands lock it through shared/commands.py.)"""
    query = select(Lesson).where(col(Lesson.id) == lesson_id, readable(principal))
    lesson = (await session.scalars(query)).first()
    if lesson is None:
        raise DomainError("LESSON_NOT_FOUND", f"no lesson {lesson_id}")
    return lesson


def owner_of(lesson: Lesson) -> Owner:
    return Owner(OwnerKind(lesson.owner_kind), lesson.owner_code)


async def set_tags(session: AsyncSession, lesson: Lesson) -> None:
    """Rewrite the lesson's facet rows from its lists (filters and facets read these)."""
    await session.execute(delete(LessonTag).where(col(LessonTag.lesson_id) == lesson.id))
    facets = {
        "theme": lesson.themes,
        "country": lesson.countries,
        "region": lesson.regions,
        "client_kind": lesson.client_kinds,
        "language": [lesson.language],
    }
    tags = [(facet, value) for facet, values in facets.items() for value in dict.fromkeys(values)]
    session.add_all(
        LessonTag(lesson_id=lesson.id, facet=facet, value=value) for facet, value in tags
    )
    lesson.facet_keys = facet_keys(tags)


def facet_keys(tags: Iterable[tuple[str, str]]) -> list[str]:
    """A lesson's facet rows as `Lesson.facet_keys`: "facet:value", sorted, so lessons
    with the same facets have the same keys (search counts each combination once)."""
    return sorted(f"{facet}:{value}" for facet, value in tags)


def add_history(
    session: AsyncSession,
    lesson: Lesson,
    *,
    at: datetime,
    actor: str,
    action: str,
    from_status: str | None,
    comment: str | None = None,
) -> None:
    session.add(
        LessonHistory(
            lesson_id=lesson.id,
            at=at,
            actor=actor,
            action=action,
            from_status=from_status,
            to_status=lesson.status,
            comment=comment,
            version=lesson.version,
        )
    )


async def create_draft(
    session: AsyncSession,
    content: DraftContent,
    *,
    owner: Owner,
    source_kind: SourceKind,
    source_ref: str | None,
    authoring_entity: str,
    sensitivity: Sensitivity,
    actor: str,
    at: datetime,
    publisher: Publisher,
    idempotency_key: str | None = None,
    language: str = DEFAULT_CONTENT_LANGUAGE,
    translation_of: str | None = None,
) -> Lesson:
    lesson = Lesson(
        id=str(uuid.uuid4()),
        title=content.title.strip(),
        summary=content.summary,
        body=content.body,
        themes=content.themes,
        countries=content.countries,
        regions=content.regions,
        client_kinds=content.client_kinds,
        source_kind=source_kind.value,
        source_ref=source_ref,
        authoring_entity=authoring_entity,
        sensitivity=sensitivity.value,
        status=LessonStatus.draft.value,
        owner_kind=owner.kind.value,
        owner_code=owner.code,
        created_by=actor,
        idempotency_key=idempotency_key,
        created_at=at,
        updated_at=at,
        language=language,
        translation_of=translation_of,
    )
    session.add(lesson)
    await session.flush()
    await set_tags(session, lesson)
    add_history(session, lesson, at=at, actor=actor, action="created", from_status=None)
    publisher.publish(
        LessonStatusChanged(
            lesson_id=lesson.id,
            from_status=None,
            to_status=lesson.status,
            actor=actor,
            sensitivity=lesson.sensitivity,
            changed_at=at,
        )
    )
    return lesson


def apply_command(
    session: AsyncSession,
    lesson: Lesson,
    command: LessonCommand,
    *,
    actor: str,
    at: datetime,
    publisher: Publisher,
    comment: str | None = None,
) -> None:
    """One workflow move: refused if the table forbids it, else recorded and published.
    (The command pipeline bumped the version first, so the history line carries the new one.)"""
    current = LessonStatus(lesson.status)
    target = transition(current, COMMAND_TARGET[command])
    lesson.status = target.value
    lesson.updated_at = at
    if command is LessonCommand.send_back:
        lesson.review_comment = comment
    if target is LessonStatus.published:
        lesson.published_at = at
        lesson.review_comment = None
    session.add(lesson)
    add_history(
        session,
        lesson,
        at=at,
        actor=actor,
        action=command.value,
        from_status=current.value,
        comment=comment,
    )
    publisher.publish(
        LessonStatusChanged(
            lesson_id=lesson.id,
            from_status=current.value,
            to_status=target.value,
            actor=actor,
            comment=comment,
            sensitivity=lesson.sensitivity,
            changed_at=at,
        )
    )
    if target is LessonStatus.published:
        publisher.publish(published_event(lesson))


def published_event(lesson: Lesson) -> LessonPublished:
    assert lesson.published_at is not None
    return LessonPublished(
        lesson_id=lesson.id,
        title=lesson.title,
        summary=lesson.summary,
        themes=lesson.themes,
        countries=lesson.countries,
        regions=lesson.regions,
        sensitivity=lesson.sensitivity,
        published_at=lesson.published_at,
        client_kinds=lesson.client_kinds,
        source_kind=lesson.source_kind,
        author_entity=lesson.authoring_entity,
        language=lesson.language,
        translation_of=lesson.translation_of,
    )
