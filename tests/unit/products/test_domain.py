from __future__ import annotations

import itertools

import pytest

from contracts.events import DeclineReason
from services.products.domain import TRANSITIONS, EngagementStatus, intake_decision, transition
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
