"""Business calendars through the one door of the embedded stack: an admin reads and
replaces a desk's calendar (bad ones refused with BAD_USER_INPUT, others than admins
with FORBIDDEN), and a request's SLA clocks show their due time and the working time
left on it. The Americas desk is set around the clock, so the figures do not depend on
the hour the test runs at."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.auth import Role
from tests.e2e.conftest import Door

pytestmark = pytest.mark.e2e
SHARED_STACK = "e2e"

CALENDAR = "deskCode timeZone version updatedBy aroundTheClock workingHours { weekday start end } holidays { date name }"
CALENDARS = f"{{ deskCalendars {{ {CALENDAR} }} }}"
UPDATE = f"""mutation($desk: String!, $v: Int!, $input: DeskCalendarInput!) {{
  updateDeskCalendar(deskCode: $desk, expectedVersion: $v, input: $input) {{ {CALENDAR} }} }}"""
SUBMIT = """mutation($input: SubmitRequestInput!) { submitRequest(input: $input) { id } }"""
TIMES = """query($id: ID!) { request(id: $id) {
  slaClocks { clock dueAt } slaTimeLeft { clock dueAt remainingWorkingSeconds paused } } }"""
EVERY_DAY = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
AROUND_THE_CLOCK = {
    "timeZone": "America/Bogota",
    "workingHours": [{"weekday": day, "start": "00:00", "end": "24:00"} for day in EVERY_DAY],
    "holidays": [{"date": "2026-12-25", "name": "Christmas Day"}],
}


def code_of(answer: dict[str, Any]) -> str:
    return str(answer["errors"][0]["extensions"]["code"])


async def test_an_admin_sets_a_calendar_and_a_request_shows_its_working_time_left(
    door: Door,
) -> None:
    admin = door.headers(Role.admin)
    calendars = (await door.call(CALENDARS, admin))["data"]["deskCalendars"]
    americas = next(c for c in calendars if c["deskCode"] == "AMERICAS")
    assert americas["timeZone"] == "America/Bogota"
    version = americas["version"]

    unknown_zone = {**AROUND_THE_CLOCK, "timeZone": "America/Gotham"}
    refused = await door.call(UPDATE, admin, desk="AMERICAS", v=version, input=unknown_zone)
    assert code_of(refused) == "BAD_USER_INPUT"
    assert "not an IANA time zone" in refused["errors"][0]["message"]
    officer = door.headers(Role.desk_officer, desk="AMERICAS")
    forbidden = await door.call(UPDATE, officer, desk="AMERICAS", v=version, input=AROUND_THE_CLOCK)
    assert code_of(forbidden) == "FORBIDDEN"

    changed = await door.call(UPDATE, admin, desk="AMERICAS", v=version, input=AROUND_THE_CLOCK)
    calendar = changed["data"]["updateDeskCalendar"]
    assert (calendar["version"], calendar["holidays"]) == (
        version + 1,
        [{"date": "2026-12-25", "name": "Christmas Day"}],
    )
    stale = await door.call(UPDATE, admin, desk="AMERICAS", v=version, input=AROUND_THE_CLOCK)
    assert code_of(stale) == "VERSION_CONFLICT"

    client = door.headers(Role.client, client="HQ_POLICY_PLANNING")
    submitted = await door.call(
        SUBMIT, client, input={"title": "Briefing on the regional strategy", "urgency": "ROUTINE"}
    )
    request_id = submitted["data"]["submitRequest"]["id"]
    request = (await door.call(TIMES, client, id=request_id))["data"]["request"]
    left = {clock["clock"]: clock for clock in request["slaTimeLeft"]}
    assert {c["clock"]: c["dueAt"] for c in request["slaClocks"]} == {
        name: clock["dueAt"] for name, clock in left.items()
    }
    acknowledge = left["acknowledge"]
    assert acknowledge["paused"] is False
    # One working day (8 h) to acknowledge, around the clock: due 8 h after submission.
    assert 8 * 3600 - 120 < acknowledge["remainingWorkingSeconds"] <= 8 * 3600
    due = datetime.fromisoformat(acknowledge["dueAt"])
    until_due = due - datetime.now(UTC)
    assert abs(until_due - timedelta(seconds=acknowledge["remainingWorkingSeconds"])) < timedelta(
        minutes=2
    )
