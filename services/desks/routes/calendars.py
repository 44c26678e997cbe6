"""Business calendars, an admin's data: each desk's time zone, working hours and
holidays, on which its SLA clocks count working time; and the clocks' time on them.

Changing a calendar recomputes the desk's running clocks in the same transaction,
keeping the working time each had already counted (services/desks/clocks.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlmodel import col, select

from contracts.http.desks.requests import DeskCalendarUpdate
from contracts.http.desks.responses import DeskCalendarPublic, SlaClockTime
from services.desks.calendars import (
    WEEKDAYS,
    CalendarError,
    clock_time_of,
    holiday_dates,
    periods_by_weekday,
    zone_of,
)
from services.desks.clocks import clock_times, recompute_desk_clocks, working_time
from services.desks.models import DeskCalendar, ServiceRequest
from services.desks.store import visibility
from shared.auth import CurrentPrincipal, Role
from shared.commands import Aggregate, CommandsDep
from shared.errors import DomainError
from shared.service import ClockDep, SessionDep

router = APIRouter(tags=["calendars"])

CALENDAR = Aggregate(
    DeskCalendar, name="the desk's calendar", not_found="NOT_FOUND", key="desk_code"
)
RequestIds = Annotated[list[str], Query(alias="request_id", min_length=1, max_length=200)]


def _public(calendar: DeskCalendar) -> DeskCalendarPublic:
    return DeskCalendarPublic(**calendar.model_dump())


@router.get("/desk-calendars", response_model=list[DeskCalendarPublic])
async def list_desk_calendars(
    principal: CurrentPrincipal, session: SessionDep
) -> list[DeskCalendarPublic]:
    """Every desk's calendar, by desk code (desks and HQ read them too)."""
    principal.require(Role.admin, Role.hq_analyst, Role.desk_officer)
    async with session.begin():
        calendars = await session.scalars(select(DeskCalendar).order_by(DeskCalendar.desk_code))
        return [_public(calendar) for calendar in calendars]


@router.get("/desk-calendars/{desk_code}", response_model=DeskCalendarPublic)
async def get_desk_calendar(
    desk_code: str, principal: CurrentPrincipal, session: SessionDep
) -> DeskCalendarPublic:
    principal.require(Role.admin, Role.hq_analyst, Role.desk_officer)
    async with session.begin():
        calendar = await session.get(DeskCalendar, desk_code)
        if calendar is None:
            raise DomainError("NOT_FOUND", f"no desk {desk_code}")
        return _public(calendar)


@router.put("/desk-calendars/{desk_code}", response_model=DeskCalendarPublic)
async def update_desk_calendar(
    desk_code: str, body: DeskCalendarUpdate, principal: CurrentPrincipal, commands: CommandsDep
) -> DeskCalendarPublic:
    """Replace a desk's calendar. Its running clocks count what they ran on the old one
    up to now and are due on the new one; stopped and breached clocks stay as they are."""
    principal.require(Role.admin)
    hours, holidays = _checked(body)
    async with commands.change(
        CALENDAR, desk_code, expected_version=body.expected_version
    ) as change:
        calendar = change.aggregate
        before = working_time(calendar)
        calendar.time_zone, calendar.working_hours, calendar.holidays = (
            body.time_zone.strip(),
            hours,
            holidays,
        )
        calendar.around_the_clock = sorted({urgency.value for urgency in body.around_the_clock})
        calendar.updated_at, calendar.updated_by = change.now, principal.actor
        change.session.add(calendar)
        await recompute_desk_clocks(
            change.session, desk_code, before=before, after=working_time(calendar), at=change.now
        )
        return _public(calendar)


def _checked(body: DeskCalendarUpdate) -> tuple[list[dict[str, str]], list[dict[str, str | None]]]:
    """The calendar's hours and holidays as stored (sorted, touching periods joined), or
    BAD_USER_INPUT naming the first fault."""
    try:
        zone_of(body.time_zone.strip())
        periods = periods_by_weekday((p.weekday, p.start, p.end) for p in body.working_hours)
        days = holiday_dates(
            [
                (holiday.date.strip(), (holiday.name or "").strip() or None)
                for holiday in body.holidays
            ]
        )
    except CalendarError as error:
        raise DomainError("BAD_USER_INPUT", str(error), field=error.field) from None
    hours = [
        {"weekday": weekday, "start": clock_time_of(start), "end": clock_time_of(end)}
        for weekday, day in zip(WEEKDAYS, periods, strict=True)
        for start, end in day
    ]
    return hours, [{"date": day.isoformat(), "name": name} for day, name in days.items()]


@router.get("/sla-clocks", response_model=list[SlaClockTime])
async def get_sla_clock_times(
    principal: CurrentPrincipal, session: SessionDep, clock: ClockDep, request_id: RequestIds
) -> list[SlaClockTime]:
    """The SLA clocks of several requests (the gateway's dataloader batches by id) with
    the working time each has left now on its desk's calendar; requests the caller may
    not see are left out."""
    async with session.begin():
        requests = (
            await session.scalars(
                select(ServiceRequest).where(
                    col(ServiceRequest.id).in_(request_id), visibility(principal)
                )
            )
        ).all()
        return await clock_times(session, list(requests), clock.now())
