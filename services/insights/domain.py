"""The rules of the views, pure: which organisation is engaged on what, when an
engagement has ended, which newer status wins, and what a caller may see.

Everything here is a function of the facts the events carried, never of the order
they arrived in, so replaying the event log into an empty store gives the same lines.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from contracts.http.insights.responses import HoldingParty, PartyKind
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


# --- SLA time per party and the cost of coordination --------------------------------
#
# A request's measured time runs from its submission to the end of the measured time:
# the moment it ended (closed, rejected or withdrawn, as its newest status says), or
# else the newest event the service has of it (a status, an engagement's or an
# assessment's move, a breach). The time after the newest event of an open request is
# counted when its next event arrives: so every figure is a function of the events
# alone, never of the clock reading it.
#
# THE HOLDING RULE: at every moment the request waits on one holder (one party, or
# several of one kind at once), decided in this order on the request's status then:
#   1. closed, rejected, withdrawn: nobody (the clock stops; a reopened request's
#      clock starts again at its reopening);
#   2. on_hold: the client (a desk holds a request while it waits for the client, and
#      the SLA clocks pause for that reason); delivered: the client (its confirmation);
#   3. routed, in_progress: the providers whose engagement is open then (proposed,
#      accepted, planning or deployed: from its first event to its decline, delivery,
#      closing or withdrawal);
#   4. otherwise, the partners of the joint assessments open then (proposed or active);
#   5. otherwise the desk (submitted, triaged, awaiting_approval, or routed with no
#      engagement open: the desk has to act).
# Several holders at once share the time equally, so the parties' times add up to the
# measured time and their shares to 100 %. A breach is attributed to the holders at
# the moment it fell; a hand-off is each time the holder changes.

HOLD_CLIENT = frozenset({"on_hold", "delivered"})
WITH_PROVIDERS = frozenset({"routed", "in_progress"})
INTAKE_ACTOR_SUFFIX = ":intake"
HolderKey = tuple[HoldingParty, str]


@dataclass(frozen=True)
class Step:
    """A status the request reached, when, and by whose act."""

    at: datetime
    status: str
    actor: str


@dataclass(frozen=True)
class EngagementPart:
    product_code: str
    started_at: datetime
    accepted_at: datetime | None
    ended_at: datetime | None
    declined: bool
    moved_at: datetime | None = None  # its newest status's time


@dataclass(frozen=True)
class AssessmentPart:
    partners: tuple[str, ...]
    opened_at: datetime
    ended_at: datetime | None
    moved_at: datetime | None = None  # its newest status's time


@dataclass(frozen=True)
class Breach:
    clock: str
    breached_at: datetime


@dataclass(frozen=True)
class RequestHistory:
    """Everything the events said of one request that its figures are computed from."""

    client_code: str
    desk_code: str
    submitted_at: datetime
    steps: tuple[Step, ...]
    engagements: tuple[EngagementPart, ...]
    assessments: tuple[AssessmentPart, ...]
    breaches: tuple[Breach, ...]


@dataclass(frozen=True)
class HeldTime:
    kind: HoldingParty
    party: str
    seconds: int
    breaches: int


@dataclass(frozen=True)
class HeldBreach:
    clock: str
    breached_at: datetime
    held_by: tuple[HolderKey, ...]


@dataclass(frozen=True)
class RequestFiguresOf:
    """A request's SLA time per party and cost of coordination (figures_of)."""

    status: str
    routed_at_intake: bool
    measured_until: datetime
    measured_s: int
    held_by: tuple[HolderKey, ...]
    parties: tuple[HeldTime, ...]
    breaches: tuple[HeldBreach, ...]
    hand_offs: int
    reroutings: int
    declines: int
    first_engagement_s: int | None
    joint_assessment_s: int

    def seconds_of(self, kind: HoldingParty) -> int:
        return sum(party.seconds for party in self.parties if party.kind is kind)

    def breaches_of(self, kind: HoldingParty) -> int:
        return sum(1 for breach in self.breaches if kind in {k for k, _ in breach.held_by})

    def share_pct(self, kind: HoldingParty) -> int:
        """The kind's share of the measured time in whole percent (0 with none measured)."""
        return round(100 * self.seconds_of(kind) / self.measured_s) if self.measured_s else 0


def _ordered_steps(history: RequestHistory) -> list[Step]:
    first = Step(history.submitted_at, "submitted", history.client_code)
    steps = sorted(
        history.steps, key=lambda step: (step.at, _rank(REQUEST_ORDER, step.status), step.actor)
    )
    return [first, *steps]


def _rank(order: Sequence[str], status: str) -> int:
    return order.index(status) if status in order else len(order)


def _open_at(start: datetime, end: datetime | None, moment: datetime) -> bool:
    return start <= moment and (end is None or moment < end)


def holders_at(history: RequestHistory, status: str, moment: datetime) -> tuple[HolderKey, ...]:
    """Who the request waits on at `moment`, in `status` (the holding rule above)."""
    if status in REQUEST_ENDED:
        return ()
    if status in HOLD_CLIENT:
        return ((HoldingParty.client, history.client_code),)
    if status in WITH_PROVIDERS:
        providers = sorted(
            {
                e.product_code
                for e in history.engagements
                if _open_at(e.started_at, e.ended_at, moment)
            }
        )
        if providers:
            return tuple((HoldingParty.provider, code) for code in providers)
    partners = sorted(
        {
            partner
            for a in history.assessments
            if _open_at(a.opened_at, a.ended_at, moment)
            for partner in a.partners
        }
    )
    if partners:
        return tuple((HoldingParty.partner, code) for code in partners)
    return ((HoldingParty.desk, history.desk_code),)


def _measured_until(history: RequestHistory, steps: Sequence[Step]) -> datetime:
    if steps[-1].status in REQUEST_ENDED:
        return steps[-1].at
    moments = [step.at for step in steps]
    for e in history.engagements:
        moments += [e.started_at, *(m for m in (e.accepted_at, e.ended_at, e.moved_at) if m)]
    for a in history.assessments:
        moments += [a.opened_at, *(m for m in (a.ended_at, a.moved_at) if m)]
    moments += [breach.breached_at for breach in history.breaches]
    return max(moments)


def figures_of(history: RequestHistory) -> RequestFiguresOf:
    """A request's figures from its history alone (the holding rule above)."""
    steps = _ordered_steps(history)
    until = _measured_until(history, steps)
    moments = {step.at for step in steps}
    for e in history.engagements:
        moments |= {e.started_at, *(m for m in (e.ended_at,) if m is not None)}
    for a in history.assessments:
        moments |= {a.opened_at, *(m for m in (a.ended_at,) if m is not None)}
    bounds = [*sorted(m for m in moments if history.submitted_at <= m <= until), until]

    def status_at(moment: datetime) -> str:
        return [step for step in steps if step.at <= moment][-1].status

    seconds: dict[HolderKey, float] = {}
    segments: list[tuple[datetime, datetime, tuple[HolderKey, ...]]] = []
    for start, end in itertools.pairwise(bounds):
        if end <= start:
            continue
        holders = holders_at(history, status_at(start), start)
        segments.append((start, end, holders))
        for holder in holders:
            seconds[holder] = seconds.get(holder, 0.0) + (end - start).total_seconds() / len(
                holders
            )
    held_by = holders_at(history, steps[-1].status, until)
    breaches = tuple(
        HeldBreach(b.clock, b.breached_at, _held_when(segments, b.breached_at, held_by))
        for b in sorted(history.breaches, key=lambda b: (b.breached_at, b.clock))
    )
    return RequestFiguresOf(
        status=steps[-1].status,
        routed_at_intake=_routed_at_intake(steps),
        measured_until=until,
        measured_s=round((until - history.submitted_at).total_seconds()),
        held_by=held_by,
        parties=_party_times(history, seconds, breaches),
        breaches=breaches,
        hand_offs=_hand_offs(segments),
        reroutings=_reroutings(history.engagements),
        declines=sum(1 for e in history.engagements if e.declined),
        first_engagement_s=_first_engagement_s(history),
        joint_assessment_s=round(
            sum(
                max(0.0, ((a.ended_at or until) - a.opened_at).total_seconds())
                for a in history.assessments
            )
        ),
    )


def _held_when(
    segments: Sequence[tuple[datetime, datetime, tuple[HolderKey, ...]]],
    moment: datetime,
    last: tuple[HolderKey, ...],
) -> tuple[HolderKey, ...]:
    """The holders of the segment a breach fell in (after the measured time: the last
    holder; before anything was measured, or while nobody held it: the desk's clock)."""
    for start, end, holders in segments:
        if start <= moment < end and holders:
            return holders
    if segments and moment >= segments[-1][1] and last:
        return last
    earlier = [holders for start, _, holders in segments if start <= moment and holders]
    return earlier[-1] if earlier else ()


def _party_times(
    history: RequestHistory,
    seconds: dict[HolderKey, float],
    breaches: Sequence[HeldBreach],
) -> tuple[HeldTime, ...]:
    """Every party involved, with its time (0 for one that never held the request): the
    client, the desk, each provider engaged and each partner invited."""
    involved: set[HolderKey] = {
        (HoldingParty.client, history.client_code),
        (HoldingParty.desk, history.desk_code),
    }
    involved |= {(HoldingParty.provider, e.product_code) for e in history.engagements}
    involved |= {(HoldingParty.partner, p) for a in history.assessments for p in a.partners}
    involved |= set(seconds)
    order = list(HoldingParty)
    return tuple(
        HeldTime(
            kind,
            party,
            round(seconds.get((kind, party), 0.0)),
            sum(1 for b in breaches if (kind, party) in b.held_by),
        )
        for kind, party in sorted(involved, key=lambda key: (order.index(key[0]), key[1]))
    )


def _hand_offs(segments: Sequence[tuple[datetime, datetime, tuple[HolderKey, ...]]]) -> int:
    held = [holders for _, _, holders in segments if holders]
    return sum(1 for before, after in itertools.pairwise(held) if before != after)


def _reroutings(engagements: Sequence[EngagementPart]) -> int:
    """Engagements opened after an earlier one of the request was declined (a re-routing
    is the desk's act once a decline came back, so it comes strictly later)."""
    declined = [e.ended_at for e in engagements if e.declined and e.ended_at is not None]
    if not declined:
        return 0
    first_decline = min(declined)
    return sum(1 for e in engagements if e.started_at > first_decline)


def _first_engagement_s(history: RequestHistory) -> int | None:
    accepted = [e.accepted_at for e in history.engagements if e.accepted_at is not None]
    if not accepted:
        return None
    return max(0, round((min(accepted) - history.submitted_at).total_seconds()))


def _routed_at_intake(steps: Sequence[Step]) -> bool:
    """Whether its first routing was intake's own (the client named the products)."""
    routed = [step for step in steps if step.status == "routed"]
    return bool(routed) and routed[0].actor.endswith(INTAKE_ACTOR_SUFFIX)


# Shares are kept as whole percents: a distribution is a count per percent (0 to 100),
# so a median or a 90th percentile is read from a few hundred counts however many
# requests there are, exact to the percent.
def percentile(counts: dict[int, int], fraction: float) -> int:
    """The nearest-rank percentile of the shares counted per percent."""
    total = sum(counts.values())
    if not total:
        return 0
    rank, seen = max(1, math.ceil(fraction * total)), 0
    for share in sorted(counts):
        seen += counts[share]
        if seen >= rank:
            return share
    return max(counts)


# --- demand without supply ------------------------------------------------------------

SLOT_HOLDING = frozenset({"accepted", "planning", "deployed"})


@dataclass(frozen=True)
class EngagementLoad:
    """What one engagement adds to its product's monthly supply: routed to it in the
    month it started, taken on in the month it was accepted, its slot freed in the
    month it ended (after acceptance), declined in the month it was declined."""

    product_code: str
    started_at: datetime
    accepted_at: datetime | None
    ended_at: datetime | None
    declined: bool

    def counts(self) -> list[tuple[str, str, str]]:
        """(product, month, column) for each count of 1 it adds."""
        product = self.product_code
        counts = [(product, month_of(self.started_at), "requested")]
        if self.accepted_at is not None:
            counts.append((product, month_of(self.accepted_at), "accepted"))
            if self.ended_at is not None and not self.declined:
                counts.append((product, month_of(self.ended_at), "freed"))
        if self.declined and self.ended_at is not None:
            counts.append((product, month_of(self.ended_at), "declined"))
        return counts


def active_spans(months: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The (start, end) month intervals merged into maximal runs of consecutive months
    (an end of OPEN: still active, so the run never ends): a window meets one of the
    intervals exactly when it meets one of the runs."""
    spans: list[tuple[str, str]] = []
    for start, end in sorted(months):
        if spans and _joins(spans[-1][1], start):
            held = spans[-1][1]
            spans[-1] = (spans[-1][0], OPEN if OPEN in (held, end) else max(held, end))
        else:
            spans.append((start, end))
    return spans


def _joins(held_end: str, start: str) -> bool:
    """Whether a run ending in `held_end` goes on with an interval starting at `start`."""
    return held_end == OPEN or start <= _next_month(held_end)


def _next_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:])
    return f"{year + 1:04d}-01" if number == 12 else f"{year:04d}-{number + 1:02d}"


def month_range(first: str, last: str) -> list[str]:
    """Every month from `first` to `last` (YYYY-MM), both included."""
    year, month = int(first[:4]), int(first[5:])
    months = []
    while f"{year:04d}-{month:02d}" <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months
