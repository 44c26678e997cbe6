"""The rules of a joint assessment, tested exhaustively where they are tables."""

from __future__ import annotations

from datetime import date

import pytest

from services.partnerships import domain
from services.partnerships.domain import (
    ACTIONS,
    TASK_TRANSITIONS,
    TRANSITIONS,
    Action,
    AssessmentStatus,
    FrameworkWindow,
    TaskStatus,
    TaskView,
)
from shared.errors import DomainError, check_version

A = AssessmentStatus
T = TaskStatus

ALLOWED = {
    (A.proposed, A.active),
    (A.proposed, A.cancelled),
    (A.active, A.concluded),
    (A.active, A.cancelled),
}
TASK_ALLOWED = {(T.proposed, T.accepted), (T.proposed, T.declined), (T.accepted, T.done)}


@pytest.mark.parametrize("current", list(A))
@pytest.mark.parametrize("target", list(A))
def test_every_assessment_move_is_allowed_or_refused_by_the_table(
    current: AssessmentStatus, target: AssessmentStatus
) -> None:
    if (current, target) in ALLOWED:
        assert domain.transition(current, target) is target
    else:
        with pytest.raises(DomainError) as refused:
            domain.transition(current, target)
        assert refused.value.code == "ILLEGAL_TRANSITION"


@pytest.mark.parametrize("current", list(T))
@pytest.mark.parametrize("target", list(T))
def test_every_task_move_is_allowed_or_refused_by_the_table(
    current: TaskStatus, target: TaskStatus
) -> None:
    if (current, target) in TASK_ALLOWED:
        assert domain.task_transition(current, target) is target
    else:
        with pytest.raises(DomainError) as refused:
            domain.task_transition(current, target)
        assert refused.value.code == "ILLEGAL_TRANSITION"


def test_the_tables_cover_every_status_and_terminal_states_have_no_way_out() -> None:
    assert set(TRANSITIONS) == set(A) and set(TASK_TRANSITIONS) == set(T)
    assert TRANSITIONS[A.concluded] == TRANSITIONS[A.cancelled] == frozenset()
    assert set(ACTIONS) == set(Action)


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("status", list(A))
def test_actions_happen_only_in_their_statuses(action: Action, status: AssessmentStatus) -> None:
    expected = {
        Action.invite: {A.proposed},
        Action.add_task: {A.proposed, A.active},
        Action.answer_task: {A.proposed, A.active},
        Action.post_findings: {A.active},
    }[action]
    if status in expected:
        domain.check_action(action, status)
    else:
        with pytest.raises(DomainError, match=r"^cannot"):
            domain.check_action(action, status)


def test_activation_needs_every_answer_and_every_partner_leading_an_accepted_task() -> None:
    partners = ["AU", "WORLD_BANK"]
    assert domain.activation_blockers(partners, []) == [
        "no tasks yet",
        "partners leading no accepted task: AU, WORLD_BANK",
    ]
    waiting = [
        TaskView("AU", T.accepted, "security"),
        TaskView("WORLD_BANK", T.proposed, "economy"),
    ]
    assert domain.activation_blockers(partners, waiting) == [
        "tasks awaiting an answer: economy",
        "partners leading no accepted task: WORLD_BANK",
    ]
    declined = [TaskView("AU", T.accepted, "security"), TaskView("WORLD_BANK", T.declined, "x")]
    assert domain.activation_blockers(partners, declined) == [
        "partners leading no accepted task: WORLD_BANK"
    ]
    agreed = [*declined, TaskView("WORLD_BANK", T.accepted, "economy"), TaskView("UN", T.accepted)]
    assert domain.activation_blockers(partners, agreed) == []


def test_conclusion_needs_findings_on_every_accepted_task() -> None:
    tasks = [TaskView("AU", T.done, "security"), TaskView("UN", T.accepted, "politics")]
    assert domain.conclusion_blockers(tasks) == ["tasks without findings: politics"]
    assert domain.conclusion_blockers([tasks[0], TaskView("EU", T.declined, "aid")]) == []
    with pytest.raises(DomainError) as refused:
        domain.refuse_if(domain.conclusion_blockers(tasks), "conclude")
    assert refused.value.code == "PRECONDITION_FAILED"


def test_the_division_of_labour_lists_the_work_done_and_who_led_it() -> None:
    tasks = [
        TaskView("AU", T.done, "security"),
        TaskView("WORLD_BANK", T.declined, "economy"),
        TaskView("UN", T.done, "politics"),
    ]
    assert domain.division_of_labour(tasks) == [("security", "AU"), ("politics", "UN")]


def test_tasks_are_led_by_the_un_or_an_invited_partner_and_answered_by_their_lead() -> None:
    domain.check_task_lead("UN", ["AU"])
    domain.check_task_lead("AU", ["AU"])
    with pytest.raises(DomainError):
        domain.check_task_lead("EU", ["AU"])
    assert domain.initial_task_status("UN") is T.accepted
    assert domain.initial_task_status("AU") is T.proposed
    domain.check_answers_own_task("AU", "AU")
    with pytest.raises(DomainError) as refused:
        domain.check_answers_own_task("AU", "WORLD_BANK")
    assert refused.value.code == "FORBIDDEN"


def test_partners_are_known_distinct_and_within_the_framework() -> None:
    known = ["AU", "WORLD_BANK", "EU"]
    assert domain.check_partners(["AU"], known, None) == ["AU"]
    for partners, code in (
        ([], "BAD_USER_INPUT"),
        (["AU", "AU"], "BAD_USER_INPUT"),
        (["OAS"], "UNKNOWN_PARTNER"),
    ):
        with pytest.raises(DomainError) as refused:
            domain.check_partners(partners, known, None)
        assert refused.value.code == code
    framework = FrameworkWindow("UN-AU", frozenset({"AU"}), date(2026, 1, 1), date(2026, 12, 31))
    with pytest.raises(DomainError, match="not party"):
        domain.check_partners(["AU", "EU"], known, framework)


def test_an_assessment_under_a_framework_falls_inside_its_validity() -> None:
    framework = FrameworkWindow("UN-AU", frozenset({"AU"}), date(2026, 1, 1), date(2026, 6, 30))
    domain.check_framework(framework, date(2026, 3, 1), date(2026, 6, 30))
    for today, due in (
        (date(2025, 12, 31), None),
        (date(2026, 7, 1), None),
        (date(2026, 3, 1), date(2026, 7, 1)),
    ):
        with pytest.raises(DomainError):
            domain.check_framework(framework, today, due)


def test_overdue_means_past_due_and_not_finished() -> None:
    today = date(2026, 5, 10)
    assert domain.is_overdue(date(2026, 5, 9), T.accepted, today)
    assert domain.is_overdue(date(2026, 5, 9), T.proposed, today)
    assert not domain.is_overdue(date(2026, 5, 10), T.accepted, today)
    assert not domain.is_overdue(date(2026, 5, 9), T.done, today)
    assert not domain.is_overdue(None, T.accepted, today)


def test_a_stale_version_is_a_conflict() -> None:
    check_version("the assessment", current=3, expected=3)
    with pytest.raises(DomainError) as refused:
        check_version("the assessment", current=3, expected=2)
    assert refused.value.code == "VERSION_CONFLICT"
