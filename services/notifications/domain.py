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
from enum import StrEnum
from typing import Any

from contracts.enums import FollowKind, Language, NotificationKind, RequestStatus
from shared.audiences import (
    audiences_of,
    client_audience,
    desk_audience,
    desk_chief_audience,
    partner_audience,
    person_audience,
    product_audience,
)
from shared.auth import Principal, Role
from shared.errors import DomainError
from shared.sensitivity import visible_sensitivities
from shared.sharing import Audience, Viewer
from shared.text import xml_illegal_characters

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
    # Who the recipient is to the record, where its audience alone does not say (one
    # person, told of what they follow): what the sharing policy tells them (sharing.py).
    seen_as: Viewer | None = None


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


# Following: a person hears of the lessons, requests and engagements on a theme, a
# country or a region they follow, and only of those they could open themselves.

MAX_FOLLOWS = 50
COUNTRY_CODE = re.compile(r"[A-Z]{3}")
CLOSED_REQUEST_STATUSES = frozenset(
    {RequestStatus.closed, RequestStatus.rejected, RequestStatus.withdrawn}
)
Term = tuple[FollowKind, str]


class FollowChange(StrEnum):
    """What happened to a followed lesson, request or engagement (a notice's `change`)."""

    lesson_published = "lesson_published"
    lesson_revised = "lesson_revised"
    lesson_archived = "lesson_archived"
    request_opened = "request_opened"
    request_closed = "request_closed"
    engagement_opened = "engagement_opened"
    engagement_closed = "engagement_closed"


@dataclass(frozen=True)
class Follower:
    """A person who follows one of an event's terms: their role and audiences (as their
    token named them on their last call) decide what they may be told."""

    key: str
    role: Role
    audiences: frozenset[str]
    term: Term


def check_term(kind: FollowKind, code: str) -> None:
    """A term's shape, before any lookup: a country is an alpha-3 code, and no code
    holds a character a document (or a database) cannot carry."""
    if kind is FollowKind.country and not COUNTRY_CODE.fullmatch(code):
        raise DomainError("BAD_USER_INPUT", "a country is an ISO 3166 alpha-3 code", field="code")
    if xml_illegal_characters(code):
        raise DomainError("BAD_USER_INPUT", "code holds characters it cannot", field="code")


def check_follow(kind: FollowKind, code: str, known: bool, following: int) -> None:
    """A term the platform uses, and room in the person's list (a follow already there
    is no new one: the caller checks that first)."""
    if not known:
        raise DomainError("BAD_USER_INPUT", f"no {kind.value} {code} is known", field="code")
    if following >= MAX_FOLLOWS:
        raise DomainError(
            "BAD_USER_INPUT", f"one follows at most {MAX_FOLLOWS} terms", field="code"
        )


def lesson_terms(themes: list[str], countries: list[str], regions: list[str]) -> list[Term]:
    return [
        *((FollowKind.theme, code) for code in themes),
        *((FollowKind.country, code) for code in countries),
        *((FollowKind.region, code) for code in regions),
    ]


def request_terms(country: str | None, region: str | None) -> list[Term]:
    terms: list[Term] = []
    if country:
        terms.append((FollowKind.country, country))
    if region:
        terms.append((FollowKind.region, region))
    return terms


_HQ = frozenset({Role.admin, Role.hq_analyst})


def lesson_reader(role: Role) -> Viewer:
    """A follower told of a lesson reads it as HQ or as a reader (its author, too: the
    notice is about the published lesson, which is what every reader reads)."""
    return Viewer(Audience.hq if role in _HQ else Audience.reader)


_REQUEST_SEERS = {
    Role.admin: Audience.hq,
    Role.hq_analyst: Audience.hq,
    Role.client: Audience.owner_client,  # may_see_request: its own request only
    Role.desk_officer: Audience.desk,  # its desk's only
}


def request_seer(follower: Follower, product_code: str | None) -> Viewer | None:
    """A follower who may see the request (`may_see_request`), by its role: HQ, the
    request's own client, its desk, or the provider of the engagement's product (any
    other role: None, told nothing of the request)."""
    if follower.role is Role.provider:
        return Viewer(Audience.provider, frozenset({product_code or ""}))
    audience = _REQUEST_SEERS.get(follower.role)
    return Viewer(audience) if audience is not None else None


def may_read_lesson(role: Role, sensitivity: str) -> bool:
    return sensitivity in {s.value for s in visible_sensitivities(role)}


def may_see_request(
    follower: Follower, client_code: str, desk_code: str, product_code: str | None = None
) -> bool:
    """The desks service's tenancy (services/desks/store.py `visibility`) over what this
    service knows of the follower: HQ sees every request, a client its own, a desk
    officer its desk's, a provider the engagements of its products. (A provider's
    routed requests are the desks service's to know: providers hear of engagements.)"""
    if follower.role in (Role.admin, Role.hq_analyst):
        return True
    if follower.role is Role.client:
        return client_audience(client_code) in follower.audiences
    if follower.role is Role.desk_officer:
        return desk_audience(desk_code) in follower.audiences
    if follower.role is Role.provider and product_code is not None:
        return product_audience(product_code) in follower.audiences
    return False


def _term_params(term: Term) -> dict[str, str]:
    return {"followed_kind": term[0].value, "followed_code": term[1]}


def followed_lesson_drafts(
    followers: list[Follower], lesson_id: str, title: str, sensitivity: str, change: FollowChange
) -> list[Draft]:
    """One notice per follower who may read the lesson (a person following two of its
    terms hears once)."""
    readers = {f.key: f for f in reversed(followers) if may_read_lesson(f.role, sensitivity)}
    return [
        Draft(
            audience=person_audience(follower.key),
            kind=NotificationKind.followed_lesson_changed,
            title=title,
            link=f"/lessons/{lesson_id}",
            subject_id=lesson_id,
            params={"change": change.value, **_term_params(follower.term)},
            seen_as=lesson_reader(follower.role),
        )
        for follower in sorted(readers.values(), key=lambda f: f.key)
    ]


def followed_request_drafts(
    followers: list[Follower],
    request_id: str,
    title: str,
    client_code: str,
    desk_code: str,
    change: FollowChange,
    engagement: tuple[str, str] | None = None,
) -> list[Draft]:
    """One notice per follower who may see the request (or, for an engagement given as
    (engagement id, product code), the engagement)."""
    product_code = engagement[1] if engagement else None
    seers = {
        f.key: f
        for f in reversed(followers)
        if may_see_request(f, client_code, desk_code, product_code)
    }
    return [
        Draft(
            audience=person_audience(follower.key),
            kind=NotificationKind.followed_request_changed,
            title=title,
            link=request_link(request_id),
            request_id=request_id,
            subject_id=engagement[0] if engagement else None,
            params={"change": change.value, **_term_params(follower.term)},
            seen_as=request_seer(follower, product_code),
        )
        for follower in sorted(seers.values(), key=lambda f: f.key)
    ]
