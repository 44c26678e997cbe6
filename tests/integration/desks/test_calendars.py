"""Business calendars: SLA clocks count working time on their desk's calendar, and a
change of calendar or target recomputes the running clocks without losing what
elapsed. The test drives the clock from Monday 5 January 2026, 09:00 UTC; Africa II
works in Bamako (UTC all year) 08:00-12:30 and 13:30-17:00, Monday to Friday."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from services.desks.workers import retarget_clocks
from tests.integration.desks.conftest import DesksUnderTest

HOUR = timedelta(hours=1)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def clock_times(desks: DesksUnderTest, request_id: str) -> dict[str, dict[str, Any]]:
    response = await desks.http.get(
        "/sla-clocks", params={"request_id": request_id}, headers=desks.admin()
    )
    assert response.status_code == 200, response.text
    return {clock["clock"]: clock for clock in response.json()}


def calendar_body(version: int, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "expected_version": version,
        "time_zone": "UTC",
        "working_hours": [
            {"weekday": day, "start": "10:00", "end": "16:00"}
            for day in ("monday", "tuesday", "wednesday", "thursday", "friday")
        ],
        "holidays": [{"date": "2026-01-06", "name": "Epiphany"}],
        "around_the_clock": ["immediate"],
    }
    return {**body, **changes}


async def test_a_clock_that_used_five_of_eight_working_hours_keeps_three_under_a_new_calendar(
    desks: DesksUnderTest,
) -> None:
    admin = desks.admin()
    seeded = (await desks.http.get("/desk-calendars/AFRICA_II", headers=admin)).json()
    assert (seeded["time_zone"], seeded["around_the_clock"]) == ("Africa/Bamako", ["immediate"])
    assert seeded["working_hours"][:2] == [
        {"weekday": "monday", "start": "08:00", "end": "12:30"},
        {"weekday": "monday", "start": "13:30", "end": "17:00"},
    ]
    routine = await desks.submit(desks.client("MINUSMA"), urgency="routine")
    urgent = await desks.submit(desks.client("MINUSMA"), urgency="immediate")
    due = {clock["clock"]: at(clock["due_at"]) for clock in routine["sla"]}
    # One working day to acknowledge (Tuesday 09:00), three to triage (Thursday 09:00).
    assert due["acknowledge"] == at("2026-01-06T09:00:00+00:00")
    assert due["triage"] == at("2026-01-08T09:00:00+00:00")
    urgent_due = {clock["clock"]: at(clock["due_at"]) for clock in urgent["sla"]}
    assert urgent_due["acknowledge"] == at("2026-01-05T10:00:00+00:00")  # around the clock

    # Monday 15:00: five working hours gone (09:00-12:30, 13:30-15:00), three left.
    desks.clock.advance(6 * HOUR)
    assert (await clock_times(desks, routine["id"]))["acknowledge"][
        "remaining_working_seconds"
    ] == (3 * 3600)
    changed = await desks.http.put(
        "/desk-calendars/AFRICA_II", json=calendar_body(seeded["version"]), headers=admin
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["version"] == seeded["version"] + 1
    assert changed.json()["updated_by"] == "admin:dev-admin"

    times = await clock_times(desks, routine["id"])
    assert times["acknowledge"]["remaining_working_seconds"] == 3 * 3600
    # 15:00-16:00 Monday, Tuesday is a holiday now, 10:00-12:00 Wednesday.
    assert at(times["acknowledge"]["due_at"]) == at("2026-01-07T12:00:00+00:00")
    request = await desks.get(routine["id"])
    assert {c["clock"]: at(c["due_at"]) for c in request["sla"]}["acknowledge"] == at(
        "2026-01-07T12:00:00+00:00"
    )
    urgent_now = {c["clock"]: c["due_at"] for c in (await desks.get(urgent["id"]))["sla"]}
    assert at(urgent_now["deliver"]) == urgent_due["deliver"]

    # A target changed in the settings: the clock keeps its five hours, of ten now.
    targets = {**desks.settings.sla_targets_hours, "routine": {
        **desks.settings.sla_targets_hours["routine"], "acknowledge": 10.0}}  # fmt: skip
    context = replace(
        desks.worker_context(),
        settings=desks.settings.model_copy(update={"sla_targets_hours": targets}),
    )
    assert await retarget_clocks(context) == 3  # the routine request's running clocks
    assert await retarget_clocks(context) == 0
    times = await clock_times(desks, routine["id"])
    assert times["acknowledge"]["remaining_working_seconds"] == 5 * 3600
    assert at(times["acknowledge"]["due_at"]) == at("2026-01-07T14:00:00+00:00")

    # A wait does not count: two days on hold, and the five hours are still there.
    officer = desks.officer("AFRICA_II")
    held = await desks.act(routine["id"], "hold", officer, reason="waiting for the ministry")
    assert held.status_code == 200, held.text
    desks.clock.advance(48 * HOUR)
    paused = (await clock_times(desks, routine["id"]))["triage"]
    assert paused["paused"] is True
    resumed = await desks.act(routine["id"], "resume", officer)
    assert resumed.status_code == 200, resumed.text
    times = await clock_times(desks, routine["id"])
    assert times["triage"]["paused"] is False
    assert times["triage"]["remaining_working_seconds"] == paused["remaining_working_seconds"]
    assert times["acknowledge"]["remaining_working_seconds"] is None  # the hold acknowledged


async def test_a_bad_calendar_is_refused_and_changes_nothing(desks: DesksUnderTest) -> None:
    admin = desks.admin()
    before = (await desks.http.get("/desk-calendars/EUROPE", headers=admin)).json()
    version = before["version"]
    period = {"weekday": "monday", "start": "08:00", "end": "12:00"}
    refused = {
        "not an IANA time zone": calendar_body(version, time_zone="Europe/Atlantis"),
        "overlaps": calendar_body(
            version, working_hours=[period, {**period, "start": "11:00", "end": "13:00"}]
        ),
        "the end is not after the start": calendar_body(
            version, working_hours=[{**period, "start": "17:00", "end": "08:00"}]
        ),
        "at most 400 holidays": calendar_body(
            version,
            holidays=[
                {"date": (datetime(2026, 1, 1) + timedelta(days=n)).date().isoformat()}
                for n in range(401)
            ],
        ),
        "not a date": calendar_body(version, holidays=[{"date": "2026-13-01"}]),
    }
    for message, body in refused.items():
        answer = await desks.http.put("/desk-calendars/EUROPE", json=body, headers=admin)
        assert answer.status_code == 422, answer.text
        assert answer.json()["detail"]["code"] == "BAD_USER_INPUT"
        assert message in answer.json()["detail"]["message"]
    stale = await desks.http.put(
        "/desk-calendars/EUROPE", json=calendar_body(version + 1), headers=admin
    )
    assert stale.json()["detail"]["code"] == "VERSION_CONFLICT"
    officer = await desks.http.put(
        "/desk-calendars/EUROPE", json=calendar_body(version), headers=desks.officer("EUROPE")
    )
    assert officer.json()["detail"]["code"] == "FORBIDDEN"
    assert (await desks.http.get("/desk-calendars/EUROPE", headers=admin)).json() == before
    listed = (await desks.http.get("/desk-calendars", headers=admin)).json()
    assert [c["desk_code"] for c in listed] == [
        "AFRICA_I", "AFRICA_II", "AMERICAS", "ASIA_PACIFIC", "EUROPE", "MIDDLE_EAST_WEST_ASIA"
    ]  # fmt: skip
