"""The rules around the state machine: provider answers, where routings put a request,
routing refusals, versions, reasons, satisfaction, SLA clocks and metrics."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from contracts.events import SlaClock
from services.desks import domain
from services.desks.calendars import (
    WEEKDAYS,
    DeskWorkingTime,
    add_working,
    target_of,
    working_calendar,
)
from services.desks.domain import KnownProduct, RequestStatus, RoutingStatus
from services.desks.settings import DEFAULT_SLA_TARGETS_HOURS, DesksSettings
from shared.errors import DomainError, check_version

S = RequestStatus
R = RoutingStatus

FORWARD_ANSWERS = {
    (R.routed, R.accepted),
    (R.routed, R.declined),
    (R.routed, R.delivered),
    (R.accepted, R.delivered),
}


@pytest.mark.parametrize(("current", "answer"), list(itertools.product(R, R)))
def test_only_forward_answers_move_a_routing(current: R, answer: R) -> None:
    moved = domain.routing_after_answer(current, answer)
    assert moved is (answer if (current, answer) in FORWARD_ANSWERS else None)


@pytest.mark.parametrize(
    ("routings", "expected"),
    [
        ([], None),
        ([R.rerouted, R.unmet], None),
        ([R.routed], S.routed),
        ([R.accepted, R.routed], S.routed),
        ([R.accepted, R.accepted], S.in_progress),
        ([R.accepted, R.delivered], S.in_progress),
        ([R.delivered, R.delivered], S.delivered),
        ([R.delivered, R.unmet], S.delivered),
        ([R.accepted, R.declined], S.triaged),
        ([R.declined, R.rerouted, R.accepted], S.triaged),
        ([R.rerouted, R.accepted], S.in_progress),
    ],
)
def test_routings_say_where_the_request_is(routings: list[R], expected: S | None) -> None:
    assert domain.status_from_routings(routings) is expected


@pytest.mark.parametrize(
    ("current", "target", "path"),
    [
        (S.submitted, S.routed, [S.triaged, S.routed]),
        (S.triaged, S.in_progress, [S.routed, S.in_progress]),
        (S.routed, S.delivered, [S.in_progress, S.delivered]),
        (S.routed, S.triaged, [S.triaged]),
        (S.in_progress, S.delivered, [S.delivered]),
        (S.routed, S.routed, []),
        (S.routed, None, []),
        (S.on_hold, S.in_progress, []),
        (S.withdrawn, S.in_progress, []),
        (S.in_progress, S.triaged, []),
    ],
)
def test_path_to_moves_one_legal_step_at_a_time(
    current: S, target: S | None, path: list[S]
) -> None:
    assert domain.path_to(current, target) == path
    step = current
    for following in path:
        step = domain.transition(step, following)


FORM = {"type": "object", "required": ["x"], "properties": {"x": {"type": "string"}}}
CATALOG = {
    "A": KnownProduct("A", True, FORM),
    "B": KnownProduct("B", True, {}),
    "OLD": KnownProduct("OLD", False, {}),
}


def route(**changes: Any) -> None:
    arguments: dict[str, Any] = {
        "status": S.submitted,
        "products": ["A"],
        "details": {"A": {"x": "y"}},
        "catalog": CATALOG,
        "routings": [],
    }
    domain.validate_routing(**{**arguments, **changes})


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"status": S.routed}, "ILLEGAL_TRANSITION"),
        ({"status": S.closed}, "ILLEGAL_TRANSITION"),
        ({"products": []}, "BAD_USER_INPUT"),
        ({"products": ["A", "A"]}, "BAD_USER_INPUT"),
        ({"products": ["OLD"], "details": {}}, "UNKNOWN_PRODUCT"),
        ({"details": {"A": {"x": 1}}}, "INVALID_DETAILS"),
        ({"details": {"A": {"x": "y"}, "B": {}}}, "INVALID_DETAILS"),
        ({"status": S.triaged, "routings": [("B", R.declined)]}, "CONFLICT"),
        ({"status": S.triaged, "routings": [("A", R.accepted)]}, "CONFLICT"),
    ],
)
def test_routing_refusals_carry_a_code(changes: dict[str, Any], code: str) -> None:
    with pytest.raises(DomainError) as refused:
        route(**changes)
    assert refused.value.code == code


def test_a_product_can_be_routed_again_once_its_decline_is_resolved() -> None:
    route()
    route(status=S.triaged, routings=[("A", R.rerouted), ("B", R.accepted)])
    route(status=S.triaged, routings=[("A", R.unmet)])


def test_a_stale_version_is_a_conflict() -> None:
    check_version("the request", current=3, expected=3)
    with pytest.raises(DomainError) as refused:
        check_version("the request", current=4, expected=3)
    assert refused.value.code == "VERSION_CONFLICT"
    assert refused.value.details == {"current_version": 4, "expected_version": 3}


@pytest.mark.parametrize("reason", [None, "", "   ", "x" * 2_001])
def test_a_reason_is_required_and_bounded(reason: str | None) -> None:
    with pytest.raises(DomainError) as refused:
        domain.require_reason(reason, "a rejection")
    assert refused.value.code == "BAD_USER_INPUT"


def test_a_reason_is_trimmed() -> None:
    assert domain.require_reason("  out of mandate ", "a rejection") == "out of mandate"


@pytest.mark.parametrize(
    ("score", "ok"), [(None, True), (1, True), (5, True), (0, False), (6, False)]
)
def test_satisfaction_is_from_one_to_five(score: int | None, ok: bool) -> None:
    if ok:
        domain.check_satisfaction(score, "fine")
    else:
        with pytest.raises(DomainError):
            domain.check_satisfaction(score, None)


def test_resume_returns_where_the_request_was_held() -> None:
    assert domain.resume_status("routed") is S.routed
    assert domain.resume_status(None) is S.submitted


START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def test_due_times_follow_the_urgency_targets_in_working_time() -> None:
    office = working_calendar("UTC", [(day, "09:00", "17:00") for day in WEEKDAYS[:5]])
    desk = DeskWorkingTime(office, frozenset({"immediate"}))

    def due(urgency: str) -> dict[SlaClock, datetime]:
        calendar = desk.for_urgency(urgency)
        return {
            clock: add_working(
                calendar,
                START,
                timedelta(seconds=target_of(DEFAULT_SLA_TARGETS_HOURS, urgency, clock.value)),
            )
            for clock in SlaClock
        }

    assert due("immediate") == {
        SlaClock.acknowledge: START + timedelta(hours=1),
        SlaClock.triage: START + timedelta(hours=4),
        SlaClock.deliver: START + timedelta(days=7),
    }
    routine = due("routine")
    # Monday 09:00 + one working day: the end of Monday's; three: Wednesday's.
    assert routine[SlaClock.acknowledge] == START + timedelta(hours=8)
    assert routine[SlaClock.triage] == START + timedelta(days=2, hours=8)
    # Sixty working days: the twelfth Friday, 17:00.
    assert routine[SlaClock.deliver] == START + timedelta(weeks=11, days=4, hours=8)


@pytest.mark.parametrize(
    ("status", "stopped"),
    [
        (S.submitted, set()),
        (S.triaged, set()),
        (S.on_hold, set()),
        (S.routed, {SlaClock.triage}),
        (S.in_progress, {SlaClock.triage}),
        (S.delivered, {SlaClock.triage, SlaClock.deliver}),
        (S.closed, set(SlaClock)),
        (S.rejected, set(SlaClock)),
        (S.withdrawn, set(SlaClock)),
    ],
)
def test_statuses_stop_clocks(status: S, stopped: set[SlaClock]) -> None:
    assert domain.clocks_stopped_by_status(status) == stopped


def test_sla_targets_must_cover_every_urgency_and_clock() -> None:
    targets = {urgency: dict(hours) for urgency, hours in DEFAULT_SLA_TARGETS_HOURS.items()}
    del targets["immediate"]["deliver"]
    with pytest.raises(ValueError, match=r"immediate\.deliver"):
        DesksSettings(sla_targets_hours=targets)
    assert DesksSettings(sla_targets_hours=DEFAULT_SLA_TARGETS_HOURS).sla_targets_hours


def test_time_in_status_adds_up_to_the_request_life() -> None:
    changes = [
        domain.StatusSpan(START + timedelta(hours=2), "triaged"),
        domain.StatusSpan(START + timedelta(hours=3), "routed"),
        domain.StatusSpan(START + timedelta(hours=4), "triaged"),
        domain.StatusSpan(START + timedelta(hours=6), "routed"),
    ]
    spent = domain.time_in_status(START, changes, START + timedelta(hours=10))
    assert spent == {"submitted": 7200.0, "triaged": 3 * 3600.0, "routed": 5 * 3600.0}


def test_a_finished_request_stops_counting() -> None:
    changes = [domain.StatusSpan(START + timedelta(hours=1), "withdrawn")]
    spent = domain.time_in_status(START, changes, START + timedelta(days=30))
    assert spent == {"submitted": 3600.0}


def test_hand_offs_count_routings_declines_and_reassignments() -> None:
    assert domain.hand_offs(routings=0, declines=0, owner_changes=0) == 0
    assert domain.hand_offs(routings=1, declines=0, owner_changes=1) == 1
    assert domain.hand_offs(routings=3, declines=1, owner_changes=3) == 6
