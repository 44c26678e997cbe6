"""The expert roster: experts, their languages, skills and availability windows."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field
from sqlalchemy import delete, select
from sqlmodel import col

from contracts.http.products.responses import (
    AvailabilityWindow,
    Booking,
    ExpertPublic,
)
from services.products import domain
from services.products.domain import Period
from services.products.models import Assignment, Engagement, Expert, ExpertAvailability
from services.products.store import live_bookings
from shared.auth import CurrentPrincipal, Role
from shared.commands import Aggregate, CommandsDep, ExpectedVersion
from shared.db import AsyncSession
from shared.errors import DomainError
from shared.service import SessionDep

router = APIRouter()

EXPERT = Aggregate(Expert, name="the expert", not_found="EXPERT_NOT_FOUND")


class ExpertCreate(BaseModel):
    id: str = Field(pattern=r"^[A-Z0-9][A-Z0-9-]{1,39}$")
    name: str = Field(min_length=1, max_length=200)
    skills: list[str] = Field(default_factory=list, max_length=50)
    languages: list[str] = Field(min_length=1, max_length=6)
    availability: list[AvailabilityWindow] = Field(default_factory=list, max_length=100)


HQ_READERS = (Role.provider, Role.desk_officer, Role.hq_analyst, Role.admin)


async def _experts_public(session: AsyncSession, experts: list[Expert]) -> list[ExpertPublic]:
    ids = [expert.id for expert in experts]
    windows = (
        await session.scalars(
            select(ExpertAvailability)
            .where(col(ExpertAvailability.expert_id).in_(ids))
            .order_by(col(ExpertAvailability.starts_on))
        )
    ).all()
    bookings = (
        await session.scalars(
            select(Assignment)
            .join(Engagement, col(Engagement.id) == col(Assignment.engagement_id))
            .where(
                col(Assignment.expert_id).in_(ids),
                col(Engagement.status).in_([s.value for s in domain.BOOKING_HOLDERS]),
            )
            .order_by(col(Assignment.starts_on))
        )
    ).all()
    return [
        ExpertPublic(
            id=expert.id,
            name=expert.name,
            skills=expert.skills,
            languages=expert.languages,
            availability=[
                AvailabilityWindow(starts_on=w.starts_on, ends_on=w.ends_on)
                for w in windows
                if w.expert_id == expert.id
            ],
            bookings=[
                Booking(engagement_id=b.engagement_id, starts_on=b.starts_on, ends_on=b.ends_on)
                for b in bookings
                if b.expert_id == expert.id
            ],
            version=expert.version,
        )
        for expert in experts
    ]


@router.get("/experts", response_model=list[ExpertPublic], tags=["roster"])
async def list_experts(
    principal: CurrentPrincipal,
    session: SessionDep,
    skill: Annotated[str | None, Query(max_length=100)] = None,
    language: Annotated[str | None, Query(max_length=2)] = None,
    free_from: Annotated[date | None, Query()] = None,
    free_to: Annotated[date | None, Query()] = None,
) -> list[ExpertPublic]:
    """The roster; with `free_from`/`free_to`, only experts who could be booked then."""
    principal.require(*HQ_READERS)
    async with session.begin():
        experts = list((await session.scalars(select(Expert).order_by(col(Expert.id)))).all())
        if skill:
            experts = [expert for expert in experts if skill in expert.skills]
        if language:
            experts = [expert for expert in experts if language in expert.languages]
        public = await _experts_public(session, experts)
    if free_from and free_to:
        wanted = Period(free_from, free_to)
        domain.check_period(wanted, field="free_to")
        public = [expert for expert in public if _bookable(expert, wanted)]
    return public


def _bookable(expert: ExpertPublic, wanted: Period) -> bool:
    try:
        domain.check_booking(
            wanted=wanted,
            availability=[Period(w.starts_on, w.ends_on) for w in expert.availability],
            bookings=[Period(b.starts_on, b.ends_on) for b in expert.bookings],
        )
    except DomainError:
        return False
    return True


@router.post(
    "/experts",
    status_code=status.HTTP_201_CREATED,
    response_model=ExpertPublic,
    tags=["roster"],
)
async def add_expert(
    body: ExpertCreate, principal: CurrentPrincipal, commands: CommandsDep
) -> ExpertPublic:
    """Add an expert to the roster (admins)."""
    principal.require(Role.admin)
    domain.check_languages(body.languages)
    for window in body.availability:
        domain.check_period(Period(window.starts_on, window.ends_on), field="availability")
    async with commands.begin() as work:
        if await work.session.get(Expert, body.id) is not None:
            raise DomainError("CONFLICT", f"expert {body.id} exists already")
        expert = Expert(id=body.id, name=body.name, skills=body.skills, languages=body.languages)
        work.session.add(expert)
        await work.session.flush()
        for window in body.availability:
            work.session.add(
                ExpertAvailability(
                    expert_id=expert.id, starts_on=window.starts_on, ends_on=window.ends_on
                )
            )
        return await work.answer(_expert_public, expert)


async def _expert_public(session: AsyncSession, expert: Expert) -> ExpertPublic:
    return (await _experts_public(session, [expert]))[0]


class AvailabilityChange(ExpectedVersion):
    availability: list[AvailabilityWindow] = Field(max_length=100)


@router.put("/experts/{expert_id}/availability", response_model=ExpertPublic, tags=["roster"])
async def set_availability(
    expert_id: str, body: AvailabilityChange, principal: CurrentPrincipal, commands: CommandsDep
) -> ExpertPublic:
    """Replace the expert's availability windows (admins); live bookings must still fit."""
    principal.require(Role.admin)
    windows = [Period(w.starts_on, w.ends_on) for w in body.availability]
    for window in windows:
        domain.check_period(window, field="availability")
    async with commands.change(EXPERT, expert_id, expected_version=body.expected_version) as change:
        expert, session = change.aggregate, change.session
        domain.check_bookings_fit(
            availability=windows, bookings=await live_bookings(session, expert.id)
        )
        await session.execute(
            delete(ExpertAvailability).where(col(ExpertAvailability.expert_id) == expert.id)
        )
        for window in windows:
            session.add(
                ExpertAvailability(
                    expert_id=expert.id, starts_on=window.starts_on, ends_on=window.ends_on
                )
            )
        return await change.present(_expert_public)
