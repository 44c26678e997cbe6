"""The approval step's rules: which requests a rule holds, who decides, what a decision
needs, and the statuses a request passes through."""

from __future__ import annotations

import pytest

from contracts.enums import RequestStatus
from services.desks import domain
from services.desks.domain import ApprovalRuleSpec, transition
from shared.errors import DomainError

S = RequestStatus
HOST_MEDIATION = ApprovalRuleSpec(
    id="r1", name="Host-country mediation", product_code="MEDIATION_SUPPORT",
    client_kind="host_country",
)  # fmt: skip
IMMEDIATE = ApprovalRuleSpec(id="r2", name="Immediate", urgency="immediate")
SAHEL_ONLY = ApprovalRuleSpec(id="r3", name="Sahel electoral", desk_code="AFRICA_II",
                              product_code="ELECTORAL_ASSISTANCE")  # fmt: skip
RULES = [HOST_MEDIATION, IMMEDIATE, SAHEL_ONLY]


def met(**request: object) -> list[str]:
    asked = {
        "desk_code": "AFRICA_II", "products": [], "urgency": "routine",
        "client_kind": "peacekeeping_operation", **request,
    }  # fmt: skip
    return [rule.name for rule in domain.rules_requiring_approval(RULES, **asked)]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("request_", "expected"),
    [
        ({}, []),
        ({"products": ["MEDIATION_SUPPORT"]}, []),  # a mission, not a host country
        ({"products": ["MEDIATION_SUPPORT"], "client_kind": "host_country"},
         ["Host-country mediation"]),
        ({"products": ["RULE_OF_LAW"], "client_kind": "host_country"}, []),
        ({"urgency": "immediate"}, ["Immediate"]),
        ({"products": ["ELECTORAL_ASSISTANCE"]}, ["Sahel electoral"]),
        ({"products": ["ELECTORAL_ASSISTANCE"], "desk_code": "AFRICA_I"}, []),
        ({"products": ["ELECTORAL_ASSISTANCE", "MEDIATION_SUPPORT"], "urgency": "immediate",
          "client_kind": "host_country"},
         ["Host-country mediation", "Immediate", "Sahel electoral"]),
    ],
)  # fmt: skip
def test_a_request_meets_a_rule_when_every_condition_given_holds(
    request_: dict[str, object], expected: list[str]
) -> None:
    assert met(**request_) == expected


def test_a_rule_needs_a_name_and_a_condition() -> None:
    for rule in (
        ApprovalRuleSpec(id="x", name="Everything"),
        ApprovalRuleSpec(id="x", name="  ", urgency="immediate"),
    ):
        with pytest.raises(DomainError) as refused:
            domain.check_rule(rule)
        assert refused.value.code == "BAD_USER_INPUT"
    domain.check_rule(IMMEDIATE)


@pytest.mark.parametrize(
    ("role", "desk", "subject", "expected"),
    [
        ("admin", None, "hq-admin", True),
        ("desk_officer", "AFRICA_II", "chief-africa-ii", True),
        ("desk_officer", "AFRICA_II", "officer-1", False),  # not the chief
        ("desk_officer", "AFRICA_I", "chief-africa-ii", False),  # another desk
        ("desk_officer", "EUROPE", "officer-1", False),
        ("client", None, "minusma-focal", False),
        ("hq_analyst", None, "analyst", False),
    ],
)
def test_the_desk_chief_or_an_admin_decides(
    role: str, desk: str | None, subject: str, expected: bool
) -> None:
    chiefs = {"AFRICA_II": "chief-africa-ii"}
    assert (
        domain.is_approver(
            role=role, desk=desk, subject=subject, request_desk="AFRICA_II", desk_chiefs=chiefs
        )
        is expected
    )


def test_a_desk_without_a_configured_chief_has_every_officer_decide() -> None:
    assert domain.is_approver(
        role="desk_officer", desk="EUROPE", subject="anyone", request_desk="EUROPE", desk_chiefs={}
    )


def test_a_rejection_says_why_and_an_approval_may_not() -> None:
    assert domain.require_decision_comment(None, "approved") is None
    assert domain.require_decision_comment("  fine  ", "approved") == "fine"
    with pytest.raises(DomainError) as refused:
        domain.require_decision_comment("   ", "rejected")
    assert refused.value.code == "BAD_USER_INPUT"
    with pytest.raises(DomainError):
        domain.require_decision_comment("x" * (domain.MAX_REASON + 1), "approved")


def test_a_request_awaiting_approval_cannot_be_routed_triaged_or_held() -> None:
    assert S.awaiting_approval not in domain.ROUTABLE
    for target in (S.triaged, S.routed, S.on_hold, S.in_progress):
        with pytest.raises(DomainError) as refused:
            transition(S.awaiting_approval, target)
        assert refused.value.code == "ILLEGAL_TRANSITION"
    # Approved: back where intake leaves a request, then along the usual flow.
    assert transition(S.awaiting_approval, S.submitted) is S.submitted
    assert domain.path_to(S.awaiting_approval, S.routed) == []  # routings never move it


def test_a_request_awaiting_approval_is_open_and_its_clocks_pause() -> None:
    assert S.awaiting_approval in domain.OPEN_STATUSES
    assert S.awaiting_approval in domain.PAUSING_STATUSES
    assert domain.clocks_stopped_by_status(S.awaiting_approval) == frozenset()
