"""What each audience may see of another party's record: one declared policy per field.

Tenancy (each service's `visibility`) decides which records reach a caller at all; this
module decides which of a reached record's fields they see. `POLICY` names, for every
record kind the services answer with and every field of it, the audiences allowed to see
that field; `shown_to` is the one function that applies it, on every path a record leaves
a service by (query answers, which the gateway's subscriptions re-read with the
subscriber's token, CSV exports, the lessons feeds, the partners' webhooks, and the
insights service's views and exports, whose rows are record kinds here too); the
notifications service tells a recipient only the fields `allowed` gives its audience
(services/notifications/sharing.py). A field
an audience may not see becomes null, or an empty list or mapping, so every contract and
the GraphQL schema keep their shape. docs/sharing.md is generated from this table
(`python -m shared.sharing`), and tests/unit/shared/test_sharing.py fails when a
record's model has a field without an entry here.
"""

from __future__ import annotations

import types
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel

from contracts.http.desks.responses import (
    ApprovalPublic,
    CommentPublic,
    RequestPublic,
    RoutingPublic,
)
from contracts.http.desks.responses import AssessmentPublic as RequestAssessmentPublic
from contracts.http.insights.responses import (
    AttributedBreach,
    CoordinationCost,
    CountrySummary,
    DemandWithoutSupply,
    PartyTime,
    ProductLoadMonth,
    RequestFigures,
    ShareDistribution,
    UnmetDemandMonth,
    WhoDoesWhatRow,
)
from contracts.http.lessons.responses import LessonPublic
from contracts.http.partnerships.responses import AssessmentPublic, TaskPublic
from contracts.http.products.responses import (
    AssignmentPublic,
    DeliverablePublic,
    EngagementPublic,
)
from shared.auth import Principal, Role


class Audience(StrEnum):
    """Who is looking at a record, by their relation to it (not by their role alone)."""

    owner_client = "owner_client"  # the client whose request it is
    desk = "desk"  # the request's regional desk
    provider = "provider"  # a provider of a product routed on the request
    partner = "partner"  # a partner invited to the request's joint assessment
    author = "author"  # the desk or provider whose lesson it is
    reader = "reader"  # anyone else who may read a published lesson (feeds too)
    hq = "hq"  # HQ analysts and admins


class RecordKind(StrEnum):
    request = "request"
    routing = "routing"
    approval = "approval"
    request_assessment = "request_assessment"  # an assessment as the desks service holds it
    comment = "comment"
    engagement = "engagement"
    deliverable = "deliverable"
    assignment = "assignment"
    assessment = "assessment"
    task = "task"
    lesson = "lesson"
    webhook = "webhook"  # the envelope of a partner's webhook (its `assessment` inside)
    # The insights service's views (docs/insights.md): rows computed from the records above.
    who_does_what = "who_does_what"  # a line of the 3W/4W
    country_summary = "country_summary"
    request_figures = "request_figures"  # a request's SLA time per party and its cost
    party_time = "party_time"  # one party's time on a request
    attributed_breach = "attributed_breach"
    share_distribution = "share_distribution"
    coordination_cost = "coordination_cost"  # a group of requests' cost of coordination
    demand_without_supply = "demand_without_supply"
    unmet_demand = "unmet_demand"
    product_load = "product_load"  # a product's supply in a month


@dataclass(frozen=True)
class Share:
    """Who may see one field. `per_product`: a provider sees only the entries of its own
    products (a mapping keyed by product code, or records with a `product_code`).
    `per_party`: a list of the parties of a request (records with `party_kind` and
    `party`, or `kind:code` strings), of which a provider sees every party but the
    providers of other products, and a partner the client, the desk and itself (`known`).
    `of`: the kind of the records the field holds (a list of them, or one in a webhook's
    envelope), each projected by its own policy."""

    audiences: frozenset[Audience]
    per_product: bool = False
    of: RecordKind | None = None
    per_party: bool = False


def share(
    *audiences: Audience,
    per_product: bool = False,
    of: RecordKind | None = None,
    per_party: bool = False,
) -> Share:
    return Share(frozenset(audiences), per_product, of, per_party)


A = Audience
_EVERY_PARTY = frozenset({A.owner_client, A.desk, A.provider, A.partner, A.hq})
# Which audiences a kind's records reach at all (the services' tenancy): a client never
# reaches another client's request, a partner no request, only the assessments it is
# invited to. Every audience of a field below is one of these.
REACHES: dict[RecordKind, frozenset[Audience]] = {
    RecordKind.request: frozenset({A.owner_client, A.desk, A.provider, A.hq}),
    RecordKind.routing: frozenset({A.owner_client, A.desk, A.provider, A.hq}),
    RecordKind.approval: frozenset({A.owner_client, A.desk, A.hq}),  # not a provider's
    RecordKind.request_assessment: frozenset({A.owner_client, A.desk, A.provider, A.hq}),
    RecordKind.comment: frozenset({A.owner_client, A.desk, A.provider, A.hq}),
    RecordKind.engagement: frozenset({A.owner_client, A.desk, A.provider, A.hq}),
    RecordKind.deliverable: frozenset({A.owner_client, A.desk, A.provider, A.hq}),
    RecordKind.assignment: frozenset({A.owner_client, A.desk, A.provider, A.hq}),
    RecordKind.assessment: frozenset({A.owner_client, A.desk, A.provider, A.partner, A.hq}),
    RecordKind.task: frozenset({A.owner_client, A.desk, A.provider, A.partner, A.hq}),
    RecordKind.lesson: frozenset({A.author, A.reader, A.hq}),
    RecordKind.webhook: frozenset({A.partner}),
    # The views give each caller its own part (services/insights/domain.py `scope_of`):
    # a client the figures of its own requests, a desk its desk's, a provider those on
    # its products, a partner those of the joint assessments it is in.
    RecordKind.who_does_what: _EVERY_PARTY,
    RecordKind.country_summary: _EVERY_PARTY,
    RecordKind.request_figures: _EVERY_PARTY,
    RecordKind.party_time: _EVERY_PARTY,
    RecordKind.attributed_breach: _EVERY_PARTY,
    RecordKind.share_distribution: _EVERY_PARTY,
    RecordKind.coordination_cost: _EVERY_PARTY,
    RecordKind.demand_without_supply: _EVERY_PARTY,
    # Unmet demand is a desk's record on a request: no partner's (none is in an
    # assessment); supply is the providers' own figure (the products service's
    # utilisation), not a client's.
    RecordKind.unmet_demand: frozenset({A.owner_client, A.desk, A.provider, A.hq}),
    RecordKind.product_load: frozenset({A.desk, A.provider, A.hq}),
}

_REQUEST = REACHES[RecordKind.request]
_ASSESSMENT = REACHES[RecordKind.assessment]
# What the client told its desk and what the desk decided on its own: not a provider's.
_CLIENT_AND_DESK = share(A.owner_client, A.desk, A.hq)
# How a request's engagements went on every product (declines, re-routings, the first
# acceptance): the routings' outcomes, which a provider reads only of its own products
# and a partner not at all, so a figure that sums them over every product is theirs.
_ENGAGEMENT_OUTCOMES = _CLIENT_AND_DESK
# The parties of a request's figures: each audience the parties it knows of (`known`).
_PARTIES = Share(_EVERY_PARTY, per_party=True)


def _all(kind: RecordKind, names: str) -> dict[str, Share]:
    """Fields (named in one space-separated string) every audience of the kind may see."""
    return {name: Share(REACHES[kind]) for name in names.split()}


POLICY: dict[RecordKind, dict[str, Share]] = {
    RecordKind.request: {
        **_all(
            RecordKind.request,
            """id title description status urgency client_code client_kind country region
            desk_code products submitted_by created_at updated_at version owner status_reason
            breached sla overlap_count reopen_count dispute_count language parent_id
            derives_status_from_children""",
        ),
        # Each product's details are for that product's provider (mediation's parties and
        # confidentiality are not electoral assistance's business), as are its routings
        # (another provider's decline reason).
        "details": Share(_REQUEST, per_product=True),
        "routings": Share(_REQUEST, per_product=True, of=RecordKind.routing),
        "assessments": Share(_REQUEST, of=RecordKind.request_assessment),
        "approvals": share(A.owner_client, A.desk, A.hq, of=RecordKind.approval),
        "satisfaction_score": _CLIENT_AND_DESK,
        "satisfaction_comment": _CLIENT_AND_DESK,
    },
    RecordKind.routing: _all(
        RecordKind.routing,
        "id product_code status engagement_id engagement_status decline_reason routed_at",
    ),
    RecordKind.approval: _all(
        RecordKind.approval, "id rules requested_at decision decided_by decided_at comment"
    ),
    RecordKind.request_assessment: _all(
        RecordKind.request_assessment,
        "id partners scope status summary recommended_products opened_at concluded_on",
    ),
    RecordKind.comment: _all(
        RecordKind.comment,
        "id author author_role body internal created_at request_id from_request_id",
    ),
    RecordKind.engagement: {
        **_all(
            RecordKind.engagement,
            """id request_id product_code status client_code client_kind desk_code country
            region title description urgency details decline_reason_code decline_reason
            decided_by accepted_at delivered_at created_at updated_at version due_at overdue
            routing_id""",
        ),
        "deliverables": Share(REACHES[RecordKind.engagement], of=RecordKind.deliverable),
        "assignments": Share(REACHES[RecordKind.engagement], of=RecordKind.assignment),
    },
    RecordKind.deliverable: _all(
        RecordKind.deliverable, "id title kind reference delivered_on recorded_by recorded_at"
    ),
    RecordKind.assignment: _all(
        RecordKind.assignment,
        "id expert_id expert_name starts_on ends_on assigned_by assigned_at",
    ),
    RecordKind.assessment: {
        **_all(
            RecordKind.assessment,
            """id request_id desk_code client_code partners scope framework_id status due_on
            opened_by summary recommended_products concluded_on concluded_by cancel_reason
            created_at updated_at version""",
        ),
        "tasks": Share(_ASSESSMENT, of=RecordKind.task),
    },
    RecordKind.task: _all(
        RecordKind.task,
        """id assessment_id title lead due_on status decline_reason findings answered_by
        updated_at created_at""",
    ),
    RecordKind.lesson: {
        **_all(
            RecordKind.lesson,
            """id title summary body themes countries regions client_kinds source_kind
            source_ref authoring_entity sensitivity status created_at updated_at published_at
            version owner_kind owner_code created_by language translation_of""",
        ),
        # The reviewer's note to the author when a draft was sent back: it stays on the
        # lesson after publication, and is nobody else's reading.
        "review_comment": share(A.author, A.hq),
    },
    RecordKind.webhook: {
        **_all(RecordKind.webhook, "delivery_id event occurred_at partner"),
        "assessment": share(A.partner, of=RecordKind.assessment),
    },
    # A 3W line is one organisation on one product for one client: the caller's scope
    # only gives it lines of parties its records show (a client's request's desk,
    # providers and partners; a provider its products' lines with their desk and
    # partners; a partner its own), and the client is one every audience of the
    # request, the engagement and the assessment reads (`client_code`).
    RecordKind.who_does_what: _all(
        RecordKind.who_does_what,
        """country region party_kind party org_name product_code client_code activity status
        since requests""",
    ),
    RecordKind.country_summary: _all(
        RecordKind.country_summary,
        "country region engagements open_engagements organisations products",
    ),
    RecordKind.request_figures: {
        **_all(
            RecordKind.request_figures,
            """request_id desk_code country region client_code products status route
            submitted_at measured_until measured_seconds hand_offs parties_involved
            joint_assessment_seconds""",
        ),
        # Who held the request: another product's provider is not a provider's to know,
        # nor another assessment's partner or any provider a partner's.
        "held_by": _PARTIES,
        "parties": Share(_EVERY_PARTY, of=RecordKind.party_time, per_party=True),
        "breaches": Share(_EVERY_PARTY, of=RecordKind.attributed_breach),
        "reroutings": _ENGAGEMENT_OUTCOMES,
        "declines": _ENGAGEMENT_OUTCOMES,
        "first_engagement_seconds": _ENGAGEMENT_OUTCOMES,
    },
    RecordKind.party_time: _all(
        RecordKind.party_time, "party_kind party org_name seconds share_pct breaches"
    ),
    RecordKind.attributed_breach: {
        **_all(RecordKind.attributed_breach, "clock breached_at"),
        "held_by": _PARTIES,
    },
    # Distributions of a kind of party's share: no party named, every audience's.
    RecordKind.share_distribution: _all(
        RecordKind.share_distribution,
        "key party_kind requests median_share_pct p90_share_pct seconds breaches",
    ),
    RecordKind.coordination_cost: {
        **_all(
            RecordKind.coordination_cost,
            "key route requests hand_offs parties_involved joint_assessment_hours",
        ),
        "reroutings": _ENGAGEMENT_OUTCOMES,
        "declines": _ENGAGEMENT_OUTCOMES,
        "first_engagement_hours": _ENGAGEMENT_OUTCOMES,
    },
    RecordKind.demand_without_supply: {
        **_all(RecordKind.demand_without_supply, "unmet_total has_next_page"),
        "unmet": Share(REACHES[RecordKind.unmet_demand], of=RecordKind.unmet_demand),
        "load": Share(REACHES[RecordKind.product_load], of=RecordKind.product_load),
    },
    RecordKind.unmet_demand: _all(
        RecordKind.unmet_demand, "month product_code region reason_code requests"
    ),
    RecordKind.product_load: _all(
        RecordKind.product_load,
        "month product_code capacity requested accepted declined in_hand utilisation unmet",
    ),
}

# Who reaches a request's internal rows at all: the desk's internal notes (GET /comments
# and the queue's search, services/desks/search.py) and its internal documents and files
# the scanner refused (services/desks/attachments.py).
INTERNAL_READERS = frozenset({A.desk, A.hq})

# The contract model each kind is answered as (the completeness test reads them).
MODELS: dict[RecordKind, type[BaseModel]] = {
    RecordKind.request: RequestPublic,
    RecordKind.routing: RoutingPublic,
    RecordKind.approval: ApprovalPublic,
    RecordKind.request_assessment: RequestAssessmentPublic,
    RecordKind.comment: CommentPublic,
    RecordKind.engagement: EngagementPublic,
    RecordKind.deliverable: DeliverablePublic,
    RecordKind.assignment: AssignmentPublic,
    RecordKind.assessment: AssessmentPublic,
    RecordKind.task: TaskPublic,
    RecordKind.lesson: LessonPublic,
    RecordKind.who_does_what: WhoDoesWhatRow,
    RecordKind.country_summary: CountrySummary,
    RecordKind.request_figures: RequestFigures,
    RecordKind.party_time: PartyTime,
    RecordKind.attributed_breach: AttributedBreach,
    RecordKind.share_distribution: ShareDistribution,
    RecordKind.coordination_cost: CoordinationCost,
    RecordKind.demand_without_supply: DemandWithoutSupply,
    RecordKind.unmet_demand: UnmetDemandMonth,
    RecordKind.product_load: ProductLoadMonth,
}


@dataclass(frozen=True)
class Viewer:
    """An audience, and for a provider the products it serves (for per-product fields),
    for a partner its code (for the parties it knows of)."""

    audience: Audience
    products: frozenset[str] = frozenset()
    partner: str | None = None


_ROLE_AUDIENCE = {
    Role.client: A.owner_client,
    Role.desk_officer: A.desk,
    Role.provider: A.provider,
    Role.partner: A.partner,
    Role.hq_analyst: A.hq,
    Role.admin: A.hq,
}


def viewer_of(principal: Principal) -> Viewer:
    """The caller's audience for a request, an engagement or an assessment it reaches:
    tenancy already made a client the request's own, a provider one of its products'."""
    return Viewer(_ROLE_AUDIENCE[principal.role], frozenset(principal.products), principal.partner)


def lesson_viewer(principal: Principal, owner_kind: str, owner_code: str | None) -> Viewer:
    """The caller's audience for a lesson: HQ, the lesson's author (its desk or the
    provider of its product), or a reader."""
    if principal.role in (Role.hq_analyst, Role.admin):
        return Viewer(A.hq)
    owns = (
        owner_kind == "provider"
        and principal.role is Role.provider
        and owner_code in principal.products
    ) or (
        owner_kind == "desk"
        and principal.role is Role.desk_officer
        and owner_code == principal.desk
    )
    return Viewer(A.author if owns else A.reader)


M = TypeVar("M", bound=BaseModel)


def shown_to(viewer: Viewer, kind: RecordKind, record: M) -> M:
    """The record as `viewer` may see it: every field outside the policy hidden (null, or
    empty), per-product fields cut to a provider's products, nested records projected."""
    if _sees_all(viewer, kind):
        return record
    update = {}
    for name, rule in POLICY[kind].items():
        value = getattr(record, name)
        if viewer.audience not in rule.audiences:
            update[name] = _hidden(type(record), name)
            continue
        if rule.per_product and viewer.audience is A.provider:
            value = _own_products(value, viewer.products)
        if rule.per_party and viewer.audience in _PARTY_CUT:
            value = [item for item in value if known(viewer, *_party_of(item))]
        if rule.of is not None and not _sees_all(viewer, rule.of):
            of = rule.of
            value = [shown_to(viewer, of, item) for item in value]
        if value is not getattr(record, name):
            update[name] = value
    return record.model_copy(update=update) if update else record


# The audiences a `per_party` field is cut for: everyone else knows every party.
_PARTY_CUT = frozenset({A.provider, A.partner})


def known(viewer: Viewer, party_kind: str, party: str) -> bool:
    """Whether a party of a request is one `viewer` may see named beside it: a provider
    sees the client, the desk and the partners (the request's assessments) and, of the
    providers, its own products' only (another's routing is not its reading); a partner
    the client and the desk (its assessment's) and itself, not the providers (it reads
    no engagement) nor the partners of another assessment."""
    if viewer.audience is A.provider:
        return party_kind != "provider" or party in viewer.products
    if viewer.audience is A.partner:
        return party_kind in ("client", "desk") or (
            party_kind == "partner" and party == viewer.partner
        )
    return True


def _party_of(item: Any) -> tuple[str, str]:
    """(kind, code) of a party: a `kind:code` string, a record or its JSON."""
    if isinstance(item, str):
        kind, _, code = item.partition(":")
        return kind, code
    if isinstance(item, Mapping):
        return str(item["party_kind"]), str(item["party"])
    return str(item.party_kind), str(item.party)


def _own_products(value: Any, products: frozenset[str]) -> Any:
    if isinstance(value, Mapping):
        return {code: entry for code, entry in value.items() if code in products}
    return [item for item in value if item.product_code in products]


def _sees_all(viewer: Viewer, kind: RecordKind) -> bool:
    key = (viewer.audience, kind)
    if key not in _SEES_ALL:
        _SEES_ALL[key] = all(
            viewer.audience in rule.audiences
            and not (rule.per_product and viewer.audience is A.provider)
            and not (rule.per_party and viewer.audience in _PARTY_CUT)
            and (rule.of is None or _sees_all(viewer, rule.of))
            for rule in POLICY[kind].values()
        )
    return _SEES_ALL[key]


_SEES_ALL: dict[tuple[Audience, RecordKind], bool] = {}


def _hidden(model: type[BaseModel], name: str) -> Any:
    """What a hidden field holds: null where the contract allows it, else empty."""
    annotation = model.model_fields[name].annotation
    if _nullable(annotation):
        return None
    origin = get_origin(annotation) or annotation
    if origin is list:
        return []
    if origin is dict:
        return {}
    raise TypeError(f"{model.__name__}.{name} cannot be hidden: make it nullable or a collection")


def _nullable(annotation: Any) -> bool:
    return get_origin(annotation) in (Union, types.UnionType) and type(None) in get_args(annotation)


def hideable(model: type[BaseModel], name: str) -> bool:
    """Whether a field can be hidden from an audience without breaking its contract."""
    try:
        _hidden(model, name)
    except TypeError:
        return False
    return True


def outside_policy(viewer: Viewer, kind: RecordKind, payload: Mapping[str, Any]) -> list[str]:
    """The paths of a JSON payload's fields that show something `viewer` may not see (a
    value that is neither null nor empty), and of fields the policy does not know: what
    the tests assert is empty on every path."""
    found = []
    for name, value in payload.items():
        rule = POLICY[kind].get(name)
        if rule is None:
            found.append(f"{kind}.{name} (no policy)")
        elif viewer.audience not in rule.audiences:
            if value not in (None, [], {}):
                found.append(f"{kind}.{name}")
        elif rule.per_product and viewer.audience is A.provider:
            codes = value.keys() if isinstance(value, Mapping) else _codes(value)
            found += [f"{kind}.{name}[{code}]" for code in codes if code not in viewer.products]
        elif rule.per_party and viewer.audience in _PARTY_CUT:
            parties = [_party_of(item) for item in value]
            found += [f"{kind}.{name}[{k}:{c}]" for k, c in parties if not known(viewer, k, c)]
        if rule is not None and rule.of is not None and viewer.audience in rule.audiences:
            for item in [value] if isinstance(value, Mapping) else value:
                found += outside_policy(viewer, rule.of, item)
    return found


def _codes(items: Iterable[Mapping[str, Any]]) -> list[str]:
    return [str(item["product_code"]) for item in items]


def allowed(kind: RecordKind, audience: Audience) -> frozenset[str]:
    """The fields of `kind` that `audience` may see."""
    return frozenset(name for name, rule in POLICY[kind].items() if audience in rule.audiences)


def policy_markdown() -> str:
    """The policy as the tables of docs/sharing.md (checked by tests/unit/test_docs.py):
    per kind, one row per distinct rule, naming its fields."""
    lines: list[str] = []
    for kind, fields in POLICY.items():
        reached = [audience for audience in Audience if audience in REACHES[kind]]
        rows: dict[tuple[str, ...], list[str]] = {}
        for name, rule in fields.items():
            marks = tuple(_mark(rule, audience) for audience in reached)
            rows.setdefault(marks, []).append(f"`{name}`" + (f" ({rule.of})" if rule.of else ""))
        lines += [
            f"### {kind.value}",
            "",
            "| fields | " + " | ".join(audience.value for audience in reached) + " |",
            "| --- |" + " :-: |" * len(reached),
            *(
                f"| {', '.join(names)} | " + " | ".join(marks) + " |"
                for marks, names in rows.items()
            ),
            "",
        ]
    return "\n".join(lines)


def _mark(rule: Share, audience: Audience) -> str:
    if audience not in rule.audiences:
        return "no"
    if (rule.per_product or rule.per_party) and audience is A.provider:
        return "own products"
    if rule.per_party and audience is A.partner:
        return "own part"
    return "yes"


if __name__ == "__main__":
    print(policy_markdown(), end="")
