"""Engagement rules: the state machine and the intake decision. Pure, no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from contracts.events import DeclineReason
from shared.state_machine import StateMachine


class EngagementStatus(StrEnum):
    proposed = "proposed"
    accepted = "accepted"
    declined = "declined"
    planning = "planning"
    deployed = "deployed"
    delivered = "delivered"
    closed = "closed"


S = EngagementStatus
TRANSITIONS: Mapping[EngagementStatus, frozenset[EngagementStatus]] = {
    S.proposed: frozenset({S.accepted, S.declined}),
    S.accepted: frozenset({S.planning}),
    S.planning: frozenset({S.deployed}),
    S.deployed: frozenset({S.delivered}),
    S.delivered: frozenset({S.closed}),
    S.declined: frozenset(),
    S.closed: frozenset(),
}

# Engagements that hold a slot of the provider's capacity.
ACTIVE = frozenset({S.accepted, S.planning, S.deployed})


transition = StateMachine("an engagement", TRANSITIONS).move


def intake_decision(
    *, product_active: bool, auto_accept: bool, capacity: int, active_engagements: int
) -> tuple[EngagementStatus, DeclineReason | None]:
    """What happens to a newly routed engagement.

    Inactive products decline at once (out of mandate). Otherwise accept
    automatically when the product allows it and a slot is free; else the
    engagement stays proposed for a provider officer to decide.
    """
    if not product_active:
        return EngagementStatus.declined, DeclineReason.out_of_mandate
    if auto_accept and active_engagements < capacity:
        return EngagementStatus.accepted, None
    return EngagementStatus.proposed, None
