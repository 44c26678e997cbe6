"""Command routes of the lessons service: create, edit and workflow moves.

They run through the command pipeline
(shared/commands.py): the lesson locked, the version its caller saw checked and
bumped, its events through the outbox, so two concurrent approvals cannot both pass."""

from __future__ import annotations

from fastapi import APIRouter, status
from sqlalchemy import select
from sqlmodel import col

from contracts.enums import DEFAULT_CONTENT_LANGUAGE, LessonStatus
from contracts.http.lessons.requests import LessonContent, LessonCreate, LessonEdit, WorkflowMove
from contracts.http.lessons.responses import LessonPublic
from services.lessons import domain
from services.lessons.domain import (
    DraftContent,
    Owner,
    SourceKind,
    authorise_command,
    owner_of_new_draft,
    owns_draft,
)
from services.lessons.models import Lesson
from services.lessons.store import (
    add_history,
    apply_command,
    create_draft,
    owner_of,
    readable,
    set_tags,
)
from services.lessons.views import public
from shared.auth import CurrentPrincipal, Principal, Role
from shared.commands import Aggregate, CommandsDep, UnitOfWork
from shared.errors import DomainError
from shared.idempotency import IdempotencyKeyDep, create_once

router = APIRouter(tags=["lessons"])
# The feed: newest published first.
LESSON = Aggregate(Lesson, name="the lesson", not_found="LESSON_NOT_FOUND")


def _draft(content: LessonContent) -> DraftContent:
    """The draft's content, once the domain has checked it."""
    domain.validate_content(
        title=content.title,
        summary=content.summary,
        body=content.body,
        themes=content.themes,
        countries=content.countries,
        regions=content.regions,
        client_kinds=content.client_kinds,
    )
    return DraftContent(
        title=content.title,
        summary=content.summary,
        body=content.body,
        themes=content.themes,
        countries=content.countries,
        regions=content.regions,
        client_kinds=content.client_kinds,
    )


def _authoring_entity(principal: Principal, owner_code: str | None) -> str:
    if principal.role is Role.provider:
        return f"provider:{owner_code}"
    if principal.role is Role.desk_officer:
        return f"desk:{principal.desk}"
    return "headquarters"


@router.post("/lessons", status_code=status.HTTP_201_CREATED, response_model=LessonPublic)
async def create_lesson(
    body: LessonCreate,
    principal: CurrentPrincipal,
    commands: CommandsDep,
    idempotency_key: IdempotencyKeyDep = None,
) -> LessonPublic:
    """Start a draft (providers, desk officers and HQ write lessons). A retry with the
    same `Idempotency-Key` answers with the draft the first attempt made."""
    content = _draft(body)
    owner = owner_of_new_draft(principal, content.themes)

    async def find(key: str) -> LessonPublic | None:
        async with commands.begin() as work:
            made = await work.session.scalar(
                select(Lesson).where(
                    col(Lesson.created_by) == principal.actor, col(Lesson.idempotency_key) == key
                )
            )
            return public(made, principal) if made else None

    async def create() -> LessonPublic:
        async with commands.begin() as work:
            return public(
                await _create(body, content, owner, principal, work, idempotency_key), principal
            )

    return await create_once(idempotency_key, find, create)


async def _create(
    body: LessonCreate,
    content: DraftContent,
    owner: Owner,
    principal: Principal,
    work: UnitOfWork,
    idempotency_key: str | None,
) -> Lesson:
    language = body.language or DEFAULT_CONTENT_LANGUAGE
    if body.translation_of is not None:
        await _check_original(work, principal, body.translation_of, language)
    return await create_draft(
        work.session,
        content,
        owner=owner,
        source_kind=body.source_kind,
        source_ref=body.source_ref if body.source_kind is not SourceKind.direct else None,
        authoring_entity=body.authoring_entity or _authoring_entity(principal, owner.code),
        sensitivity=body.sensitivity,
        actor=principal.actor,
        at=work.now,
        publisher=work,
        idempotency_key=idempotency_key,
        language=language,
        translation_of=body.translation_of,
    )


async def _check_original(
    work: UnitOfWork, principal: Principal, original_id: str, language: str
) -> None:
    """A translation links to an original the writer may read, itself no translation (so
    every translation hangs off one lesson), written in another language."""
    original = await work.session.scalar(
        select(Lesson).where(col(Lesson.id) == original_id, readable(principal))
    )
    if original is None:
        raise DomainError("LESSON_NOT_FOUND", f"no lesson {original_id}")
    if original.translation_of is not None:
        raise DomainError(
            "BAD_USER_INPUT",
            "link a translation to the original lesson, not to another translation",
            original=original.translation_of,
        )
    if original.language == language:
        raise DomainError(
            "BAD_USER_INPUT", f"a translation is in another language than its original ({language})"
        )


@router.put("/lessons/{lesson_id}", response_model=LessonPublic)
async def edit_lesson(
    lesson_id: str, body: LessonEdit, principal: CurrentPrincipal, commands: CommandsDep
) -> LessonPublic:
    """Rewrite a draft; only drafts change (a lesson in review is sent back first)."""
    content = _draft(body)

    def may_edit(lesson: Lesson) -> None:
        if not owns_draft(principal, owner_of(lesson)):
            raise DomainError("FORBIDDEN", "only the draft's owner or a reviewer may edit it")

    async with commands.change(
        LESSON,
        lesson_id,
        readable(principal),
        expected_version=body.expected_version,
        authorise=may_edit,
    ) as change:
        lesson = change.aggregate
        if lesson.status != LessonStatus.draft.value:
            raise DomainError(
                "ILLEGAL_TRANSITION",
                f"a {lesson.status} lesson cannot be edited",
                status=lesson.status,
            )
        for name, value in vars(content).items():
            setattr(lesson, name, value)
        lesson.title = content.title.strip()
        lesson.sensitivity = body.sensitivity.value
        if body.language is not None:
            lesson.language = body.language
        lesson.updated_at = change.now
        await set_tags(change.session, lesson)
        add_history(
            change.session,
            lesson,
            at=change.now,
            actor=principal.actor,
            action="edited",
            from_status=lesson.status,
        )
    return public(lesson, principal)


@router.post("/lessons/{lesson_id}/moves", response_model=LessonPublic)
async def move_lesson(
    lesson_id: str, body: WorkflowMove, principal: CurrentPrincipal, commands: CommandsDep
) -> LessonPublic:
    """Submit for review, approve (publish), send back with comments, or archive."""
    async with commands.change(
        LESSON,
        lesson_id,
        readable(principal),
        expected_version=body.expected_version,
        authorise=lambda lesson: authorise_command(
            principal, body.command, owner_of(lesson), body.comment
        ),
    ) as change:
        apply_command(
            change.session,
            change.aggregate,
            body.command,
            actor=principal.actor,
            at=change.now,
            comment=body.comment,
            publisher=change,
        )
    return public(change.aggregate, principal)
