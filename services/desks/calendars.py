"""Business calendars and working time: the one place where SLA clocks count time.

A desk's calendar is an IANA time zone, working periods per weekday (a split day has
several) and holidays (local dates). Working time is real elapsed time spent inside
the working periods, read on the desk's wall clock: a period 01:00-05:00 on the night
the clocks go forward holds three hours, on the night they go back five.

Pure functions, no I/O and no clock: callers pass every instant in. Every loop walks
day by day and is bounded by `HORIZON_DAYS`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from zoneinfo import ZoneInfo, available_timezones

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DAY_MINUTES = 24 * 60
MAX_PERIODS_PER_DAY = 4
MAX_HOLIDAYS = 400
MAX_HOLIDAY_NAME = 120
# How far working time is counted: beyond it a calendar's answer is refused rather
# than looped for (50 years of days; a valid calendar works at least once a week).
HORIZON_DAYS = 366 * 50
_CLOCK_TIME = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")


class CalendarError(ValueError):
    """Input that does not make a calendar; `field` names what is wrong."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class WorkingCalendar:
    """When a desk works: `periods[weekday]` (Monday is 0) are (start, end) minutes after
    local midnight, sorted and disjoint; `holidays` are local dates off."""

    zone: ZoneInfo
    periods: tuple[tuple[tuple[int, int], ...], ...]
    holidays: frozenset[date] = frozenset()


# Working time equals elapsed time: the calendar of a desk without one, and of the
# urgencies a desk keeps around the clock.
ALWAYS_OPEN = WorkingCalendar(ZoneInfo("UTC"), tuple(((0, DAY_MINUTES),) for _ in WEEKDAYS))


# --- Reading a calendar from its data ---------------------------------------------


# Files of the zone database that are no zone of their own: the machine's own setting
# ("localtime") or tzdata's placeholder ("Factory").
_NOT_ZONES = frozenset({"localtime", "Factory", "posixrules"})


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones()) - _NOT_ZONES


def zone_of(name: str) -> ZoneInfo:
    """The IANA zone called `name` (e.g. Africa/Bamako), or CalendarError."""
    if name not in _zone_names():
        raise CalendarError(f"{name!r} is not an IANA time zone (e.g. Africa/Bamako)", "timeZone")
    return ZoneInfo(name)


def minutes_of(clock_time: str, *, field: str) -> int:
    """ "08:30" as minutes after midnight; "24:00" is the end of the day."""
    match = _CLOCK_TIME.match(clock_time)
    minutes = int(match[1]) * 60 + int(match[2]) if match else -1
    if not 0 <= minutes <= DAY_MINUTES:
        raise CalendarError(f"{clock_time!r} is not a time of day (HH:MM, 00:00-24:00)", field)
    return minutes


def clock_time_of(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def periods_by_weekday(
    periods: Iterable[tuple[str, str, str]],
) -> tuple[tuple[tuple[int, int], ...], ...]:
    """(weekday, start, end) rows as sorted, disjoint minute ranges per weekday; an end
    before its start, periods that overlap, too many in a day or a week without any
    working time are CalendarError. Periods that touch are joined."""
    days: list[list[tuple[int, int]]] = [[] for _ in WEEKDAYS]
    for weekday, start, end in periods:
        if weekday not in WEEKDAYS:
            raise CalendarError(f"{weekday!r} is not a weekday ({', '.join(WEEKDAYS)})", "hours")
        begin, finish = minutes_of(start, field="hours"), minutes_of(end, field="hours")
        if finish <= begin:
            raise CalendarError(f"{weekday} {start}-{end}: the end is not after the start", "hours")
        days[WEEKDAYS.index(weekday)].append((begin, finish))
    if not any(days):
        raise CalendarError("a calendar needs working hours on at least one weekday", "hours")
    return tuple(_joined(weekday, sorted(day)) for weekday, day in zip(WEEKDAYS, days, strict=True))


def _joined(weekday: str, day: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    if len(day) > MAX_PERIODS_PER_DAY:
        raise CalendarError(f"{weekday}: at most {MAX_PERIODS_PER_DAY} periods a day", "hours")
    joined: list[tuple[int, int]] = []
    for begin, finish in day:
        if joined and begin < joined[-1][1]:
            previous = joined[-1]
            raise CalendarError(
                f"{weekday}: {clock_time_of(begin)}-{clock_time_of(finish)} overlaps "
                f"{clock_time_of(previous[0])}-{clock_time_of(previous[1])}",
                "hours",
            )
        if joined and begin == joined[-1][1]:
            joined[-1] = (joined[-1][0], finish)
        else:
            joined.append((begin, finish))
    return tuple(joined)


def holiday_dates(holidays: Sequence[tuple[str, str | None]]) -> dict[date, str | None]:
    """(YYYY-MM-DD, optional name) rows as dates; a bad or repeated date, an overlong
    name or more than MAX_HOLIDAYS are CalendarError."""
    if len(holidays) > MAX_HOLIDAYS:
        raise CalendarError(f"at most {MAX_HOLIDAYS} holidays", "holidays")
    dates: dict[date, str | None] = {}
    for text, name in holidays:
        try:
            day = date.fromisoformat(text) if len(text) == 10 else None
        except ValueError:
            day = None
        if day is None:
            raise CalendarError(f"holiday {text!r} is not a date (YYYY-MM-DD)", "holidays")
        if day in dates:
            raise CalendarError(f"holiday {text} is given twice", "holidays")
        if name is not None and len(name) > MAX_HOLIDAY_NAME:
            raise CalendarError(
                f"holiday {text}: a name has at most {MAX_HOLIDAY_NAME} characters", "holidays"
            )
        dates[day] = name
    return dict(sorted(dates.items()))


def working_calendar(
    time_zone: str,
    periods: Iterable[tuple[str, str, str]],
    holidays: Sequence[tuple[str, str | None]] = (),
) -> WorkingCalendar:
    """A calendar from its data, validated (CalendarError names the first fault)."""
    return WorkingCalendar(
        zone=zone_of(time_zone),
        periods=periods_by_weekday(periods),
        holidays=frozenset(holiday_dates(holidays)),
    )


# --- Working time ------------------------------------------------------------------


def add_working(calendar: WorkingCalendar, start: datetime, duration: timedelta) -> datetime:
    """The instant at which `duration` of working time has passed since `start` (a
    clock started outside working hours begins counting at the next period)."""
    left = duration
    if left <= timedelta(0):
        return start
    for begin, end in _windows(calendar, start):
        if end - begin >= left:
            return begin + left
        left -= end - begin
    raise CalendarError("the working time is beyond the calendar's horizon", "hours")


def working_between(calendar: WorkingCalendar, start: datetime, end: datetime) -> timedelta:
    """Working time from `start` to `end` (zero when `end` is not after `start`)."""
    total = timedelta(0)
    if end <= start:
        return total
    for begin, finish in _windows(calendar, start):
        if begin >= end:
            break
        total += min(finish, end) - begin
    return total


def _windows(calendar: WorkingCalendar, start: datetime) -> Iterator[tuple[datetime, datetime]]:
    """The working periods from `start` on as UTC instants, in order, disjoint and cut
    at `start`; at most HORIZON_DAYS days."""
    cursor = start.astimezone(UTC)
    day = cursor.astimezone(calendar.zone).date() - timedelta(days=1)
    for _ in range(HORIZON_DAYS):
        if day not in calendar.holidays:
            for begin_minute, end_minute in calendar.periods[day.weekday()]:
                begin = max(_instant(calendar.zone, day, begin_minute, later=False), cursor)
                end = _instant(calendar.zone, day, end_minute, later=True)
                if end > begin:
                    yield begin, end
                    cursor = end
        day += timedelta(days=1)


# Pure, and asked for the same few local times over and over: every clock a desk starts
# walks the same days' periods (hundreds of instants per new request, each a few zone
# conversions). Keyed by zone, day, minute and side, so a bounded cache serves them all.
@lru_cache(maxsize=8192)
def _instant(zone: ZoneInfo, day: date, minute: int, *, later: bool) -> datetime:
    """The UTC instant of a local time: in a repeated hour (clocks going back) a period
    starts at the earlier and ends at the later occurrence; a time the clocks skip
    (going forward) is when the wall clock first shows it or later."""
    if minute == DAY_MINUTES:
        day, minute = day + timedelta(days=1), 0
    local = datetime.combine(day, time(minute // 60, minute % 60))
    earlier = local.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if earlier.astimezone(zone).replace(tzinfo=None) != local:
        return _first_shown(zone, local, local.replace(tzinfo=zone, fold=1).astimezone(UTC))
    return local.replace(tzinfo=zone, fold=1).astimezone(UTC) if later else earlier


def _first_shown(zone: ZoneInfo, local: datetime, low: datetime) -> datetime:
    """The first instant from `low` (before a skipped hour) at which the wall clock in
    `zone` shows `local` or later: the moment the clocks went forward (whole seconds)."""
    high = low + timedelta(days=1)
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        middle = middle.replace(microsecond=0)
        if middle.astimezone(zone).replace(tzinfo=None) >= local:
            high = middle
        else:
            low = middle
    return high


# --- A desk's calendar and its SLA clocks ------------------------------------------


@dataclass(frozen=True)
class DeskWorkingTime:
    """A desk's working calendar and the urgencies its clocks count around the clock
    (an emergency does not wait for Monday)."""

    working: WorkingCalendar
    around_the_clock: frozenset[str] = frozenset()

    def for_urgency(self, urgency: str) -> WorkingCalendar:
        return ALWAYS_OPEN if urgency in self.around_the_clock else self.working


ALWAYS_OPEN_DESK = DeskWorkingTime(ALWAYS_OPEN)


@dataclass(frozen=True)
class ClockProgress:
    """How far an SLA clock has run: `elapsed` working time counted up to `counted_from`,
    of a `target` of working time. A running clock's due time and remaining time follow
    from it and the calendar; a change of calendar or target keeps what elapsed."""

    target: timedelta
    elapsed: timedelta
    counted_from: datetime

    def due(self, calendar: WorkingCalendar) -> datetime:
        return add_working(calendar, self.counted_from, self.target - self.elapsed)

    def settled(self, calendar: WorkingCalendar, until: datetime) -> ClockProgress:
        """What elapsed up to `until` counted in, on the calendar it ran on."""
        ran = working_between(calendar, self.counted_from, until)
        return replace(self, elapsed=self.elapsed + ran, counted_from=max(until, self.counted_from))

    def remaining(self, calendar: WorkingCalendar, at: datetime) -> timedelta:
        """Working time left at `at`; negative once due (the working time overdue)."""
        return self.target - self.settled(calendar, at).elapsed


def target_of(targets_hours: Mapping[str, Mapping[str, float]], urgency: str, clock: str) -> float:
    """A clock's target in working seconds (DesksSettings.sla_targets_hours)."""
    return targets_hours[urgency][clock] * 3600.0
