from __future__ import annotations

import itertools
from typing import Any

import pytest

from services.desks import domain
from services.desks.domain import (
    TRANSITIONS,
    KnownProduct,
    RequestStatus,
    RoutingStatus,
    status_after_engagement_answer,
    transition,
)
from shared.errors import DomainError

S = RequestStatus
ALLOWED = {
    (S.submitted, S.triaged), (S.submitted, S.on_hold), (S.submitted, S.rejected), (S.submitted, S.withdrawn),
    (S.triaged, S.routed), (S.triaged, S.on_hold), (S.triaged, S.rejected), (S.triaged, S.withdrawn),
    (S.routed, S.in_progress), (S.routed, S.triaged), (S.routed, S.on_hold), (S.routed, S.withdrawn),
    (S.in_progress, S.delivered), (S.in_progress, S.on_hold), (S.in_progress, S.withdrawn),
    (S.delivered, S.closed), (S.delivered, S.in_progress), (S.delivered, S.triaged),
    (S.closed, S.triaged),
    (S.on_hold, S.submitted), (S.on_hold, S.triaged), (S.on_hold, S.routed), (S.on_hold, S.in_progress),
    (S.on_hold, S.withdrawn),
    (S.submitted, S.awaiting_approval),
    (S.awaiting_approval, S.submitted), (S.awaiting_approval, S.rejected),
    (S.awaiting_approval, S.withdrawn),
    # Merged as a duplicate: from every open status.
    (S.submitted, S.merged), (S.awaiting_approval, S.merged), (S.triaged, S.merged),
    (S.routed, S.merged), (S.in_progress, S.merged), (S.on_hold, S.merged),
}  # fmt: skip


@pytest.mark.parametrize(("current", "target"), list(itertools.product(S, S)))
def test_every_transition_is_allowed_or_refused_as_the_table_says(current: S, target: S) -> None:
    if (current, target) in ALLOWED:
        assert transition(current, target) is target
    else:
        with pytest.raises(DomainError) as refused:
            transition(current, target)
        assert refused.value.code == "ILLEGAL_TRANSITION"


def test_terminal_statuses_lead_nowhere_but_a_closed_request_back_to_its_desk() -> None:
    assert not TRANSITIONS[S.rejected] and not TRANSITIONS[S.withdrawn]
    assert TRANSITIONS[S.closed] == {S.triaged}  # reopened or disputed by its client


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ([RoutingStatus.accepted], S.in_progress),
        ([RoutingStatus.accepted, RoutingStatus.routed], None),
        ([RoutingStatus.accepted, RoutingStatus.declined], S.triaged),
        ([RoutingStatus.declined], S.triaged),
        ([], None),
    ],
)
def test_provider_answers_move_a_routed_request(
    answers: list[RoutingStatus], expected: S | None
) -> None:
    assert status_after_engagement_answer(S.routed, answers) is expected


def test_answers_do_not_move_a_request_that_left_routed() -> None:
    assert status_after_engagement_answer(S.withdrawn, [RoutingStatus.accepted]) is None


FORM = {
    "type": "object",
    "required": ["election_date"],
    "properties": {"election_date": {"type": "string"}},
}
CATALOG = {
    "ELECTORAL_ASSISTANCE": KnownProduct("ELECTORAL_ASSISTANCE", True, FORM),
    "OLD_PRODUCT": KnownProduct("OLD_PRODUCT", False, {}),
}


def intake(**changes: Any) -> None:
    arguments: dict[str, Any] = {
        "title": "Help",
        "description": "",
        "products": ["ELECTORAL_ASSISTANCE"],
        "details": {"ELECTORAL_ASSISTANCE": {"election_date": "2027-01-01"}},
        "catalog": CATALOG,
        "details_size": 10,
    }
    domain.validate_intake(**{**arguments, **changes})


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"title": " "}, "BAD_USER_INPUT"),
        ({"title": "x" * 201}, "BAD_USER_INPUT"),
        ({"description": "x" * 10_001}, "BAD_USER_INPUT"),
        ({"products": ["ELECTORAL_ASSISTANCE", "ELECTORAL_ASSISTANCE"]}, "BAD_USER_INPUT"),
        ({"products": ["NOPE"], "details": {}}, "UNKNOWN_PRODUCT"),
        ({"products": ["OLD_PRODUCT"], "details": {}}, "UNKNOWN_PRODUCT"),
        ({"details": {}}, "INVALID_DETAILS"),
        ({"details": {"ELECTORAL_ASSISTANCE": {"election_date": 2027}}}, "INVALID_DETAILS"),
        ({"details_size": 70_000}, "INVALID_DETAILS"),
    ],
)
def test_intake_refusals_carry_a_code(changes: dict[str, Any], code: str) -> None:
    with pytest.raises(DomainError) as refused:
        intake(**changes)
    assert refused.value.code == code


def test_a_valid_request_passes_intake() -> None:
    intake()
    intake(products=[], details={})


def test_named_products_are_triaged_and_routed_at_intake() -> None:
    assert domain.intake_path(["X"]) == [S.submitted, S.triaged, S.routed]
    assert domain.intake_path([]) == [S.submitted]
