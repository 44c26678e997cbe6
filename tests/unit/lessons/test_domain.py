"""The lessons rules: the workflow table (exhaustively), who sees and does what, the
after-action prefill, suggestion ranking, and the search helpers."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime

import pytest

from contracts.enums import Sensitivity
from contracts.events import ClientKind, DeliverableRef, EngagementDelivered
from services.lessons.domain import (
    COMMAND_TARGET,
    TRANSITIONS,
    Candidate,
    IntakeProfile,
    LessonCommand,
    LessonStatus,
    Owner,
    OwnerKind,
    after_action_draft,
    authorise_command,
    may_read_suggestions,
    owner_of_new_draft,
    owns_draft,
    rank_suggestions,
    terms_of,
    transition,
    validate_content,
    visible_sensitivities,
)
from services.lessons.search import include_name, search_terms
from shared.auth import Principal, Role
from shared.errors import DomainError

S = LessonStatus
ALLOWED = {
    (S.draft, S.in_review),
    (S.draft, S.archived),
    (S.in_review, S.published),
    (S.in_review, S.draft),
    (S.published, S.archived),
}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(S, S)))
def test_the_workflow_table_allows_exactly_these_moves(
    current: LessonStatus, target: LessonStatus
) -> None:
    if (current, target) in ALLOWED:
        assert transition(current, target) is target
    else:
        with pytest.raises(DomainError) as refused:
            transition(current, target)
        assert refused.value.code == "ILLEGAL_TRANSITION"
    assert target in TRANSITIONS[current] or (current, target) not in ALLOWED


def test_each_command_aims_at_one_status() -> None:
    assert COMMAND_TARGET == {
        LessonCommand.submit: S.in_review,
        LessonCommand.approve: S.published,
        LessonCommand.send_back: S.draft,
        LessonCommand.archive: S.archived,
    }


def principal(role: Role, **tenant: object) -> Principal:
    return Principal(subject="someone", role=role, **tenant)  # type: ignore[arg-type]


def test_restricted_lessons_reach_hq_roles_only() -> None:
    everything = set(Sensitivity)
    assert visible_sensitivities(Role.hq_analyst) == everything
    assert visible_sensitivities(Role.admin) == everything
    assert visible_sensitivities(Role.desk_officer) == everything
    assert visible_sensitivities(Role.provider) == everything
    assert visible_sensitivities(Role.client) == {Sensitivity.public, Sensitivity.internal}
    assert visible_sensitivities(Role.partner) == {Sensitivity.public}


def test_who_owns_a_new_draft() -> None:
    provider = principal(Role.provider, products=("RULE_OF_LAW", "HUMAN_RIGHTS"))
    assert owner_of_new_draft(provider, ["MEDIATION_SUPPORT", "HUMAN_RIGHTS"]) == Owner(
        OwnerKind.provider, "HUMAN_RIGHTS"
    )
    with pytest.raises(DomainError, match="own products"):
        owner_of_new_draft(provider, ["MEDIATION_SUPPORT"])
    desk = principal(Role.desk_officer, desk="AFRICA_II")
    assert owner_of_new_draft(desk, []) == Owner(OwnerKind.desk, "AFRICA_II")
    assert owner_of_new_draft(principal(Role.hq_analyst), []) == Owner(OwnerKind.hq, None)
    for role, tenant in ((Role.client, {"client": "MINUSMA"}), (Role.partner, {"partner": "AU"})):
        with pytest.raises(DomainError) as refused:
            owner_of_new_draft(principal(role, **tenant), [])
        assert refused.value.code == "FORBIDDEN"


def test_who_may_submit_and_who_may_review() -> None:
    owner = Owner(OwnerKind.provider, "RULE_OF_LAW")
    author = principal(Role.provider, products=("RULE_OF_LAW",))
    stranger = principal(Role.provider, products=("HUMAN_RIGHTS",))
    reviewer = principal(Role.hq_analyst)
    assert owns_draft(author, owner) and owns_draft(reviewer, owner)
    assert not owns_draft(stranger, owner)
    assert not owns_draft(principal(Role.desk_officer, desk="X"), Owner(OwnerKind.desk, "Y"))
    authorise_command(author, LessonCommand.submit, owner, None)
    with pytest.raises(DomainError):
        authorise_command(stranger, LessonCommand.submit, owner, None)
    for command in (LessonCommand.approve, LessonCommand.send_back, LessonCommand.archive):
        with pytest.raises(DomainError) as refused:
            authorise_command(author, command, owner, "fine")
        assert refused.value.code == "FORBIDDEN"
        authorise_command(principal(Role.admin), command, owner, "fine")
    with pytest.raises(DomainError) as no_comment:
        authorise_command(reviewer, LessonCommand.send_back, owner, "  ")
    assert no_comment.value.code == "BAD_USER_INPUT"


def test_content_is_validated() -> None:
    good = {
        "title": "T",
        "summary": "",
        "body": "",
        "themes": ["A"],
        "countries": ["MLI"],
        "regions": [],
        "client_kinds": [],
    }
    validate_content(**good)  # type: ignore[arg-type]
    for change in ({"title": " "}, {"countries": ["Mali"]}, {"themes": ["A", "A"]}):
        with pytest.raises(DomainError) as refused:
            validate_content(**{**good, **change})  # type: ignore[arg-type]
        assert refused.value.code == "BAD_USER_INPUT"


def test_the_after_action_draft_is_prefilled_from_the_engagement() -> None:
    event = EngagementDelivered(
        engagement_id="e",
        request_id="r",
        routing_id="x",
        product_code="RULE_OF_LAW",
        provider_unit="Justice and Corrections",
        client_code="UNMISS",
        client_kind=ClientKind.peacekeeping_operation,
        country="SSD",
        region="Africa",
        desk_code="AFRICA_I",
        title="Prison census",
        deliverables=[
            DeliverableRef(
                title="Census", kind="report", reference="JCS/1", delivered_on=date(2026, 2, 1)
            )
        ],
        delivered_by="p",
        delivered_at=datetime(2026, 2, 2, tzinfo=UTC),
    )
    draft = after_action_draft(event)
    assert draft.title == "After action: Prison census"
    assert (draft.themes, draft.countries, draft.regions) == (["RULE_OF_LAW"], ["SSD"], ["Africa"])
    assert draft.client_kinds == ["peacekeeping_operation"]
    assert "- Census (report, 2026-02-01): JCS/1" in draft.body
    assert "Accepted: not recorded; delivered: 2026-02-02" in draft.body


def candidate(lesson_id: str, text: float, **tags: frozenset[str]) -> Candidate:
    return Candidate(
        lesson_id=lesson_id,
        text_score=text,
        themes=tags.get("themes", frozenset()),
        countries=tags.get("countries", frozenset()),
        regions=tags.get("regions", frozenset()),
        title_and_summary="Voter registration in Gao",
    )


def test_suggestions_weigh_text_then_theme_country_and_region() -> None:
    profile = IntakeProfile(
        terms=["voter", "registrations", "election"],
        products=frozenset({"ELECTORAL_ASSISTANCE"}),
        country="MLI",
        region="Africa",
    )
    ranked = rank_suggestions(
        profile,
        [
            candidate("text-only", 4.0),
            candidate("weak-text-same-country", 1.0, countries=frozenset({"MLI"})),
            candidate(
                "all",
                2.0,
                themes=frozenset({"ELECTORAL_ASSISTANCE"}),
                countries=frozenset({"MLI"}),
                regions=frozenset({"Africa"}),
            ),
            candidate("region-only", 0.0, regions=frozenset({"Africa"})),
            candidate("nothing", 0.0, regions=frozenset({"Europe"})),
        ],
        limit=10,
    )
    assert [item.lesson_id for item in ranked] == [
        "all",
        "text-only",
        "weak-text-same-country",
        "region-only",
    ]
    top = ranked[0]
    assert top.score == pytest.approx(0.5 + 0.6 + 0.5 + 0.2)
    assert top.reasons == [
        "mentions voter, registrations",
        "same theme: ELECTORAL_ASSISTANCE",
        "same country: MLI",
        "same region: Africa",
    ]
    assert rank_suggestions(profile, [], limit=5) == []
    assert len(rank_suggestions(profile, [candidate(str(n), n + 1.0) for n in range(9)], 3)) == 3


def test_who_may_read_a_requests_suggestions() -> None:
    request = {"client_code": "MINUSMA", "desk_code": "AFRICA_II", "products": ["RULE_OF_LAW"]}
    allowed = [
        principal(Role.client, client="MINUSMA"),
        principal(Role.desk_officer, desk="AFRICA_II"),
        principal(Role.provider, products=("RULE_OF_LAW",)),
        principal(Role.hq_analyst),
        principal(Role.admin),
    ]
    refused = [
        principal(Role.client, client="UNMISS"),
        principal(Role.desk_officer, desk="AMERICAS"),
        principal(Role.provider, products=("HUMAN_RIGHTS",)),
        principal(Role.partner, partner="AU"),
    ]
    assert all(may_read_suggestions(p, **request) for p in allowed)  # type: ignore[arg-type]
    assert not any(may_read_suggestions(p, **request) for p in refused)  # type: ignore[arg-type]


def test_words_for_matching_drop_syntax_and_stop_words() -> None:
    assert terms_of("The Electoral commission's 2027 plan, the plan!") == [
        "electoral",
        "commission",
        "plan",
    ]
    assert search_terms('"voter" OR reg* NEAR(x y) -- ;DROP') == [
        "voter",
        "reg",
        "near",
        "drop",
    ]
    assert search_terms("the of and") == []
    assert len(search_terms(" ".join(f"w{n}" for n in range(100)))) == 40


def test_migrations_manage_the_search_objects_themselves() -> None:
    assert not include_name("lesson_fts", "table", {})
    assert not include_name("lesson_fts_data", "table", {})
    assert not include_name("search_vector", "column", {"table_name": "lesson"})
    assert not include_name("ix_lesson_search_vector", "index", {})
    assert include_name("lesson", "table", {})
    assert include_name("title", "column", {"table_name": "lesson"})
    assert include_name(None, "unique_constraint", {})
