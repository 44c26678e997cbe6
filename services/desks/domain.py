"""The rules of a service request: its state machine, intake validation, SLA clocks,
overlap detection and coordination metrics.

Pure functions, no I/O. The state machine is data (`TRANSITIONS`): one table of
allowed moves, one function that applies a move or refuses it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from jsonschema import Draft202012Validator

from contracts.enums import RequestStatus, SlaClock
from contracts.http.desks.requests import MAX_COMMENT as MAX_COMMENT
from contracts.http.desks.requests import MAX_DESCRIPTION as MAX_DESCRIPTION
from contracts.http.desks.requests import MAX_REASON as MAX_REASON
from contracts.http.desks.requests import MAX_TITLE as MAX_TITLE
from shared.errors import DomainError
from shared.state_machine import StateMachine

MAX_PRODUCTS = 10
MAX_DETAILS_BYTES = 64 * 1024


S = RequestStatus
# Every open request may be merged into the one it duplicates (services/desks/links.py).
TRANSITIONS: Mapping[RequestStatus, frozenset[RequestStatus]] = {
    S.submitted: frozenset(
        {S.triaged, S.on_hold, S.rejected, S.withdrawn, S.awaiting_approval, S.merged}
    ),
    # Approved: back to submitted, where intake would have left it (then routed at once
    # when the client named products); rejected by the approver; withdrawn by the client.
    S.awaiting_approval: frozenset({S.submitted, S.rejected, S.withdrawn, S.merged}),
    S.triaged: frozenset({S.routed, S.on_hold, S.rejected, S.withdrawn, S.merged}),
    # A declined engagement sends the request back to the desk (triaged).
    S.routed: frozenset({S.in_progress, S.triaged, S.on_hold, S.withdrawn, S.merged}),
    S.in_progress: frozenset({S.delivered, S.on_hold, S.withdrawn, S.merged}),
    # A client may reopen (or dispute) a delivered or closed request: back to the desk.
    S.delivered: frozenset({S.closed, S.in_progress, S.triaged}),
    S.on_hold: frozenset({S.submitted, S.triaged, S.routed, S.in_progress, S.withdrawn, S.merged}),
    S.closed: frozenset({S.triaged}),
    S.rejected: frozenset(),
    S.withdrawn: frozenset(),
    S.merged: frozenset(),
}


transition = StateMachine("a request", TRANSITIONS).move


class RoutingStatus(StrEnum):
    """One product of a request on its way to its provider and back."""

    routed = "routed"
    accepted = "accepted"
    declined = "declined"
    delivered = "delivered"
    # A declined routing the desk resolved: sent again (to the same or another
    # product), or recorded as unmet demand. Neither counts for the request's status.
    rerouted = "rerouted"
    unmet = "unmet"


R = RoutingStatus
RESOLVED_ROUTINGS = frozenset({R.rerouted, R.unmet})
OPEN_STATUSES = frozenset(
    {S.submitted, S.awaiting_approval, S.triaged, S.routed, S.in_progress, S.on_hold}
)
TERMINAL_STATUSES = frozenset({S.closed, S.rejected, S.withdrawn, S.merged})
# The forward path a request follows while its routings decide where it is.
FLOW = (S.submitted, S.triaged, S.routed, S.in_progress, S.delivered)
# Where a desk officer may (re)route products: before routing, or after a decline.
ROUTABLE = frozenset({S.submitted, S.triaged})


def routing_after_answer(current: RoutingStatus, answer: RoutingStatus) -> RoutingStatus | None:
    """A provider's answer applied to a routing; None when it is stale or repeated.

    Answers can arrive twice (a re-published event) or late (an acceptance after the
    delivery on another partition), so only forward moves apply.
    """
    forward = {
        R.routed: {R.accepted, R.declined, R.delivered},
        R.accepted: {R.delivered},
    }
    return answer if answer in forward.get(current, set()) else None


def status_from_routings(routings: Sequence[RoutingStatus]) -> RequestStatus | None:
    """Where the providers' answers put a request; None when nothing is routed."""
    active = [status for status in routings if status not in RESOLVED_ROUTINGS]
    if not active:
        return None
    if any(status is R.declined for status in active):
        return S.triaged
    if all(status is R.delivered for status in active):
        return S.delivered
    if all(status in (R.accepted, R.delivered) for status in active):
        return S.in_progress
    return S.routed


def path_to(current: RequestStatus, target: RequestStatus | None) -> list[RequestStatus]:
    """The moves that take a request from `current` to where its routings say it is.

    Forward along FLOW one step at a time (each step is its own event and timeline
    entry); back only from routed to triaged (a decline). A request on hold or
    finished is left alone: its routings are kept and applied on resume.
    """
    if target is None or current not in FLOW or target not in FLOW or target is current:
        return []
    if FLOW.index(target) > FLOW.index(current):
        return list(FLOW[FLOW.index(current) + 1 : FLOW.index(target) + 1])
    return [target] if target in TRANSITIONS[current] else []


def status_after_engagement_answer(
    current: RequestStatus, routing_statuses: Sequence[RoutingStatus]
) -> RequestStatus | None:
    """Where a routed request goes once its providers answered; None to stay put."""
    path = path_to(current, status_from_routings(routing_statuses)) if current is S.routed else []
    return path[-1] if path else None


def resume_status(held_from: str | None) -> RequestStatus:
    """A request on hold returns to where it was held from."""
    return RequestStatus(held_from) if held_from else S.submitted


def require_reason(reason: str | None, what: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise DomainError("BAD_USER_INPUT", f"{what} needs a reason", field="reason")
    if len(text) > MAX_REASON:
        raise DomainError(
            "BAD_USER_INPUT", f"reason is longer than {MAX_REASON} characters", field="reason"
        )
    return text


REOPENABLE = frozenset({S.delivered, S.closed})


def check_reopening(
    status: RequestStatus, since: datetime, now: datetime, window: timedelta, what: str
) -> None:
    """A client reopens or disputes only a delivered or closed request, and only within
    the window after it got there."""
    if status not in REOPENABLE:
        raise DomainError(
            "ILLEGAL_TRANSITION",
            f"only a delivered or closed request can be {what}, not a {status.value} one",
            from_status=status.value,
            to_status=S.triaged.value,
        )
    if now - since > window:
        raise DomainError(
            "CONFLICT",
            f"the request was {status.value} more than {window / timedelta(days=1):g} days ago; it can no "
            f"longer be {what}: submit a new request",
            since=since.isoformat(),
        )


def check_satisfaction(score: int | None, comment: str | None) -> None:
    if score is not None and not 1 <= score <= 5:
        raise DomainError(
            "BAD_USER_INPUT", "satisfaction score is from 1 to 5", field="satisfaction_score"
        )
    if comment is not None and len(comment) > MAX_COMMENT:
        raise DomainError(
            "BAD_USER_INPUT",
            f"comment is longer than {MAX_COMMENT} characters",
            field="satisfaction_comment",
        )


# --- SLA clocks -------------------------------------------------------------------

SlaTargets = Mapping[str, Mapping[str, float]]  # urgency -> clock -> hours


# The request's SLA clocks (contracts.events.SlaClock), all started at submission:
# - acknowledge: stopped by the first action of a desk officer or admin on the request
#   (owner assigned, routed, held, rejected, or a comment from the desk). Automatic
#   routing at intake does not acknowledge: a person has to look at the request.
# - triage: stopped when the request is first routed (at intake when the client named
#   products), or when it ends (rejected, withdrawn).
# - deliver: stopped when the request is delivered, or when it ends.
# Each is due after its target in working time on the desk's business calendar, and a
# request on hold pauses its running clocks (services/desks/clocks.py).


def clocks_stopped_by_status(status: RequestStatus) -> frozenset[SlaClock]:
    """Which clocks a status stops when the request reaches it."""
    if status in TERMINAL_STATUSES:
        return frozenset(SlaClock)
    if status is S.delivered:
        return frozenset({SlaClock.triage, SlaClock.deliver})
    if status in (S.routed, S.in_progress):
        return frozenset({SlaClock.triage})
    return frozenset()


def is_due(due_at: datetime, now: datetime) -> bool:
    return due_at <= now


# Statuses in which the SLA clocks do not run: the request waits on someone other than
# the desk's work (a hold, an approver). On leaving them, running clocks are due later
# by the time spent there; what elapsed before is kept.
PAUSING_STATUSES = frozenset({S.on_hold, S.awaiting_approval})


# --- Approval rules -------------------------------------------------------------------


@dataclass(frozen=True)
class ApprovalRuleSpec:
    """What an approval rule asks of a request; None is "any". Every given condition
    must hold; a product condition holds when the request names that product."""

    id: str
    name: str
    desk_code: str | None = None
    product_code: str | None = None
    urgency: str | None = None
    client_kind: str | None = None


def rule_matches(
    rule: ApprovalRuleSpec,
    *,
    desk_code: str,
    products: Sequence[str],
    urgency: str,
    client_kind: str,
) -> bool:
    return (
        rule.desk_code in (None, desk_code)
        and (rule.product_code is None or rule.product_code in products)
        and rule.urgency in (None, urgency)
        and rule.client_kind in (None, client_kind)
    )


def rules_requiring_approval(
    rules: Sequence[ApprovalRuleSpec],
    *,
    desk_code: str,
    products: Sequence[str],
    urgency: str,
    client_kind: str,
) -> list[ApprovalRuleSpec]:
    """The active rules a new request meets, by name; any one makes it wait for approval."""
    matched = [
        rule
        for rule in rules
        if rule_matches(
            rule, desk_code=desk_code, products=products, urgency=urgency, client_kind=client_kind
        )
    ]
    return sorted(matched, key=lambda rule: (rule.name, rule.id))


def check_rule(rule: ApprovalRuleSpec) -> None:
    """A rule names itself and at least one condition: a rule with none would hold every
    request of every desk, which is never what an admin means."""
    if not rule.name.strip():
        raise DomainError("BAD_USER_INPUT", "an approval rule needs a name", field="name")
    if not any((rule.desk_code, rule.product_code, rule.urgency, rule.client_kind)):
        raise DomainError(
            "BAD_USER_INPUT",
            "an approval rule needs at least one condition (desk, product, urgency, client kind)",
            field="conditions",
        )


def is_approver(
    *,
    role: str,
    desk: str | None,
    subject: str,
    request_desk: str,
    desk_chiefs: Mapping[str, str],
) -> bool:
    """Who decides an approval: an HQ admin, or the chief of the request's desk
    (ONEDOOR_DESK_CHIEFS). A desk without a configured chief has every officer of the
    desk decide, as every officer of it then reads its escalations (notifications)."""
    if role == "admin":
        return True
    if role != "desk_officer" or desk != request_desk:
        return False
    chief = desk_chiefs.get(request_desk)
    return chief is None or chief == subject


def require_decision_comment(comment: str | None, decision: str) -> str | None:
    """A rejection says why (the client reads it); an approval may say nothing."""
    text = (comment or "").strip()
    if len(text) > MAX_REASON:
        raise DomainError(
            "BAD_USER_INPUT", f"comment is longer than {MAX_REASON} characters", field="comment"
        )
    if not text and decision == "rejected":
        raise DomainError("BAD_USER_INPUT", "a rejection needs a comment", field="comment")
    return text or None


# --- Duplicate and overlap detection ------------------------------------------------

STOP_WORDS = frozenset(
    """a an and are as at be been before by for from has have in into is it its of on or
    our the their this that to was we were will with within after over under about also
    need needs needed request requests requested ask asks asked support please urgent
    help mission government un united nations""".split()
)


def text_tokens(text: str) -> frozenset[str]:
    """The meaningful words of a text: lower case, no stop words, crude plural folding."""
    words = re.findall(r"[^\W\d_]+", text.lower())
    return frozenset(
        word[:-1] if word.endswith("s") and len(word) > 4 else word
        for word in words
        if len(word) > 2 and word not in STOP_WORDS
    )


def text_similarity(a: str, b: str) -> float:
    """Jaccard similarity of the two texts' token sets, 0..1."""
    return word_similarity(text_tokens(a), text_tokens(b))


def word_similarity(left: frozenset[str], right: frozenset[str]) -> float:
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)


def match_words(title: str, description: str) -> str:
    """What a request is compared on, computed once at intake and stored, so comparing
    a new request with many open ones never re-parses their texts."""
    return " ".join(sorted(text_tokens(f"{title} {description}")))


@dataclass(frozen=True)
class OpenRequest:
    id: str
    country: str
    products: frozenset[str]
    words: frozenset[str]


@dataclass(frozen=True)
class Overlap:
    other_id: str
    shared_products: tuple[str, ...]
    similarity: float


def find_overlaps(
    new: OpenRequest,
    candidates: Sequence[OpenRequest],
    *,
    min_similarity: float,
    min_similarity_without_products: float,
    max_links: int | None = None,
) -> list[Overlap]:
    """Open requests of the same country that look like the same need, most similar
    first (ties: in the candidates' order), at most `max_links` of them.

    Same country always; then either products in common and similar text, or (when
    either side names no product yet) clearly similar text alone.
    """
    found = []
    for other in candidates:
        if other.id == new.id or other.country != new.country:
            continue
        shared = tuple(sorted(new.products & other.products))
        similarity = round(word_similarity(new.words, other.words), 3)
        if shared and similarity >= min_similarity:
            found.append(Overlap(other.id, shared, similarity))
        elif (not new.products or not other.products) and (
            similarity >= min_similarity_without_products
        ):
            found.append(Overlap(other.id, (), similarity))
    found.sort(key=lambda overlap: -overlap.similarity)
    return found[:max_links] if max_links is not None else found


# --- Coordination metrics -------------------------------------------------------------


@dataclass(frozen=True)
class StatusSpan:
    at: datetime
    to_status: str


def time_in_status(
    created_at: datetime, changes: Sequence[StatusSpan], now: datetime
) -> dict[str, float]:
    """Seconds spent in each status, from submission until now (or until it ended)."""
    spent: dict[str, float] = {}
    status, since = S.submitted.value, created_at
    for change in sorted(changes, key=lambda change: change.at):
        spent[status] = spent.get(status, 0.0) + (change.at - since).total_seconds()
        status, since = change.to_status, change.at
    if status not in {value.value for value in TERMINAL_STATUSES}:
        spent[status] = spent.get(status, 0.0) + max(0.0, (now - since).total_seconds())
    return spent


def hand_offs(routings: int, declines: int, owner_changes: int) -> int:
    """How often responsibility moved between hands: desk to provider (each routing),
    provider back to desk (each decline), one officer to another (each re-assignment)."""
    return routings + declines + max(0, owner_changes - 1)


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
    check_products(products, details, catalog)


def check_products(
    products: Sequence[str], details: Mapping[str, Any], catalog: Mapping[str, KnownProduct]
) -> None:
    """Every product known and active, details only for those products, each valid."""
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


def validate_routing(
    *,
    status: RequestStatus,
    products: Sequence[str],
    details: Mapping[str, Any],
    catalog: Mapping[str, KnownProduct],
    routings: Sequence[tuple[str, RoutingStatus]],
) -> None:
    """Refuse a desk's routing that cannot go out: wrong moment, nothing to route, a
    product already with a provider, or a decline still waiting for the desk."""
    if status not in ROUTABLE:
        raise DomainError(
            "ILLEGAL_TRANSITION",
            f"a request can be routed only while submitted or triaged, not {status.value}",
            from_status=status.value,
            to_status=S.routed.value,
        )
    if not products or len(products) > MAX_PRODUCTS or len(set(products)) != len(products):
        raise DomainError(
            "BAD_USER_INPUT",
            f"route 1 to {MAX_PRODUCTS} distinct products",
            field="products",
        )
    pending = [code for code, state in routings if state is R.declined]
    if pending:
        raise DomainError(
            "CONFLICT",
            f"first re-route or record as unmet demand the declined {', '.join(pending)}",
            declined=pending,
        )
    # A delivered product may go out again (follow-up work on a reopened request).
    active = sorted(
        {code for code, state in routings if state not in RESOLVED_ROUTINGS | {R.delivered}}
        & set(products)
    )
    if active:
        raise DomainError("CONFLICT", f"already routed: {', '.join(active)}", products=active)
    check_products(products, details, catalog)


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
