"""The rules of the views, pure: which organisation is engaged on what, when an
engagement has ended, which newer status wins, and what a caller may see.

Everything here is a function of the facts the events carried, never of the order
they arrived in, so replaying the event log into an empty store gives the same lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from contracts.http.insights.responses import PartyKind
from shared.auth import Principal, Role
from shared.errors import DomainError

# When an organisation's part has ended, per what it is engaged in.
REQUEST_ENDED = frozenset({"closed", "rejected", "withdrawn", "merged"})
ENGAGEMENT_ENDED = frozenset({"declined", "delivered", "closed", "withdrawn"})
ASSESSMENT_ENDED = frozenset({"concluded", "cancelled"})

COORDINATION, ENGAGEMENT, JOINT_ASSESSMENT = "coordination", "engagement", "joint_assessment"

# Where a request is and whose it is: what every line of it repeats.
OPEN = ""


@dataclass(frozen=True)
class Where:
    country: str
    region: str
    desk_code: str
    client_code: str


@dataclass(frozen=True)
class Line:
    """One organisation engaged on one product of a request."""

    party_kind: PartyKind
    party: str
    product_code: str
    activity: str
    status: str
    started_at: datetime
    end_month: str

    @property
    def start_month(self) -> str:
        return month_of(self.started_at)


def month_of(moment: datetime) -> str:
    return moment.strftime("%Y-%m")


# Each lifecycle's statuses in the order they are reached, to break a tie in time.
REQUEST_ORDER = (
    "submitted",
    "triaged",
    "on_hold",
    "routed",
    "in_progress",
    "delivered",
    "closed",
    "rejected",
    "withdrawn",
    "merged",
)
ENGAGEMENT_ORDER = (
    "proposed",
    "accepted",
    "planning",
    "deployed",
    "delivered",
    "closed",
    "declined",
    "withdrawn",
)
ASSESSMENT_ORDER = ("proposed", "active", "concluded", "cancelled")


def supersedes(
    order: Sequence[str], event: tuple[datetime, str], held: tuple[datetime, str]
) -> bool:
    """Whether an event's (time, status) replaces the one held: the later wins, and at
    the same time the one further in the lifecycle, so events applied in any order
    leave the same status."""

    def rank(status: str) -> int:
        return order.index(status) if status in order else len(order)

    return (event[0], rank(event[1])) > (held[0], rank(held[1]))


def _end_month(status: str, ended: frozenset[str], status_at: datetime) -> str:
    return month_of(status_at) if status in ended else OPEN


def desk_lines(
    desk_code: str, products: Sequence[str], status: str, submitted_at: datetime, at: datetime
) -> list[Line]:
    """The desk coordinates every product the request asked for, until it closes."""
    end = _end_month(status, REQUEST_ENDED, at)
    return [
        Line(PartyKind.desk, desk_code, product, COORDINATION, status, submitted_at, end)
        for product in dict.fromkeys(products)
    ]


def provider_line(product_code: str, status: str, started_at: datetime, at: datetime) -> Line:
    """The provider of a product, through its engagement (keyed by the product code; its
    unit's name comes from the catalog when the view is read)."""
    end = _end_month(status, ENGAGEMENT_ENDED, at)
    return Line(PartyKind.provider, product_code, product_code, ENGAGEMENT, status, started_at, end)


def partner_lines(
    partners: Sequence[str],
    products: Sequence[str],
    status: str,
    opened_at: datetime,
    at: datetime,
) -> list[Line]:
    """Each partner of a joint assessment, on each product of its request."""
    end = _end_month(status, ASSESSMENT_ENDED, at)
    return [
        Line(PartyKind.partner, partner, product, JOINT_ASSESSMENT, status, opened_at, end)
        for partner in dict.fromkeys(partners)
        for product in dict.fromkeys(products)
    ]


def merged(lines: Iterable[Line]) -> list[Line]:
    """One line per organisation and product: the same partner in two assessments of one
    request (or two engagements of one product, a re-routing) counts once, the most
    recently started one, ties broken by status so the result is order-free."""
    best: dict[tuple[str, str, str], Line] = {}
    for line in lines:
        key = (line.party_kind.value, line.party, line.product_code)
        held = best.get(key)
        if held is None or (line.started_at, line.status) > (held.started_at, held.status):
            best[key] = line
    return [best[key] for key in sorted(best)]


@dataclass(frozen=True)
class Scope:
    """What a caller may see of the views: None is no restriction on that column."""

    client_code: str | None = None
    desk_code: str | None = None
    products: tuple[str, ...] | None = None
    partner: str | None = None


def scope_of(principal: Principal) -> Scope:
    """A client sees its own requests; a desk officer its desk's; a provider its
    products; a partner only its own part in joint assessments; HQ the whole picture."""
    role = principal.role
    if role is Role.client:
        return Scope(client_code=_tenant(principal.client))
    if role is Role.desk_officer:
        return Scope(desk_code=_tenant(principal.desk))
    if role is Role.provider:
        return Scope(products=tuple(principal.products))
    if role is Role.partner:
        return Scope(partner=_tenant(principal.partner))
    if role in (Role.hq_analyst, Role.admin):
        return Scope()
    raise DomainError("FORBIDDEN", f"role '{role}' may not read the insights")


def _tenant(value: str | None) -> str:
    if not value:
        raise DomainError("FORBIDDEN", "the token names no tenant")
    return value


def month_window(start: datetime | None, end: datetime | None) -> tuple[str | None, str | None]:
    """The months a time window covers (the views' granularity), either end open."""
    if start is not None and end is not None and end < start:
        raise DomainError("BAD_USER_INPUT", "the window ends before it starts")
    return (month_of(start) if start else None, month_of(end) if end else None)
