"""Who is told what: pure rules from events to notification drafts, and the mail
sender's back-off. No I/O; the handlers load what a rule needs and pass it in.

Each rule tells only what the services already show its audience: a client hears of
its own request's status and of comments it may read (internal notes are never even
published), the desk hears of its SLA clocks, a provider of engagements proposed to
its products, a partner of tasks it was given to lead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from contracts.enums import Language, NotificationKind
from shared.audiences import (
    audiences_of,
    client_audience,
    desk_audience,
    desk_chief_audience,
    partner_audience,
    product_audience,
)
from shared.auth import Principal, Role
from shared.errors import DomainError

ALL_KINDS: tuple[NotificationKind, ...] = tuple(NotificationKind)
DEFAULT_LANGUAGE = Language.en
# A deliberately plain check (one @, a dot in the domain, no spaces or control
# characters): the SMTP server has the last word, and a refused address shows in the
# e-mail's last_error.
EMAIL_ADDRESS = re.compile(r"[^@\s\x00-\x1f\x7f]{1,64}@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+")
MAX_EMAIL_ADDRESS = 254


@dataclass(frozen=True)
class Draft:
    """A notification before it is stored: to whom, of what kind, about what."""

    audience: str
    kind: NotificationKind
    title: str
    link: str
    request_id: str | None = None
    subject_id: str | None = None
    params: dict[str, Any] = field(default_factory=dict)


def request_link(request_id: str) -> str:
    return f"/requests/{request_id}"


def assessment_link(assessment_id: str) -> str:
    return f"/assessments/{assessment_id}"


def status_changed(
    request_id: str, client_code: str, title: str, from_status: str, to_status: str
) -> Draft:
    return Draft(
        audience=client_audience(client_code),
        kind=NotificationKind.request_status_changed,
        title=title,
        link=request_link(request_id),
        request_id=request_id,
        params={"from_status": from_status, "to_status": to_status},
    )


def public_comment(
    request_id: str, client_code: str, title: str, comment_id: str, author_role: str
) -> Draft | None:
    """The client hears of what the desk (or a provider) said; not of its own comments."""
    if author_role == Role.client.value:
        return None
    return Draft(
        audience=client_audience(client_code),
        kind=NotificationKind.public_comment,
        title=title,
        link=request_link(request_id),
        request_id=request_id,
        subject_id=comment_id,
        params={"author_role": author_role},
    )


def escalation_audiences(desk_code: str, owner: str | None, escalated_to: str) -> list[str]:
    """The request's owner, and whom the desks service escalated to (`desk_chief:<desk>`
    by default: see `person_audiences` for who that is)."""
    audiences = [desk_audience(desk_code, owner)] if owner else []
    return list(dict.fromkeys([*audiences, escalated_to]))


def returned_to_desk(
    kind: NotificationKind,
    request_id: str,
    desk_code: str,
    owner: str | None,
    title: str,
    reason: str,
) -> Draft:
    """A client reopened its request or disputed the delivery: its owner hears of it
    (the whole desk while nobody owns it)."""
    return Draft(
        audience=desk_audience(desk_code, owner),
        kind=kind,
        title=title,
        link=request_link(request_id),
        request_id=request_id,
        params={"reason": reason},
    )


def merged(duplicate: tuple[str, str, str], survivor: tuple[str, str, str]) -> list[Draft]:
    """Each client of a merge hears of its own request only (id, client, title): the
    duplicate's client that it was merged, the survivor's that a duplicate came in.
    Neither hears of the other's request, which may be another client's."""
    return [
        Draft(
            audience=client_audience(client_code),
            kind=NotificationKind.request_merged,
            title=title,
            link=request_link(request_id),
            request_id=request_id,
            params={"side": side},
        )
        for side, (request_id, client_code, title) in (
            ("duplicate", duplicate),
            ("survivor", survivor),
        )
    ]


def person_audiences(principal: Principal, desk_chiefs: dict[str, str]) -> frozenset[str]:
    """The caller's audiences (shared/audiences.py), and for a desk officer the desk
    chief's when they are its chief (`desk_chiefs`: desk code -> subject); a desk whose
    chief is not configured has every officer read its escalations."""
    audiences = audiences_of(principal)
    if principal.role is Role.desk_officer and principal.desk:
        chief = desk_chiefs.get(principal.desk)
        if chief is None or chief == principal.subject:
            audiences |= {desk_chief_audience(principal.desk)}
    return audiences


def sla_drafts(
    kind: NotificationKind,
    request_id: str,
    title: str,
    audiences: list[str],
    clock: str,
    due_at: str,
) -> list[Draft]:
    return [
        Draft(
            audience=audience,
            kind=kind,
            title=title,
            link=request_link(request_id),
            request_id=request_id,
            params={"clock": clock, "due_at": due_at},
        )
        for audience in audiences
    ]


def engagement_proposed(
    request_id: str, engagement_id: str, product_code: str, title: str
) -> Draft:
    return Draft(
        audience=product_audience(product_code),
        kind=NotificationKind.engagement_proposed,
        title=title,
        link=request_link(request_id),
        request_id=request_id,
        subject_id=engagement_id,
        params={"product_code": product_code},
    )


def task_assigned(
    assessment_id: str, request_id: str, task_title: str, lead: str, due_on: str | None
) -> Draft:
    """The task's title, not the request's: a partner sees the assessment, not the desk's file."""
    return Draft(
        audience=partner_audience(lead),
        kind=NotificationKind.task_assigned,
        title=task_title,
        link=assessment_link(assessment_id),
        request_id=request_id,
        subject_id=assessment_id,
        params={"due_on": due_on or ""},
    )


def approval_requested(request_id: str, desk_code: str, title: str, rules: list[str]) -> Draft:
    """The approver hears that a request waits for them: the desk's chief (see
    `person_audiences`); HQ admins, who may also decide, read the approval queue."""
    return Draft(
        audience=desk_chief_audience(desk_code),
        kind=NotificationKind.approval_requested,
        title=title,
        link=request_link(request_id),
        request_id=request_id,
        params={"rules": ", ".join(rules)},
    )


def approval_decided(request_id: str, client_code: str, title: str, decision: str) -> Draft:
    """The client hears the decision (the comment it reads on the request, not here)."""
    return Draft(
        audience=client_audience(client_code),
        kind=NotificationKind.approval_decided,
        title=title,
        link=request_link(request_id),
        request_id=request_id,
        params={"decision": decision},
    )


def check_email_address(address: str | None) -> str | None:
    if address is None or address == "":
        return None
    address = address.strip()
    if len(address) > MAX_EMAIL_ADDRESS or not EMAIL_ADDRESS.fullmatch(address):
        raise DomainError(
            "BAD_USER_INPUT", "emailAddress is not an e-mail address", field="email_address"
        )
    return address


def check_preferences(email_enabled: bool, email_address: str | None) -> None:
    if email_enabled and email_address is None:
        raise DomainError(
            "BAD_USER_INPUT", "e-mail needs an address to go to", field="email_address"
        )
