"""Working time on a desk's business calendar (services/desks/calendars.py): weekends,
holidays, split days, clocks started outside working hours, daylight saving time, long
spans, and the validation of a calendar's data."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.desks.calendars import (
    ALWAYS_OPEN,
    HORIZON_DAYS,
    MAX_HOLIDAYS,
    CalendarError,
    ClockProgress,
    DeskWorkingTime,
    WorkingCalendar,
    add_working,
    working_between,
    working_calendar,
)

H = timedelta(hours=1)
M = timedelta(minutes=1)
WEEK = ("monday", "tuesday", "wednesday", "thursday", "friday")
# Bamako: UTC all year, so local times read as UTC ones.
BAMAKO = working_calendar(
    "Africa/Bamako",
    [(day, "08:00", "12:30") for day in WEEK] + [(day, "13:30", "17:00") for day in WEEK],
    [("2026-01-07", "A holiday"), ("2026-12-25", "Christmas Day")],
)
BRUSSELS = working_calendar("Europe/Brussels", [(day, "08:00", "17:00") for day in WEEK])


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_a_split_day_counts_only_its_periods() -> None:
    monday_9 = utc(2026, 1, 5, 9)
    assert add_working(BAMAKO, monday_9, 3 * H + 30 * M) == utc(2026, 1, 5, 12, 30)
    assert add_working(BAMAKO, monday_9, 4 * H) == utc(2026, 1, 5, 14, 0)
    assert add_working(BAMAKO, monday_9, 3 * H + 29 * M) == utc(2026, 1, 5, 12, 29)
    assert working_between(BAMAKO, monday_9, utc(2026, 1, 5, 17)) == 7 * H
    assert working_between(BAMAKO, utc(2026, 1, 5, 12, 30), utc(2026, 1, 5, 13, 30)) == 0 * H


def test_a_clock_started_outside_working_hours_begins_at_the_next_period() -> None:
    saturday_night = utc(2026, 1, 10, 23)
    assert add_working(BAMAKO, saturday_night, H) == utc(2026, 1, 12, 9)
    assert add_working(BAMAKO, utc(2026, 1, 5, 12, 45), H) == utc(2026, 1, 5, 14, 30)
    assert add_working(BAMAKO, utc(2026, 1, 5, 6), timedelta(0)) == utc(2026, 1, 5, 6)


def test_weekends_and_holidays_do_not_count() -> None:
    # Monday 09:00 + 8 working hours: Tuesday 09:00; + 16: Thursday (Wednesday is off).
    monday_9 = utc(2026, 1, 5, 9)
    assert add_working(BAMAKO, monday_9, 8 * H) == utc(2026, 1, 6, 9)
    assert add_working(BAMAKO, monday_9, 16 * H) == utc(2026, 1, 8, 9)
    friday_16 = utc(2026, 1, 9, 16)
    assert add_working(BAMAKO, friday_16, 2 * H) == utc(2026, 1, 12, 9)
    assert working_between(BAMAKO, friday_16, utc(2026, 1, 12, 9)) == 2 * H
    christmas_eve = utc(2026, 12, 24, 16)
    assert add_working(BAMAKO, christmas_eve, 2 * H) == utc(2026, 12, 28, 9)


def test_a_week_that_works_sunday_to_thursday() -> None:
    amman = working_calendar(
        "Asia/Amman", [(day, "08:00", "16:00") for day in ("sunday", *WEEK[:4])]
    )
    thursday_15_local = utc(2026, 1, 8, 12)  # Amman is UTC+3
    assert add_working(amman, thursday_15_local, 2 * H) == utc(2026, 1, 11, 6)


def test_the_night_clocks_go_forward_or_back_holds_real_hours() -> None:
    nights = working_calendar(
        "Europe/Brussels", [(day, "01:00", "05:00") for day in ("sunday", "monday")]
    )
    # 29 March 2026: 02:00 becomes 03:00; 25 October 2026: 03:00 becomes 02:00.
    spring, autumn = utc(2026, 3, 29, 0), utc(2026, 10, 25, 0)
    assert working_between(nights, spring - H, spring + 6 * H) == 3 * H
    assert working_between(nights, autumn - 2 * H, autumn + 6 * H) == 5 * H
    assert add_working(nights, spring - H, 3 * H) == utc(2026, 3, 29, 3)  # 05:00 CEST


def test_a_period_starting_in_the_skipped_hour_starts_when_the_clocks_go_forward() -> None:
    skipped = working_calendar("Europe/Brussels", [("sunday", "02:30", "04:00")])
    spring = utc(2026, 3, 29, 0)
    assert working_between(skipped, spring, spring + 4 * H) == H  # 03:00-04:00 CEST
    assert add_working(skipped, spring, M) == utc(2026, 3, 29, 1, 1)


def test_office_hours_across_daylight_saving_time_stay_office_hours() -> None:
    # Friday before the change to summer time, 16:00 CET (15:00 UTC) + 2 h: Monday 09:00
    # CEST, which is 07:00 UTC.
    assert add_working(BRUSSELS, utc(2026, 3, 27, 15), 2 * H) == utc(2026, 3, 30, 7)
    week = working_between(BRUSSELS, utc(2026, 3, 23), utc(2026, 4, 6))
    assert week == 2 * 5 * 9 * H
    new_york = working_calendar("America/New_York", [(day, "09:00", "17:00") for day in WEEK])
    assert add_working(new_york, utc(2026, 11, 2, 13), 8 * H) == utc(2026, 11, 2, 22)


def test_around_the_clock_is_elapsed_time() -> None:
    start = utc(2026, 3, 28, 22, 17)
    for hours in (0.5, 1, 7, 24 * 7, 24 * 400):
        assert add_working(ALWAYS_OPEN, start, hours * H) == start + hours * H
    midnight_to_midnight = working_calendar(
        "Europe/Brussels", [(day, "00:00", "24:00") for day in (*WEEK, "saturday", "sunday")]
    )
    assert working_between(midnight_to_midnight, start, start + 48 * H) == 48 * H
    desk = DeskWorkingTime(BAMAKO, frozenset({"immediate"}))
    assert desk.for_urgency("immediate") is ALWAYS_OPEN
    assert desk.for_urgency("routine") is BAMAKO


def test_adding_and_measuring_agree_over_random_instants() -> None:
    chosen = random.Random(11)
    for calendar in (BAMAKO, BRUSSELS):
        for _ in range(200):
            start = utc(2026, 1, 1) + timedelta(minutes=chosen.randrange(0, 60 * 24 * 365))
            duration = timedelta(minutes=chosen.randrange(1, 60 * 200))
            due = add_working(calendar, start, duration)
            assert working_between(calendar, start, due) == duration
            assert working_between(calendar, start, due - M) < duration


def test_many_years_are_counted_and_the_horizon_bounds_the_walk() -> None:
    ten_years = working_between(BAMAKO, utc(2026, 1, 1), utc(2036, 1, 1))
    assert ten_years == (2608 - 2) * 8 * H  # weekdays of 2026-2035, two holidays off
    assert add_working(BAMAKO, utc(2026, 1, 1), ten_years) <= utc(2036, 1, 1)
    with pytest.raises(CalendarError, match="horizon"):
        add_working(BAMAKO, utc(2026, 1, 1), HORIZON_DAYS * 24 * H)


def test_a_clock_keeps_what_elapsed_when_its_calendar_or_target_changes() -> None:
    monday_9 = utc(2026, 1, 5, 9)
    clock = ClockProgress(target=8 * H, elapsed=0 * H, counted_from=monday_9)
    assert clock.due(BAMAKO) == utc(2026, 1, 6, 9)
    # Five working hours on: Monday 15:00 (09:00-12:30, 13:30-15:00).
    at = utc(2026, 1, 5, 15)
    assert clock.remaining(BAMAKO, at) == 3 * H
    moved = clock.settled(BAMAKO, at)
    assert (moved.elapsed, moved.counted_from) == (5 * H, at)
    # Under a new calendar (Brussels hours, UTC+1 in January) three hours remain.
    assert moved.remaining(BRUSSELS, at) == 3 * H
    assert moved.due(BRUSSELS) == utc(2026, 1, 6, 9)  # 15-16 UTC, then 07-09 UTC
    longer = ClockProgress(target=10 * H, elapsed=moved.elapsed, counted_from=at)
    assert longer.remaining(BRUSSELS, at) == 5 * H
    # Past due the remaining time is the working time overdue, negative.
    assert clock.remaining(BAMAKO, utc(2026, 1, 6, 11)) == -2 * H


@pytest.mark.parametrize(
    ("zone", "periods", "holidays", "message"),
    [
        ("Mars/Olympus", [("monday", "08:00", "17:00")], [], "not an IANA time zone"),
        ("../etc/passwd", [("monday", "08:00", "17:00")], [], "not an IANA time zone"),
        ("localtime", [("monday", "08:00", "17:00")], [], "not an IANA time zone"),
        ("UTC", [("monday", "17:00", "08:00")], [], "the end is not after the start"),
        ("UTC", [("monday", "08:00", "12:00"), ("monday", "11:00", "13:00")], [], "overlaps"),
        ("UTC", [("monday", "8:00", "17:00")], [], "not a time of day"),
        ("UTC", [("monday", "08:00", "24:30")], [], "not a time of day"),
        ("UTC", [("someday", "08:00", "17:00")], [], "not a weekday"),
        ("UTC", [], [], "at least one weekday"),
        ("UTC", [("monday", f"{h:02d}:00", f"{h:02d}:30") for h in range(5)], [], "at most 4"),
        ("UTC", [("monday", "08:00", "17:00")], [("2026-02-30", None)], "not a date"),
        ("UTC", [("monday", "08:00", "17:00")], [("26-12-25", None)], "not a date"),
        ("UTC", [("monday", "08:00", "17:00")], [("2026-12-25", None)] * 2, "given twice"),
        ("UTC", [("monday", "08:00", "17:00")], [("2026-12-25", "x" * 121)], "at most 120"),
    ],
)
def test_bad_calendar_data_is_refused_with_what_is_wrong(
    zone: str, periods: list[tuple[str, str, str]], holidays: list[tuple[str, None]], message: str
) -> None:
    with pytest.raises(CalendarError, match=message):
        working_calendar(zone, periods, holidays)


def test_too_many_holidays_are_refused_and_touching_periods_join() -> None:
    many = [
        ((datetime(2026, 1, 1) + timedelta(days=n)).date().isoformat(), None) for n in range(401)
    ]
    with pytest.raises(CalendarError, match=f"at most {MAX_HOLIDAYS} holidays"):
        working_calendar("UTC", [("monday", "08:00", "17:00")], many)
    joined = working_calendar("UTC", [("monday", "12:00", "17:00"), ("monday", "08:00", "12:00")])
    assert joined.periods[0] == ((8 * 60, 17 * 60),)
    assert joined == WorkingCalendar(ZoneInfo("UTC"), joined.periods)
