"""Engagement rules: the state machine, intake, capacity, bookings and the catalog's
definitions. Pure functions and data, no I/O."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from contracts.enums import DeclineReason
from shared.errors import DomainError
from shared.state_machine import StateMachine


class EngagementStatus(StrEnum):
    proposed = "proposed"
    accepted = "accepted"
    declined = "declined"
    planning = "planning"
    deployed = "deployed"
    delivered = "delivered"
    closed = "closed"
    # The client withdrew the request before the provider delivered.
    withdrawn = "withdrawn"


S = EngagementStatus
TRANSITIONS: Mapping[EngagementStatus, frozenset[EngagementStatus]] = {
    S.proposed: frozenset({S.accepted, S.declined, S.withdrawn}),
    S.accepted: frozenset({S.planning, S.withdrawn}),
    S.planning: frozenset({S.deployed, S.withdrawn}),
    S.deployed: frozenset({S.delivered, S.withdrawn}),
    # Delivered work stays delivered even if the client withdraws: it is closed as usual.
    S.delivered: frozenset({S.closed}),
    S.declined: frozenset(),
    S.closed: frozenset(),
    S.withdrawn: frozenset(),
}

# Engagements that hold a slot of the provider's capacity.
ACTIVE = frozenset({S.accepted, S.planning, S.deployed})
# Engagements a client's withdrawal stops.
OPEN = frozenset(status for status, targets in TRANSITIONS.items() if S.withdrawn in targets)
# Where experts may be assigned and deliverables recorded: work is under way.
IN_HAND = ACTIVE
# Engagements whose expert bookings still block the expert's calendar.
BOOKING_HOLDERS = frozenset({S.accepted, S.planning, S.deployed, S.delivered})


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


def check_capacity(*, capacity: int, active_engagements: int) -> None:
    """An officer may accept only into a free slot: past capacity the answer is to decline
    (reason `capacity`) or to raise the product's capacity first, not to overbook."""
    if active_engagements >= capacity:
        raise DomainError(
            "CAPACITY_EXCEEDED",
            f"all {capacity} slots are taken ({active_engagements} active engagements)",
            capacity=capacity,
            active=active_engagements,
        )


def check_offered(product_active: bool) -> None:
    """A retired product takes nothing new on: its open proposals are declined
    (`out_of_mandate`), not accepted."""
    if not product_active:
        raise DomainError(
            "PRODUCT_INACTIVE", "the product is no longer offered; decline the proposal"
        )


def check_deliverable_recorded(deliverables: int) -> None:
    if deliverables < 1:
        raise DomainError(
            "DELIVERABLE_REQUIRED", "record at least one deliverable before delivering"
        )


def check_in_hand(status: EngagementStatus, what: str) -> None:
    if status not in IN_HAND:
        raise DomainError(
            "ILLEGAL_TRANSITION",
            f"{what} only while the engagement is accepted, planning or deployed "
            f"(it is {status.value})",
            status=status.value,
        )


# ---------------------------------------------------------------- expert roster

UN_LANGUAGES = ("ar", "zh", "en", "fr", "ru", "es")


@dataclass(frozen=True)
class Period:
    """An inclusive range of days."""

    starts_on: date
    ends_on: date

    def overlaps(self, other: Period) -> bool:
        return self.starts_on <= other.ends_on and other.starts_on <= self.ends_on

    def within(self, other: Period) -> bool:
        return other.starts_on <= self.starts_on and self.ends_on <= other.ends_on


def check_period(period: Period, field: str = "ends_on") -> None:
    if period.ends_on < period.starts_on:
        raise DomainError("BAD_USER_INPUT", "a period cannot end before it starts", field=field)


def check_languages(languages: Iterable[str]) -> None:
    unknown = sorted(set(languages) - set(UN_LANGUAGES))
    if unknown:
        raise DomainError(
            "BAD_USER_INPUT",
            f"languages must be UN official languages {', '.join(UN_LANGUAGES)}; "
            f"got {', '.join(unknown)}",
            field="languages",
        )


def check_booking(
    *, wanted: Period, availability: Iterable[Period], bookings: Iterable[Period]
) -> None:
    """An expert can be booked for `wanted` only inside one availability window and
    without overlapping another live booking."""
    if not any(wanted.within(window) for window in availability):
        raise DomainError(
            "EXPERT_UNAVAILABLE",
            f"the expert is not available from {wanted.starts_on} to {wanted.ends_on}",
        )
    clash = next((booked for booked in bookings if booked.overlaps(wanted)), None)
    if clash is not None:
        raise DomainError(
            "EXPERT_DOUBLE_BOOKED",
            f"the expert is already booked from {clash.starts_on} to {clash.ends_on}",
            booked_from=clash.starts_on.isoformat(),
            booked_to=clash.ends_on.isoformat(),
        )


def check_bookings_fit(*, availability: Iterable[Period], bookings: Iterable[Period]) -> None:
    """New availability must still cover every live booking: an expert's leave is
    arranged around the deployments already promised, not over them."""
    windows = list(availability)
    stranded = next(
        (booked for booked in bookings if not any(booked.within(w) for w in windows)), None
    )
    if stranded is not None:
        raise DomainError(
            "CONFLICT",
            f"the expert is booked from {stranded.starts_on} to {stranded.ends_on}, outside "
            "the new availability; release the booking first",
            booked_from=stranded.starts_on.isoformat(),
            booked_to=stranded.ends_on.isoformat(),
        )


# ---------------------------------------------------------------- catalog

SLA_STAGES = ("acknowledge", "plan", "deploy", "deliver")

# The SLA stage an engagement in each status is working towards. Targets count days
# from the routing (the engagement's creation), so they add up along the way.
NEXT_STAGE: Mapping[EngagementStatus, str] = {
    S.proposed: "acknowledge",
    S.accepted: "plan",
    S.planning: "deploy",
    S.deployed: "deliver",
}


def due_at(
    status: EngagementStatus, routed_at: datetime, sla_targets: Mapping[str, int]
) -> datetime | None:
    """When the engagement's next step is due under its product's SLA targets; None when
    it is finished or the product sets no target for that stage."""
    stage = NEXT_STAGE.get(status)
    days = sla_targets.get(stage) if stage else None
    return routed_at + timedelta(days=days) if days else None


def check_request_form(form: Mapping[str, Any]) -> None:
    """A request form must itself be a valid JSON Schema describing an object: desks
    validate every request's details against it at intake."""
    try:
        Draft202012Validator.check_schema(form)
    except SchemaError as error:
        raise DomainError(
            "INVALID_FORM",
            f"the request form is not a valid JSON Schema: {error.message}",
            field="request_form",
        ) from error
    if form.get("type") != "object":
        raise DomainError(
            "INVALID_FORM", 'a request form must describe an object ("type": "object")'
        )


def check_sla_targets(targets: Mapping[str, int]) -> None:
    unknown = sorted(set(targets) - set(SLA_STAGES))
    if unknown:
        raise DomainError(
            "BAD_USER_INPUT",
            f"SLA targets are per stage ({', '.join(SLA_STAGES)}); unknown: {', '.join(unknown)}",
            field="sla_targets",
        )
    if any(days < 1 for days in targets.values()):
        raise DomainError(
            "BAD_USER_INPUT", "SLA targets are whole days, at least 1", field="sla_targets"
        )


# ---------------------------------------------------------------- provider figures


def utilisation(capacity: int, by_status: Mapping[str, int]) -> tuple[int, float]:
    """Slots taken and their share of capacity (0 for a product without capacity)."""
    active = sum(by_status.get(status.value, 0) for status in ACTIVE)
    return active, round(active / capacity, 4) if capacity else 0.0


@dataclass(frozen=True)
class Unserved:
    """A request's product left unserved: declined by its provider or recorded by its desk."""

    product_code: str
    request_id: str
    reason_code: str


@dataclass
class UnmetDemandFigures:
    declined_by_reason: Counter[str] = field(default_factory=Counter)
    recorded_by_reason: Counter[str] = field(default_factory=Counter)
    requests: set[str] = field(default_factory=set)


def unmet_demand(
    codes: Iterable[str], declines: Iterable[Unserved], recorded: Iterable[Unserved]
) -> dict[str, UnmetDemandFigures]:
    """Per product: declines and desks' records by reason, and the distinct requests
    behind them (a request declined and then recorded by its desk counts once)."""
    figures = {code: UnmetDemandFigures() for code in codes}
    for counts, items in (("declined_by_reason", declines), ("recorded_by_reason", recorded)):
        for item in items:
            product = figures.get(item.product_code)
            if product is not None:
                getattr(product, counts)[item.reason_code] += 1
                product.requests.add(item.request_id)
    return figures
