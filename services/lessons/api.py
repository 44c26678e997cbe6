"""HTTP routes of the lessons service: the published feed, filtered by sensitivity."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import select
from sqlmodel import col

from services.lessons.models import Lesson
from shared.auth import HQ_ROLES, CurrentPrincipal, Principal, Role
from shared.service import SessionDep

router = APIRouter(tags=["lessons"])


class LessonPublic(BaseModel):
    id: str
    title: str
    summary: str
    themes: list[str]
    countries: list[str]
    regions: list[str]
    sensitivity: str
    published_at: datetime | None


def visible_sensitivities(principal: Principal) -> list[str]:
    """Restricted lessons reach HQ roles only; partners see public lessons only."""
    if principal.role in HQ_ROLES:
        return ["public", "internal", "restricted"]
    if principal.role is Role.partner:
        return ["public"]
    return ["public", "internal"]


@router.get("/lessons", response_model=list[LessonPublic])
async def list_published_lessons(
    principal: CurrentPrincipal,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[LessonPublic]:
    query = (
        select(Lesson)
        .where(
            Lesson.status == "published",
            col(Lesson.sensitivity).in_(visible_sensitivities(principal)),
        )
        .order_by(col(Lesson.published_at).desc())
        .limit(limit)
    )
    async with session.begin():
        lessons = (await session.scalars(query)).all()
    return [LessonPublic(**lesson.model_dump()) for lesson in lessons]
