"""The rules of a joint assessment: its state machines, who does what, and webhook backoff.

Pure functions and tables, no I/O. Two state machines (the assessment's and each
task's) are tables of allowed moves; which action may happen in which assessment
status is a table too (`ACTIONS`), so every rule can be read and tested in one place.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from contracts.enums import AssessmentStatus, TaskStatus
from contracts.http.partnerships.requests import MAX_SCOPE as MAX_SCOPE
from contracts.http.partnerships.requests import MAX_TEXT as MAX_TEXT
from contracts.http.partnerships.requests import MAX_TITLE as MAX_TITLE
from shared.errors import DomainError
from shared.state_machine import StateMachine

UN = "UN"  # the lead of a task the UN does itself


A = AssessmentStatus
TRANSITIONS: Mapping[AssessmentStatus, frozenset[AssessmentStatus]] = {
    A.proposed: frozenset({A.active, A.cancelled}),
    A.active: frozenset({A.concluded, A.cancelled}),
    A.concluded: frozenset(),
    A.cancelled: frozenset(),
}
transition = StateMachine("a joint assessment", TRANSITIONS).move


T = TaskStatus
TASK_TRANSITIONS: Mapping[TaskStatus, frozenset[TaskStatus]] = {
    T.proposed: frozenset({T.accepted, T.declined}),
    T.accepted: frozenset({T.done}),
    T.declined: frozenset(),
    T.done: frozenset(),
}
task_transition = StateMachine("a task", TASK_TRANSITIONS).move


class Action(StrEnum):
    invite = "invite"
    add_task = "add_task"
    answer_task = "answer_task"
    post_findings = "post_findings"


# In which assessment statuses each action is allowed. The parties are fixed once the
# assessment is active (they agreed to a division of labour among themselves); tasks can
# still be added and answered; findings are work done, so only while it is active.
ACTIONS: Mapping[Action, frozenset[AssessmentStatus]] = {
    Action.invite: frozenset({A.proposed}),
    Action.add_task: frozenset({A.proposed, A.active}),
    Action.answer_task: frozenset({A.proposed, A.active}),
    Action.post_findings: frozenset({A.active}),
}


def check_action(action: Action, status: AssessmentStatus) -> None:
    if status not in ACTIONS[action]:
        raise DomainError(
            "ILLEGAL_TRANSITION",
            f"cannot {action.value.replace('_', ' ')} while the assessment is {status.value}",
            status=status.value,
        )


@dataclass(frozen=True)
class TaskView:
    """What the rules need to know of a task."""

    lead: str
    status: TaskStatus
    title: str = ""


@dataclass(frozen=True)
class FrameworkWindow:
    name: str
    partners: frozenset[str]
    valid_from: date
    valid_to: date


def check_text(value: str, field: str, limit: int) -> str:
    value = value.strip()
    if not value:
        raise DomainError("BAD_USER_INPUT", f"{field} must not be empty", field=field)
    if len(value) > limit:
        raise DomainError(
            "BAD_USER_INPUT", f"{field} is longer than {limit} characters", field=field
        )
    return value


def check_partners(
    partners: Sequence[str], known: Collection[str], framework: FrameworkWindow | None
) -> list[str]:
    """The invited partners: at least one, distinct, known and active, within the framework."""
    if not partners:
        raise DomainError("BAD_USER_INPUT", "invite at least one partner", field="partners")
    if len(set(partners)) != len(partners):
        raise DomainError("BAD_USER_INPUT", "partners must be distinct", field="partners")
    unknown = sorted(set(partners) - set(known))
    if unknown:
        raise DomainError(
            "UNKNOWN_PARTNER", f"unknown partner: {', '.join(unknown)}", partners=unknown
        )
    if framework is not None:
        outside = sorted(set(partners) - framework.partners)
        if outside:
            raise DomainError(
                "BAD_USER_INPUT",
                f"{', '.join(outside)} not party to the framework {framework.name}",
                field="partners",
            )
    return list(partners)


def check_framework(framework: FrameworkWindow, today: date, due_on: date | None) -> None:
    """An assessment under a framework falls inside its validity: opened and due within it."""
    if not framework.valid_from <= today <= framework.valid_to:
        raise DomainError(
            "BAD_USER_INPUT",
            f"the framework {framework.name} is valid from {framework.valid_from} "
            f"to {framework.valid_to}, not on {today}",
            field="framework_id",
        )
    if due_on is not None and due_on > framework.valid_to:
        raise DomainError(
            "BAD_USER_INPUT",
            f"due on {due_on}, after the framework {framework.name} ends ({framework.valid_to})",
            field="due_on",
        )


def check_window(valid_from: date, valid_to: date) -> None:
    if valid_to < valid_from:
        raise DomainError("BAD_USER_INPUT", "valid_to is before valid_from", field="valid_to")


def check_due(due_on: date | None, today: date, field: str = "due_on") -> None:
    if due_on is not None and due_on < today:
        raise DomainError("BAD_USER_INPUT", f"{field} {due_on} is in the past", field=field)


def check_task_lead(lead: str, partners: Collection[str]) -> None:
    """A task is led by the UN or by a partner taking part in the assessment."""
    if lead != UN and lead not in partners:
        raise DomainError(
            "BAD_USER_INPUT",
            f"the lead must be UN or an invited partner ({', '.join(sorted(partners))})",
            field="lead",
        )


def initial_task_status(lead: str) -> TaskStatus:
    # The UN side proposes the division of labour, so its own tasks need no acceptance.
    return TaskStatus.accepted if lead == UN else TaskStatus.proposed


def check_answers_own_task(task_lead: str, partner: str | None) -> None:
    """A partner answers only the tasks it leads (None: the caller names no partner)."""
    if task_lead != partner:
        raise DomainError("FORBIDDEN", f"this task is led by {task_lead}, not {partner}")


def activation_blockers(partners: Collection[str], tasks: Sequence[TaskView]) -> list[str]:
    """Why the assessment cannot start yet; empty when it can.

    It starts once the division of labour is agreed: no task still awaits an answer,
    and every invited partner leads at least one task it accepted (a partner that
    declined everything has no part in the work, so the desk gives it another task or
    cancels).
    """
    problems: list[str] = []
    if not tasks:
        problems.append("no tasks yet")
    pending = [task.title or task.lead for task in tasks if task.status is TaskStatus.proposed]
    if pending:
        problems.append(f"tasks awaiting an answer: {', '.join(pending)}")
    leading = {task.lead for task in tasks if task.status is TaskStatus.accepted}
    idle = sorted(set(partners) - leading)
    if idle:
        problems.append(f"partners leading no accepted task: {', '.join(idle)}")
    return problems


def conclusion_blockers(tasks: Sequence[TaskView]) -> list[str]:
    """Why the assessment cannot conclude yet: accepted tasks still without findings."""
    open_tasks = [task.title or task.lead for task in tasks if task.status is TaskStatus.accepted]
    return [f"tasks without findings: {', '.join(open_tasks)}"] if open_tasks else []


def refuse_if(problems: list[str], what: str) -> None:
    if problems:
        raise DomainError(
            "PRECONDITION_FAILED", f"cannot {what}: {'; '.join(problems)}", problems=problems
        )


def division_of_labour(tasks: Sequence[TaskView]) -> list[tuple[str, str]]:
    """Who did what: the tasks that were carried out (declined ones had no lead)."""
    return [(task.title, task.lead) for task in tasks if task.status is TaskStatus.done]


def is_overdue(due_on: date | None, status: TaskStatus, today: date) -> bool:
    return due_on is not None and due_on < today and status in (T.proposed, T.accepted)
