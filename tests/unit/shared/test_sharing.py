"""The sharing policy (shared/sharing.py): complete for every record the services answer
with, and its projection showing each audience exactly the fields the policy allows.

The records are built from their contract models with every field filled, so a field
added to a model without a policy entry fails here, and a field the policy hides from an
audience is shown to fail the check before the projection hides it."""

from __future__ import annotations

import types
from datetime import UTC, date, datetime
from enum import Enum
from pathlib import Path
from typing import Any, Union, get_args, get_origin

import pytest
from pydantic import BaseModel

from shared.auth import Principal, Role
from shared.sharing import (
    MODELS,
    POLICY,
    REACHES,
    Audience,
    RecordKind,
    Viewer,
    allowed,
    hideable,
    lesson_viewer,
    outside_policy,
    policy_markdown,
    shown_to,
    viewer_of,
)

OWN, OTHER = "ELECTORAL_ASSISTANCE", "MEDIATION_SUPPORT"
PARTNER, OTHER_PARTNER = "AU", "EU"
# The parties of a request's figures, one of each kind a viewer may or may not know of.
PARTIES = [
    ("client", "MINUSMA"),
    ("desk", "AFRICA_II"),
    ("provider", OWN),
    ("provider", OTHER),
    ("partner", PARTNER),
    ("partner", OTHER_PARTNER),
]
DOCS = Path(__file__).parents[3] / "docs" / "sharing.md"


def filled(model: type[BaseModel]) -> BaseModel:
    """An instance with every field holding something (one entry per product where a
    field is a collection), so that nothing hidden could pass for empty."""
    values = {name: _value(field.annotation, name) for name, field in model.model_fields.items()}
    return model(**values)


def _value(annotation: Any, name: str) -> Any:
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        return _value(next(a for a in get_args(annotation) if a is not type(None)), name)
    if origin is list:
        (item,) = get_args(annotation)
        if isinstance(item, type) and issubclass(item, BaseModel):
            if "party" in item.model_fields:
                return [_for_party(item, kind, code) for kind, code in PARTIES]
            return [_for_product(item, code) for code in (OWN, OTHER)]
        if name == "held_by":
            return [f"{kind}:{code}" for kind, code in PARTIES]
        return [_value(item, name)]
    if origin is dict or annotation is dict:
        return {OWN: {"note": "own"}, OTHER: {"parties": ["confidential"]}}
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return filled(annotation)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return next(iter(annotation))
    scalars: dict[Any, Any] = {
        bool: True,
        int: 1,
        float: 1.5,
        datetime: datetime(2026, 3, 2, 9, tzinfo=UTC),
        date: date(2026, 3, 2),
    }
    return scalars.get(annotation, OWN if name == "product_code" else f"{name} text")


def _for_product(model: type[BaseModel], code: str) -> BaseModel:
    record = filled(model)
    return (
        record.model_copy(update={"product_code": code})
        if "product_code" in model.model_fields
        else record
    )


def _for_party(model: type[BaseModel], kind: str, code: str) -> BaseModel:
    return model.model_validate({**filled(model).model_dump(), "party_kind": kind, "party": code})


def viewer_as(audience: Audience) -> Viewer:
    """A viewer of the audience: a provider of OWN, the partner PARTNER."""
    return Viewer(audience, frozenset({OWN}), PARTNER if audience is Audience.partner else None)


CASES = [(kind, audience) for kind in MODELS for audience in sorted(REACHES[kind])]


@pytest.mark.parametrize("kind", list(MODELS), ids=str)
def test_every_field_of_every_record_has_one_policy_entry(kind: RecordKind) -> None:
    assert set(POLICY[kind]) == set(MODELS[kind].model_fields)


@pytest.mark.parametrize("kind", list(RecordKind), ids=str)
def test_every_audience_named_is_one_the_kind_reaches_and_a_hidden_field_can_be_hidden(
    kind: RecordKind,
) -> None:
    for name, rule in POLICY[kind].items():
        assert rule.audiences <= REACHES[kind], name
        if kind not in MODELS:  # the webhook's envelope: JSON, built by partner_view
            continue
        if rule.audiences != REACHES[kind]:
            assert hideable(MODELS[kind], name), name
        if rule.of is not None:
            assert get_args(MODELS[kind].model_fields[name].annotation) == (MODELS[rule.of],)


@pytest.mark.parametrize(("kind", "audience"), CASES, ids=lambda case: str(case))
def test_each_audience_is_shown_exactly_the_fields_the_policy_allows(
    kind: RecordKind, audience: Audience
) -> None:
    viewer = viewer_as(audience)
    record = filled(MODELS[kind])
    payload = shown_to(viewer, kind, record).model_dump(mode="json")

    assert outside_policy(viewer, kind, payload) == []
    present = {name for name, value in payload.items() if value not in (None, [], {})}
    assert present == allowed(kind, audience)
    if allowed(kind, audience) != set(POLICY[kind]):
        assert outside_policy(viewer, kind, record.model_dump(mode="json")) != []


def test_a_provider_sees_only_its_own_products_details_and_routings() -> None:
    record = filled(MODELS[RecordKind.request])
    shown = shown_to(Viewer(Audience.provider, frozenset({OWN})), RecordKind.request, record)
    payload = shown.model_dump(mode="json")

    assert set(payload["details"]) == {OWN}
    assert [routing["product_code"] for routing in payload["routings"]] == [OWN]
    assert payload["approvals"] == [] and payload["satisfaction_comment"] is None
    desk = shown_to(Viewer(Audience.desk), RecordKind.request, record)
    assert desk is record  # nothing hidden: the record itself, not a copy
    unscoped = record.model_dump(mode="json")
    assert outside_policy(Viewer(Audience.provider, frozenset({OWN})), RecordKind.request, unscoped)


def test_a_providers_figures_name_no_other_products_provider_and_a_partners_only_its_part() -> None:
    record = filled(MODELS[RecordKind.request_figures])
    seen = {}
    for audience in (Audience.provider, Audience.partner, Audience.owner_client):
        payload = shown_to(viewer_as(audience), RecordKind.request_figures, record).model_dump(
            mode="json"
        )
        parties = [(p["party_kind"], p["party"]) for p in payload["parties"]]
        assert [f"{kind}:{code}" for kind, code in parties] == payload["held_by"]
        assert payload["breaches"][0]["held_by"] == payload["held_by"]
        seen[audience] = parties, payload["declines"], payload["first_engagement_seconds"]

    assert seen[Audience.provider] == ([p for p in PARTIES if p != ("provider", OTHER)], None, None)
    assert seen[Audience.partner] == (
        [("client", "MINUSMA"), ("desk", "AFRICA_II"), ("partner", PARTNER)],
        None,
        None,
    )
    assert seen[Audience.owner_client] == (PARTIES, 1, 1)
    unscoped = record.model_dump(mode="json")
    assert set(
        outside_policy(viewer_as(Audience.partner), RecordKind.request_figures, unscoped)
    ) == {
        "request_figures.held_by[provider:ELECTORAL_ASSISTANCE]",
        "request_figures.held_by[provider:MEDIATION_SUPPORT]",
        "request_figures.held_by[partner:EU]",
        "request_figures.parties[provider:ELECTORAL_ASSISTANCE]",
        "request_figures.parties[provider:MEDIATION_SUPPORT]",
        "request_figures.parties[partner:EU]",
        "attributed_breach.held_by[provider:ELECTORAL_ASSISTANCE]",
        "attributed_breach.held_by[provider:MEDIATION_SUPPORT]",
        "attributed_breach.held_by[partner:EU]",
        "request_figures.reroutings",
        "request_figures.declines",
        "request_figures.first_engagement_seconds",
    }


def test_supply_is_no_clients_and_unmet_demand_no_partners() -> None:
    record = filled(MODELS[RecordKind.demand_without_supply])
    for audience, unmet, load in (
        (Audience.owner_client, True, False),
        (Audience.partner, False, False),
        (Audience.provider, True, True),
    ):
        shown = shown_to(viewer_as(audience), RecordKind.demand_without_supply, record)
        assert (bool(shown.unmet), bool(shown.load)) == (unmet, load), audience


def test_a_field_without_a_policy_entry_is_reported() -> None:
    payload = {"id": "x", "secret_margin_note": "for the desk"}
    assert outside_policy(Viewer(Audience.hq), RecordKind.comment, payload) == [
        "comment.secret_margin_note (no policy)"
    ]


@pytest.mark.parametrize(
    ("principal", "audience"),
    [
        (Principal("a", Role.client, client="MINUSMA"), Audience.owner_client),
        (Principal("b", Role.desk_officer, desk="AFRICA_II"), Audience.desk),
        (Principal("c", Role.provider, products=(OWN,)), Audience.provider),
        (Principal("d", Role.partner, partner=PARTNER), Audience.partner),
        (Principal("e", Role.hq_analyst), Audience.hq),
        (Principal("f", Role.admin), Audience.hq),
    ],
)
def test_a_callers_audience_follows_from_its_role_and_tenancy(
    principal: Principal, audience: Audience
) -> None:
    assert viewer_of(principal).audience is audience
    assert viewer_of(principal).partner == principal.partner


@pytest.mark.parametrize(
    ("principal", "owner_kind", "owner_code", "audience"),
    [
        (Principal("c", Role.provider, products=(OWN,)), "provider", OWN, Audience.author),
        (Principal("c", Role.provider, products=(OWN,)), "provider", OTHER, Audience.reader),
        (Principal("b", Role.desk_officer, desk="AFRICA_II"), "desk", "AFRICA_II", Audience.author),
        (Principal("b", Role.desk_officer, desk="AFRICA_I"), "desk", "AFRICA_II", Audience.reader),
        (Principal("a", Role.client, client="MINUSMA"), "provider", OWN, Audience.reader),
        (Principal("d", Role.partner, partner="AU"), "hq", None, Audience.reader),
        (Principal("e", Role.hq_analyst), "provider", OWN, Audience.hq),
    ],
)
def test_a_lessons_audience_is_its_author_hq_or_a_reader(
    principal: Principal, owner_kind: str, owner_code: str | None, audience: Audience
) -> None:
    assert lesson_viewer(principal, owner_kind, owner_code).audience is audience


def test_the_documented_policy_is_the_declared_one() -> None:
    assert policy_markdown() in DOCS.read_text(encoding="utf-8"), (
        "docs/sharing.md: paste the output of `python -m shared.sharing`"
    )
