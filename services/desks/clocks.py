"""SLA clocks on their desk's business calendar: starting them, resuming them after a
pause, and recomputing the open ones when a calendar or a target changes, always
keeping the working time that already elapsed (calendars.ClockProgress).

A clock counts working time from `counted_from`; `elapsed_s` is what it had counted
before. While its request waits (on hold, awaiting approval) it does not run: the wait
began at `paused_since`, and resuming counts in what ran up to then and restarts the
count at the resume."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table
from sqlmodel import col, select

from contracts.enums import RequestStatus, SlaClock
from contracts.http.desks.responses import SlaClockTime
from services.desks import domain, journal
from services.desks.calendars import (
    ALWAYS_OPEN_DESK,
    ClockProgress,
    DeskWorkingTime,
    target_of,
    working_calendar,
)
from services.desks.models import DeskCalendar, RequestApproval, ServiceRequest, SlaClockState
from shared.db import AsyncSession

SLA_CLOCKS: Table = SlaClockState.__table__  # type: ignore[attr-defined]
EVERY_DAY = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def around_the_clock_calendar(desk_code: str, *, at: datetime, by: str) -> DeskCalendar:
    """The calendar of a desk nobody set one for: every hour counts (as before calendars)."""
    return DeskCalendar(
        desk_code=desk_code,
        time_zone="UTC",
        working_hours=[{"weekday": day, "start": "00:00", "end": "24:00"} for day in EVERY_DAY],
        holidays=[],
        around_the_clock=[],
        updated_at=at,
        updated_by=by,
    )


def working_time(calendar: DeskCalendar | None) -> DeskWorkingTime:
    """The working time of a desk's calendar row (a desk without one: around the clock)."""
    if calendar is None:
        return ALWAYS_OPEN_DESK
    return DeskWorkingTime(
        working_calendar(
            calendar.time_zone,
            [(p["weekday"], p["start"], p["end"]) for p in calendar.working_hours],
            [(str(h["date"]), h["name"]) for h in calendar.holidays],
        ),
        frozenset(calendar.around_the_clock),
    )


async def working_time_of(session: AsyncSession, desk_code: str) -> DeskWorkingTime:
    return working_time(await session.get(DeskCalendar, desk_code))


def progress_of(clock: SlaClockState) -> ClockProgress:
    return ClockProgress(
        target=timedelta(seconds=clock.target_s),
        elapsed=timedelta(seconds=clock.elapsed_s),
        counted_from=clock.counted_from,
    )


def _set_progress(
    clock: SlaClockState, progress: ClockProgress, working: DeskWorkingTime, urgency: str
) -> None:
    clock.target_s = progress.target.total_seconds()
    clock.elapsed_s = progress.elapsed.total_seconds()
    clock.counted_from = progress.counted_from
    clock.due_at = progress.due(working.for_urgency(urgency))


def start_clocks(
    session: AsyncSession,
    request: ServiceRequest,
    targets: domain.SlaTargets,
    working: DeskWorkingTime,
) -> list[dict[str, Any]]:
    """The request's clocks from submission, due after their targets in working time;
    those its intake status already stops (triage, when the client named products and
    the request went out at once) are started stopped.

    Rows kept for the journal's bulk INSERT (services/desks/journal.py), returned for
    intake's answer: nothing in the transaction needs them as ORM objects, which cost
    far more to build and flush than the rows."""
    stopped = domain.clocks_stopped_by_status(RequestStatus(request.status))
    calendar = working.for_urgency(request.urgency)
    started = request.created_at
    clocks = []
    for clock in SlaClock:
        target = timedelta(seconds=target_of(targets, request.urgency, clock.value))
        clocks.append(
            {
                "request_id": request.id,
                "clock": clock.value,
                "due_at": ClockProgress(target, timedelta(0), started).due(calendar),
                "stopped_at": started if clock in stopped else None,
                "breached_at": None,
                "escalated_to": None,
                "warned_at": None,
                "target_s": target.total_seconds(),
                "elapsed_s": 0.0,
                "counted_from": started,
            }
        )
    journal.keep(session, SLA_CLOCKS, clocks)
    return clocks


async def _running(session: AsyncSession, request_ids: Sequence[str]) -> list[SlaClockState]:
    """Clocks that still count: neither stopped nor breached (a breach stands)."""
    return list(
        (
            await session.scalars(
                select(SlaClockState).where(
                    col(SlaClockState.request_id).in_(request_ids),
                    col(SlaClockState.stopped_at).is_(None),
                    col(SlaClockState.breached_at).is_(None),
                )
            )
        ).all()
    )


async def resume_clocks(
    session: AsyncSession, request: ServiceRequest, *, paused_since: datetime, at: datetime
) -> None:
    """The wait that began at `paused_since` is over at `at`: running clocks keep the
    working time they had counted before it and count on from `at`."""
    working = await working_time_of(session, request.desk_code)
    calendar = working.for_urgency(request.urgency)
    for clock in await _running(session, [request.id]):
        progress = replace(progress_of(clock).settled(calendar, paused_since), counted_from=at)
        _set_progress(clock, progress, working, request.urgency)
        session.add(clock)


async def paused_since(session: AsyncSession, request: ServiceRequest) -> datetime | None:
    """When the request's current wait began, if it waits (its clocks do not run)."""
    if request.status == RequestStatus.on_hold.value:
        return request.held_since
    if request.status == RequestStatus.awaiting_approval.value:
        return await session.scalar(
            select(col(RequestApproval.requested_at)).where(
                col(RequestApproval.request_id) == request.id,
                col(RequestApproval.decision).is_(None),
            )
        )
    return None


async def recompute_open_clocks(
    session: AsyncSession,
    requests: Sequence[ServiceRequest],
    *,
    before: DeskWorkingTime,
    after: DeskWorkingTime,
    at: datetime,
    targets: domain.SlaTargets | None = None,
) -> int:
    """A desk's calendar (`before` -> `after`) or the targets changed at `at`: each
    running clock of `requests` counts in what it ran on the calendar it ran on (up to
    the start of a wait, for a waiting request), takes its configured target (when
    `targets` are given) and is due on the new calendar. Returns how many clocks were
    recomputed."""
    by_id = {request.id: request for request in requests}
    clocks = await _running(session, list(by_id))
    for clock in clocks:
        request = by_id[clock.request_id]
        until = await paused_since(session, request) or at
        progress = progress_of(clock).settled(before.for_urgency(request.urgency), until)
        if targets is not None:
            target = timedelta(seconds=target_of(targets, request.urgency, clock.clock))
            progress = replace(progress, target=target)
        _set_progress(clock, progress, after, request.urgency)
        session.add(clock)
    return len(clocks)


async def recompute_desk_clocks(
    session: AsyncSession,
    desk_code: str,
    *,
    before: DeskWorkingTime,
    after: DeskWorkingTime,
    at: datetime,
) -> int:
    """The desk's calendar changed: its running clocks are due on the new one, keeping
    what elapsed (`recompute_open_clocks`)."""
    requests = (
        await session.scalars(
            select(ServiceRequest)
            .where(
                col(ServiceRequest.desk_code) == desk_code,
                col(ServiceRequest.id).in_(
                    select(col(SlaClockState.request_id)).where(
                        col(SlaClockState.stopped_at).is_(None),
                        col(SlaClockState.breached_at).is_(None),
                    )
                ),
            )
            .with_for_update()
        )
    ).all()
    return await recompute_open_clocks(session, requests, before=before, after=after, at=at)


async def clock_times(
    session: AsyncSession, requests: Sequence[ServiceRequest], at: datetime
) -> list[SlaClockTime]:
    """Each clock's due time and the working time it has left at `at` (frozen while its
    request waits), on its desk's calendar."""
    desks = {request.desk_code for request in requests}
    calendars = (
        await session.scalars(select(DeskCalendar).where(col(DeskCalendar.desk_code).in_(desks)))
    ).all()
    working = {calendar.desk_code: working_time(calendar) for calendar in calendars}
    by_id = {request.id: request for request in requests}
    clocks = (
        await session.scalars(
            select(SlaClockState)
            .where(col(SlaClockState.request_id).in_(list(by_id)))
            .order_by(col(SlaClockState.request_id), col(SlaClockState.due_at))
        )
    ).all()
    waits = {request.id: await paused_since(session, request) for request in requests}
    times = []
    for clock in clocks:
        request = by_id[clock.request_id]
        paused = waits[request.id] if clock.stopped_at is None else None
        calendar = working.get(request.desk_code, ALWAYS_OPEN_DESK).for_urgency(request.urgency)
        remaining = (
            None
            if clock.stopped_at is not None
            else progress_of(clock).remaining(calendar, paused or at).total_seconds()
        )
        times.append(
            SlaClockTime(
                request_id=clock.request_id,
                clock=clock.clock,
                due_at=clock.due_at,
                remaining_working_seconds=remaining,
                paused=paused is not None,
            )
        )
    return times
