"""The rules of a service request: its state machine and intake validation.

Pure functions, no I/O. The state machine is data (`TRANSITIONS`): one table of
allowed moves, one function that applies a move or refuses it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from jsonschema import Draft202012Validator

from shared.errors import DomainError
from shared.state_machine import StateMachine

MAX_TITLE = 200
MAX_DESCRIPTION = 10_000
MAX_PRODUCTS = 10
MAX_DETAILS_BYTES = 64 * 1024


class RequestStatus(StrEnum):
    submitted = "submitted"
    triaged = "triaged"
    routed = "routed"
    in_progress = "in_progress"
    delivered = "delivered"
    closed = "closed"
    on_hold = "on_hold"
    rejected = "rejected"
    withdrawn = "withdrawn"


S = RequestStatus
TRANSITIONS: Mapping[RequestStatus, frozenset[RequestStatus]] = {
    S.submitted: frozenset({S.triaged, S.on_hold, S.rejected, S.withdrawn}),
    S.triaged: frozenset({S.routed, S.on_hold, S.rejected, S.withdrawn}),
    # A declined engagement sends the request back to the desk (triaged).
    S.routed: frozenset({S.in_progress, S.triaged, S.on_hold, S.withdrawn}),
    S.in_progress: frozenset({S.delivered, S.on_hold, S.withdrawn}),
    S.delivered: frozenset({S.closed, S.in_progress}),
    S.on_hold: frozenset({S.submitted, S.triaged, S.routed, S.in_progress, S.withdrawn}),
    S.closed: frozenset(),
    S.rejected: frozenset(),
    S.withdrawn: frozenset(),
}


transition = StateMachine("a request", TRANSITIONS).move


class RoutingStatus(StrEnum):
    routed = "routed"
    accepted = "accepted"
    declined = "declined"


def status_after_engagement_answer(
    current: RequestStatus, routing_statuses: Sequence[RoutingStatus]
) -> RequestStatus | None:
    """Where a routed request goes once its providers answered; None to stay put."""
    if current is not RequestStatus.routed:
        return None
    if any(status is RoutingStatus.declined for status in routing_statuses):
        return RequestStatus.triaged
    if routing_statuses and all(status is RoutingStatus.accepted for status in routing_statuses):
        return RequestStatus.in_progress
    return None


@dataclass(frozen=True)
class KnownProduct:
    code: str
    active: bool
    request_form: Mapping[str, Any]


def validate_intake(
    *,
    title: str,
    description: str,
    products: Sequence[str],
    details: Mapping[str, Any],
    catalog: Mapping[str, KnownProduct],
    details_size: int,
) -> None:
    """Refuse a request that cannot be taken in; everything it checks is the caller's to fix."""
    if not title.strip():
        raise DomainError("BAD_USER_INPUT", "title must not be empty", field="title")
    if len(title) > MAX_TITLE:
        raise DomainError(
            "BAD_USER_INPUT", f"title is longer than {MAX_TITLE} characters", field="title"
        )
    if len(description) > MAX_DESCRIPTION:
        raise DomainError(
            "BAD_USER_INPUT",
            f"description is longer than {MAX_DESCRIPTION} characters",
            field="description",
        )
    if len(products) > MAX_PRODUCTS or len(set(products)) != len(products):
        raise DomainError(
            "BAD_USER_INPUT",
            f"products must be at most {MAX_PRODUCTS} distinct codes",
            field="products",
        )
    if details_size > MAX_DETAILS_BYTES:
        raise DomainError(
            "INVALID_DETAILS", f"details are larger than {MAX_DETAILS_BYTES} bytes", field="details"
        )
    unknown = [code for code in products if code not in catalog or not catalog[code].active]
    if unknown:
        raise DomainError(
            "UNKNOWN_PRODUCT", f"unknown product: {', '.join(unknown)}", products=unknown
        )
    stray = sorted(set(details) - set(products))
    if stray:
        raise DomainError(
            "INVALID_DETAILS",
            f"details given for products not requested: {', '.join(stray)}",
            field="details",
        )
    for code in products:
        problems = form_errors(catalog[code].request_form, details.get(code, {}))
        if problems:
            raise DomainError(
                "INVALID_DETAILS",
                f"details for {code} do not match its request form",
                product=code,
                errors=problems,
            )


def form_errors(form: Mapping[str, Any], details: Any) -> list[str]:
    validator = Draft202012Validator(form)
    return [
        f"{'/'.join(str(part) for part in error.absolute_path) or '(details)'}: {error.message}"
        for error in sorted(validator.iter_errors(details), key=lambda e: list(e.absolute_path))
    ]


def intake_path(products: Sequence[str]) -> list[RequestStatus]:
    """The statuses a new request passes through at intake.

    With products named, the desk's triage is automatic and each product is
    routed at once; with none, the request waits in the desk's triage queue.
    """
    if not products:
        return [RequestStatus.submitted]
    return [RequestStatus.submitted, RequestStatus.triaged, RequestStatus.routed]
