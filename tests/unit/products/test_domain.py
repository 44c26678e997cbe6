from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
from jsonschema import Draft202012Validator

from contracts.events import DeclineReason
from services.products.domain import (
    OPEN,
    TRANSITIONS,
    EngagementStatus,
    Period,
    Unserved,
    check_booking,
    check_bookings_fit,
    check_capacity,
    check_deliverable_recorded,
    check_in_hand,
    check_languages,
    check_offered,
    check_period,
    check_request_form,
    check_sla_targets,
    due_at,
    intake_decision,
    transition,
    unmet_demand,
    utilisation,
)
from services.products.seed import CATALOG
from shared.errors import DomainError

E = EngagementStatus


@pytest.mark.parametrize(("current", "target"), list(itertools.product(E, E)))
def test_engagement_transitions_follow_the_table(current: E, target: E) -> None:
    if target in TRANSITIONS[current]:
        assert transition(current, target) is target
    else:
        with pytest.raises(DomainError):
            transition(current, target)


def test_the_happy_path_is_proposed_accepted_planning_deployed_delivered_closed() -> None:
    path = [E.proposed, E.accepted, E.planning, E.deployed, E.delivered, E.closed]
    for current, target in itertools.pairwise(path):
        assert target in TRANSITIONS[current]


def test_auto_accept_needs_a_free_slot() -> None:
    decide = intake_decision
    assert decide(product_active=True, auto_accept=True, capacity=2, active_engagements=1) == (
        E.accepted,
        None,
    )
    assert decide(product_active=True, auto_accept=True, capacity=2, active_engagements=2) == (
        E.proposed,
        None,
    )
    assert decide(product_active=True, auto_accept=False, capacity=9, active_engagements=0) == (
        E.proposed,
        None,
    )
    assert decide(product_active=False, auto_accept=True, capacity=9, active_engagements=0) == (
        E.declined,
        DeclineReason.out_of_mandate,
    )


def test_a_withdrawal_stops_every_engagement_not_yet_delivered() -> None:
    assert {E.proposed, E.accepted, E.planning, E.deployed} == OPEN
    assert E.withdrawn not in TRANSITIONS[E.delivered]
    assert TRANSITIONS[E.withdrawn] == frozenset()


def test_accepting_needs_a_free_slot() -> None:
    check_capacity(capacity=3, active_engagements=2)
    for active in (3, 4):
        with pytest.raises(DomainError) as refused:
            check_capacity(capacity=3, active_engagements=active)
        assert refused.value.code == "CAPACITY_EXCEEDED"
    with pytest.raises(DomainError):
        check_capacity(capacity=0, active_engagements=0)


def test_delivering_needs_a_deliverable() -> None:
    check_deliverable_recorded(1)
    with pytest.raises(DomainError) as refused:
        check_deliverable_recorded(0)
    assert refused.value.code == "DELIVERABLE_REQUIRED"


@pytest.mark.parametrize("status", list(E))
def test_experts_and_deliverables_only_while_work_is_in_hand(status: E) -> None:
    if status in {E.accepted, E.planning, E.deployed}:
        check_in_hand(status, "experts are assigned")
    else:
        with pytest.raises(DomainError):
            check_in_hand(status, "experts are assigned")


def days(start: int, end: int) -> Period:
    return Period(date(2026, 4, start), date(2026, 4, end))


@pytest.mark.parametrize(
    ("wanted", "code"),
    [
        (days(1, 5), None),
        (days(25, 30), None),
        (days(10, 12), "EXPERT_DOUBLE_BOOKED"),  # inside a booking
        (days(5, 10), "EXPERT_DOUBLE_BOOKED"),  # touches its first day
        (days(20, 21), "EXPERT_DOUBLE_BOOKED"),  # touches its last day
        (days(1, 30), "EXPERT_DOUBLE_BOOKED"),  # spans it
        (Period(date(2026, 3, 30), date(2026, 4, 2)), "EXPERT_UNAVAILABLE"),
        (Period(date(2026, 4, 29), date(2026, 5, 1)), "EXPERT_UNAVAILABLE"),
    ],
)
def test_a_booking_fits_a_window_and_overlaps_no_other(wanted: Period, code: str | None) -> None:
    available, booked = [days(1, 30)], [days(10, 20)]
    if code is None:
        check_booking(wanted=wanted, availability=available, bookings=booked)
    else:
        with pytest.raises(DomainError) as refused:
            check_booking(wanted=wanted, availability=available, bookings=booked)
        assert refused.value.code == code


def test_a_booking_must_fit_one_window_not_two_adjacent_ones() -> None:
    with pytest.raises(DomainError) as refused:
        check_booking(wanted=days(9, 11), availability=[days(1, 10), days(11, 20)], bookings=[])
    assert refused.value.code == "EXPERT_UNAVAILABLE"


def test_periods_end_after_they_start_and_languages_are_un_official() -> None:
    check_period(days(3, 3))
    with pytest.raises(DomainError):
        check_period(days(4, 3))
    check_languages(["ar", "zh", "en", "fr", "ru", "es"])
    with pytest.raises(DomainError):
        check_languages(["en", "pt"])


def test_request_forms_must_be_json_schemas_of_objects() -> None:
    for product in CATALOG:
        check_request_form(product["request_form"])
        check_sla_targets(product["sla_targets"])
    for broken in ({"type": "object", "required": "x"}, {"type": 7}, {"type": "array"}):
        with pytest.raises(DomainError) as refused:
            check_request_form(broken)
        assert refused.value.code == "INVALID_FORM"


def test_sla_targets_are_days_per_known_stage() -> None:
    check_sla_targets({"acknowledge": 1, "plan": 7, "deploy": 14, "deliver": 60})
    for broken in ({"teleport": 3}, {"deliver": 0}):
        with pytest.raises(DomainError):
            check_sla_targets(broken)


@pytest.mark.parametrize(
    ("code", "details", "valid"),
    [
        (
            "ELECTORAL_ASSISTANCE",
            {"election_type": "presidential", "election_date": "2027-07-01"},
            True,
        ),
        (
            "ELECTORAL_ASSISTANCE",
            {"election_type": "coronation", "election_date": "2027-07-01"},
            False,
        ),
        ("ELECTORAL_ASSISTANCE", {"election_type": "local"}, False),
        ("ELECTORAL_ASSISTANCE", {"election_type": "local", "election_date": "next spring"}, False),
        (
            "MEDIATION_SUPPORT",
            {"parties": ["Government", "Movement"], "confidentiality": "confidential"},
            True,
        ),
        (
            "MEDIATION_SUPPORT",
            {"parties": ["Government"], "confidentiality": "confidential"},
            False,
        ),
        ("MEDIATION_SUPPORT", {"parties": ["A", "B"], "confidentiality": "secret"}, False),
        (
            "MEDIATION_SUPPORT",
            {"parties": ["A", "B"], "confidentiality": "public", "languages": ["ar", "de"]},
            False,
        ),
        ("RULE_OF_LAW", {"sector": "corrections", "duration_weeks": 12}, True),
        ("POLITICAL_ANALYSIS", {"question": "short"}, False),
        ("HUMAN_RIGHTS", {"focus": "monitoring", "extra": 1}, False),
    ],
)
def test_the_seeded_forms_accept_realistic_details_and_refuse_wrong_ones(
    code: str, details: dict[str, object], valid: bool
) -> None:
    form = next(product["request_form"] for product in CATALOG if product["code"] == code)
    errors = list(Draft202012Validator(form).iter_errors(details))
    assert (not errors) is valid, errors


def test_the_next_step_is_due_by_the_products_sla_counted_from_routing() -> None:
    routed_at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    targets = {"acknowledge": 2, "plan": 14, "deploy": 45}
    assert due_at(E.proposed, routed_at, targets) == routed_at + timedelta(days=2)
    assert due_at(E.accepted, routed_at, targets) == routed_at + timedelta(days=14)
    assert due_at(E.planning, routed_at, targets) == routed_at + timedelta(days=45)
    assert due_at(E.deployed, routed_at, targets) is None  # no deliver target
    for finished in (E.delivered, E.closed, E.declined, E.withdrawn):
        assert due_at(finished, routed_at, targets) is None


def test_utilisation_counts_the_slots_taken() -> None:
    by_status = {"proposed": 4, "accepted": 1, "planning": 2, "deployed": 3, "delivered": 9}
    assert utilisation(12, by_status) == (6, 0.5)
    assert utilisation(4, by_status) == (6, 1.5)  # capacity lowered below the work in hand
    assert utilisation(0, {}) == (0, 0.0)


def test_unmet_demand_counts_reasons_and_each_request_once() -> None:
    figures = unmet_demand(
        ["RULE_OF_LAW", "HUMAN_RIGHTS"],
        [
            Unserved("RULE_OF_LAW", "r1", "needs_partner"),
            Unserved("RULE_OF_LAW", "r2", "capacity"),
            Unserved("ELECTORAL_ASSISTANCE", "r9", "capacity"),  # not in scope
        ],
        [Unserved("RULE_OF_LAW", "r1", "needs_partner"), Unserved("RULE_OF_LAW", "r3", "capacity")],
    )
    rule_of_law = figures["RULE_OF_LAW"]
    assert rule_of_law.declined_by_reason == {"needs_partner": 1, "capacity": 1}
    assert rule_of_law.recorded_by_reason == {"needs_partner": 1, "capacity": 1}
    assert rule_of_law.requests == {"r1", "r2", "r3"}
    assert figures["HUMAN_RIGHTS"].requests == set()
    assert set(figures) == {"RULE_OF_LAW", "HUMAN_RIGHTS"}


def test_new_availability_must_cover_every_live_booking() -> None:
    check_bookings_fit(availability=[days(1, 30)], bookings=[days(10, 20)])
    check_bookings_fit(availability=[], bookings=[])
    with pytest.raises(DomainError) as refused:
        check_bookings_fit(availability=[days(1, 15), days(16, 30)], bookings=[days(10, 20)])
    assert refused.value.code == "CONFLICT"


def test_a_retired_product_takes_nothing_new_on() -> None:
    check_offered(True)
    with pytest.raises(DomainError) as refused:
        check_offered(False)
    assert refused.value.code == "PRODUCT_INACTIVE"
