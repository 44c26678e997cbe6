"""Business calendars: each desk's time zone, working hours and holidays, on which its
SLA clocks count working time (an admin edits them; docs/desks.md), and the clocks'
time on them."""

from __future__ import annotations

import strawberry

from contracts.enums import Urgency
from contracts.http.desks.requests import DeskCalendarUpdate
from contracts.http.desks.responses import (
    DeskCalendarPublic,
    HolidayPublic,
    SlaClockTime,
    WorkingPeriodPublic,
)
from gateway.clients import service_path
from gateway.context import GatewayContext, group_by_request
from gateway.schema.common import (
    GatewayInfo,
    all_from_contract,
    code_arg,
    context_of,
    derived,
    from_contract,
)


@derived(WorkingPeriodPublic, description="One working period of a weekday, the desk's local time")
class WorkingPeriod:
    pass


@derived(HolidayPublic, description="A day off, a local date of the desk")
class Holiday:
    pass


@derived(DeskCalendarPublic, description="A desk's business calendar: its SLA clocks count "
         "working time on it")  # fmt: skip
class DeskCalendar:
    working_hours: list[WorkingPeriod]
    holidays: list[Holiday]


@derived(SlaClockTime, description="An SLA clock's due time and the working time it has left "
         "now, on its desk's business calendar")  # fmt: skip
class SlaClockTimeLeft:
    request_id: strawberry.ID


@strawberry.input(description="One working period: weekday (monday ... sunday), HH:MM to HH:MM")
class WorkingPeriodInput:
    weekday: str
    start: str
    end: str


@strawberry.input(description="A day off: YYYY-MM-DD, optionally named")
class HolidayInput:
    date: str
    name: str | None = None


@strawberry.input(description="A desk's whole calendar, replacing the one before")
class DeskCalendarInput:
    time_zone: str = strawberry.field(description="IANA time zone, e.g. Africa/Bamako")
    working_hours: list[WorkingPeriodInput]
    holidays: list[HolidayInput] = strawberry.field(default_factory=list)
    around_the_clock: list[Urgency] = strawberry.field(
        default_factory=list, description="Urgencies whose clocks count every hour"
    )


async def clock_times_by_request(
    context: GatewayContext, request_ids: list[str]
) -> list[list[SlaClockTime]]:
    items = await context.clients.desks.get(
        service_path("sla-clocks"),
        context.authorization,
        list[SlaClockTime],
        params={"request_id": request_ids},
    )
    return group_by_request(items, request_ids)


async def clock_times_of(info: GatewayInfo, request_id: str) -> list[SlaClockTimeLeft]:
    items = await context_of(info).loader(clock_times_by_request).load(request_id)
    return all_from_contract(SlaClockTimeLeft, items)


@strawberry.type
class CalendarsQuery:
    @strawberry.field(description="Every desk's business calendar, by desk code")
    async def desk_calendars(self, info: GatewayInfo) -> list[DeskCalendar]:
        context = context_of(info)
        items = await context.clients.desks.get(
            service_path("desk-calendars"), context.authorization, list[DeskCalendarPublic]
        )
        return all_from_contract(DeskCalendar, items)

    @strawberry.field(description="A desk's business calendar")
    async def desk_calendar(self, info: GatewayInfo, desk_code: str) -> DeskCalendar:
        context = context_of(info)
        answer = await context.clients.desks.get(
            service_path("desk-calendars", code_arg(desk_code, name="deskCode")),
            context.authorization,
            DeskCalendarPublic,
        )
        return from_contract(DeskCalendar, answer)


@strawberry.type
class CalendarsMutation:
    @strawberry.mutation(
        description="Admin: replace a desk's business calendar; its running SLA clocks keep "
        "the working time they counted and are due on the new calendar"
    )
    async def update_desk_calendar(
        self, info: GatewayInfo, desk_code: str, expected_version: int, input: DeskCalendarInput
    ) -> DeskCalendar:
        context = context_of(info)
        body = DeskCalendarUpdate.model_validate(
            {
                "expected_version": expected_version,
                "time_zone": input.time_zone,
                "working_hours": [vars(period) for period in input.working_hours],
                "holidays": [vars(holiday) for holiday in input.holidays],
                "around_the_clock": input.around_the_clock,
            }
        )
        answer = await context.clients.desks.put(
            service_path("desk-calendars", code_arg(desk_code, name="deskCode")),
            context.authorization,
            body,
            DeskCalendarPublic,
        )
        return from_contract(DeskCalendar, answer)
