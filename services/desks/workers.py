"""The SLA scheduler: a periodic tick that breaches the clocks that ran out, one that
warns once of a clock about to run out (RequestSlaAtRisk, for notifications), and one
that recomputes the running clocks whose target is no longer the configured one.

Each tick takes a bounded batch of clocks that are due, neither stopped nor
breached, of requests not on hold
or awaiting approval; for each it records the breach and the
escalation (clock row, timeline, RequestSlaBreached through the outbox) in one
transaction. A clock is breached at most once: the tick selects only unbreached
clocks, and on PostgreSQL locks them (SKIP LOCKED) so two replicas never pick the
same clock; SQLite serialises writers.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlmodel import col

from contracts.enums import SlaClock, Urgency
from contracts.events import RequestSlaAtRisk, RequestSlaBreached
from services.desks.calendars import target_of
from services.desks.clocks import recompute_open_clocks, working_time_of
from services.desks.domain import PAUSING_STATUSES
from services.desks.models import ServiceRequest, SlaClockState
from services.desks.settings import DesksSettings
from services.desks.store import add_timeline
from shared.settings import ServiceSettings
from shared.workers import PeriodicWorker, WorkerContext

ACTOR = "desks:sla-scheduler"


async def breach_due_clocks(context: WorkerContext) -> int:
    """One tick: breach and escalate every due clock (up to a batch); return how many."""
    settings = context.settings
    assert isinstance(settings, DesksSettings)
    now = context.clock.now()
    query = _running_clocks(settings, col(SlaClockState.due_at) <= now)
    async with context.sessions() as session, session.begin():
        publisher = context.outbox.publisher(session)
        due = (await session.execute(query)).all()
        for clock, request in due:
            escalated_to = settings.sla_escalate_to.format(desk=request.desk_code)
            clock.breached_at, clock.escalated_to = now, escalated_to
            session.add(clock)
            breached = RequestSlaBreached(
                request_id=request.id,
                client_code=request.client_code,
                desk_code=request.desk_code,
                clock=SlaClock(clock.clock),
                urgency=Urgency(request.urgency),
                due_at=clock.due_at,
                breached_at=now,
                escalated_to=escalated_to,
            )
            publisher.publish(breached)
            add_timeline(
                session,
                request.id,
                at=now,
                event_type=breached.type,
                actor=ACTOR,
                summary=f"{clock.clock} SLA breached (due {clock.due_at:%Y-%m-%d %H:%M} UTC); "
                f"escalated to {escalated_to}",
            )
    return len(due)


async def warn_clocks_at_risk(context: WorkerContext) -> int:
    """One tick: warn once of every clock about to run out (up to a batch); return how
    many. The same conditions as a breach, within `sla_warn_before_s` of the due time."""
    settings = context.settings
    assert isinstance(settings, DesksSettings)
    if settings.sla_warn_before_s == 0:
        return 0
    now = context.clock.now()
    query = _running_clocks(
        settings,
        col(SlaClockState.due_at) <= now + timedelta(seconds=settings.sla_warn_before_s),
        col(SlaClockState.due_at) > now,
        col(SlaClockState.warned_at).is_(None),
    )
    async with context.sessions() as session, session.begin():
        publisher = context.outbox.publisher(session)
        at_risk = (await session.execute(query)).all()
        for clock, request in at_risk:
            clock.warned_at = now
            session.add(clock)
            publisher.publish(
                RequestSlaAtRisk(
                    request_id=request.id,
                    client_code=request.client_code,
                    desk_code=request.desk_code,
                    clock=SlaClock(clock.clock),
                    urgency=Urgency(request.urgency),
                    due_at=clock.due_at,
                    warned_at=now,
                    escalated_to=settings.sla_escalate_to.format(desk=request.desk_code),
                )
            )
    return len(at_risk)


async def retarget_clocks(context: WorkerContext) -> int:
    """One tick: the running clocks whose target differs from ONEDOOR_SLA_TARGETS_HOURS
    (changed since they started) take the configured one, keeping the working time they
    had counted, and are due anew (up to a batch of requests); return how many clocks."""
    settings = context.settings
    assert isinstance(settings, DesksSettings)
    targets = settings.sla_targets_hours
    other_target = or_(
        *(
            and_(
                col(ServiceRequest.urgency) == urgency,
                col(SlaClockState.clock) == clock,
                col(SlaClockState.target_s) != target_of(targets, urgency, clock),
            )
            for urgency in targets
            for clock in targets[urgency]
        )
    )
    retargeted = (
        select(col(SlaClockState.request_id))
        .join(ServiceRequest, col(ServiceRequest.id) == col(SlaClockState.request_id))
        .where(
            col(SlaClockState.stopped_at).is_(None),
            col(SlaClockState.breached_at).is_(None),
            other_target,
        )
        .distinct()
        .limit(settings.sla_scheduler_batch)
    )
    query = select(ServiceRequest).where(col(ServiceRequest.id).in_(retargeted))
    async with context.sessions() as session, session.begin():
        requests = (await session.scalars(query)).all()
        recomputed = 0
        for desk_code in sorted({request.desk_code for request in requests}):
            working = await working_time_of(session, desk_code)
            recomputed += await recompute_open_clocks(
                session,
                [request for request in requests if request.desk_code == desk_code],
                before=working,
                after=working,
                at=context.clock.now(),
                targets=targets,
            )
    return recomputed


def _running_clocks(
    settings: DesksSettings, *conditions: ColumnElement[bool]
) -> Select[SlaClockState, ServiceRequest]:
    """A batch of running clocks (neither stopped nor breached, of requests whose clocks
    are not paused: on hold or awaiting approval)
    that also meet `conditions`, soonest due first, each locked (skipping those another
    tick holds) with its request."""
    return (
        select(SlaClockState, ServiceRequest)
        .join(ServiceRequest, col(ServiceRequest.id) == col(SlaClockState.request_id))
        .where(
            col(SlaClockState.stopped_at).is_(None),
            col(SlaClockState.breached_at).is_(None),
            col(ServiceRequest.status).not_in([status.value for status in PAUSING_STATUSES]),
            *conditions,
        )
        .order_by(col(SlaClockState.due_at))
        .limit(settings.sla_scheduler_batch)
        .with_for_update(of=SlaClockState, skip_locked=True)
    )


def _interval(settings: ServiceSettings) -> float:
    return settings.sla_scheduler_interval_s if isinstance(settings, DesksSettings) else 30.0


SLA_SCHEDULER = PeriodicWorker("sla-scheduler", breach_due_clocks, _interval)
SLA_WARNER = PeriodicWorker("sla-warner", warn_clocks_at_risk, _interval)
SLA_RETARGET = PeriodicWorker("sla-retarget", retarget_clocks, _interval)
