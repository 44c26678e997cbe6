"""The rules of lessons learned: the review workflow, who sees what, after-action
drafts, and how lessons are ranked for a new request.

Pure functions and tables, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache

from contracts.enums import LessonCommand as LessonCommand  # the lessons modules read it from here
from contracts.enums import LessonStatus
from contracts.enums import SourceKind as SourceKind  # the lessons modules read it from here
from contracts.events import AssessmentConcluded, EngagementDelivered
from contracts.http.lessons.requests import MAX_BODY as MAX_BODY
from contracts.http.lessons.requests import MAX_SUMMARY as MAX_SUMMARY
from contracts.http.lessons.requests import MAX_TITLE as MAX_TITLE
from shared.auth import Principal, Role
from shared.errors import DomainError
from shared.sensitivity import visible_sensitivities as visible_sensitivities  # read from here
from shared.state_machine import StateMachine
from shared.text import xml_illegal_characters

MAX_TAGS = 30


class OwnerKind(StrEnum):
    """Whose draft a lesson is while it is not published: a product's provider, a desk,
    or headquarters (the reviewers)."""

    provider = "provider"
    desk = "desk"
    hq = "hq"


S = LessonStatus
TRANSITIONS: Mapping[LessonStatus, frozenset[LessonStatus]] = {
    S.draft: frozenset({S.in_review, S.archived}),
    # Sent back with comments: the author works on the draft again.
    S.in_review: frozenset({S.published, S.draft}),
    S.published: frozenset({S.archived}),
    S.archived: frozenset(),
}
transition = StateMachine("a lesson", TRANSITIONS).move

# What each command aims at; the table above decides whether it may go there.
COMMAND_TARGET: Mapping[LessonCommand, LessonStatus] = {
    LessonCommand.submit: S.in_review,
    LessonCommand.approve: S.published,
    LessonCommand.send_back: S.draft,
    LessonCommand.archive: S.archived,
}

REVIEWERS = frozenset({Role.hq_analyst, Role.admin})
AUTHORS = frozenset({Role.provider, Role.desk_officer, Role.hq_analyst, Role.admin})


@dataclass(frozen=True)
class Owner:
    kind: OwnerKind
    code: str | None


def owner_of_new_draft(principal: Principal, themes: Sequence[str]) -> Owner:
    """Who owns a draft its caller creates; a provider must write about its own products."""
    principal.require(*AUTHORS)
    if principal.role is Role.provider:
        own = [theme for theme in themes if theme in principal.products]
        if not own:
            raise DomainError(
                "FORBIDDEN", "a provider writes lessons about its own products (themes)"
            )
        return Owner(OwnerKind.provider, own[0])
    if principal.role is Role.desk_officer:
        return Owner(OwnerKind.desk, principal.desk)
    return Owner(OwnerKind.hq, None)


def owns_draft(principal: Principal, owner: Owner) -> bool:
    """May the caller edit and submit this unpublished lesson?"""
    if principal.role in REVIEWERS:
        return True
    if owner.kind is OwnerKind.provider:
        return principal.role is Role.provider and owner.code in principal.products
    if owner.kind is OwnerKind.desk:
        return principal.role is Role.desk_officer and owner.code == principal.desk
    return False


def authorise_command(
    principal: Principal, command: LessonCommand, owner: Owner, comment: str | None
) -> None:
    """Refuse a workflow command the caller may not give (reviewers approve and send
    back; the draft's owner submits; reviewers archive)."""
    if command is LessonCommand.submit:
        if not owns_draft(principal, owner):
            raise DomainError("FORBIDDEN", "only the draft's owner or a reviewer may submit it")
        return
    principal.require(*REVIEWERS)
    if command is LessonCommand.send_back and not (comment and comment.strip()):
        raise DomainError(
            "BAD_USER_INPUT", "sending a lesson back needs a comment", field="comment"
        )


def validate_content(
    *,
    title: str,
    summary: str,
    body: str,
    themes: Sequence[str],
    countries: Sequence[str],
    regions: Sequence[str],
    client_kinds: Sequence[str],
) -> None:
    if not title.strip():
        raise DomainError("BAD_USER_INPUT", "title must not be empty", field="title")
    if len(title) > MAX_TITLE:
        raise DomainError("BAD_USER_INPUT", f"title is over {MAX_TITLE} characters", field="title")
    if len(summary) > MAX_SUMMARY:
        raise DomainError(
            "BAD_USER_INPUT", f"summary is over {MAX_SUMMARY} characters", field="summary"
        )
    if len(body) > MAX_BODY:
        raise DomainError("BAD_USER_INPUT", f"body is over {MAX_BODY} characters", field="body")
    for name, values in (
        ("themes", themes),
        ("countries", countries),
        ("regions", regions),
        ("client_kinds", client_kinds),
    ):
        if len(values) > MAX_TAGS or len(set(values)) != len(values):
            raise DomainError(
                "BAD_USER_INPUT", f"{name} must be at most {MAX_TAGS} distinct values", field=name
            )
    # Lessons reach Atom feeds: a character XML cannot carry would break a whole feed.
    texts = {"title": [title], "summary": [summary], "body": [body], "themes": themes}
    for name, values in {**texts, "regions": regions, "client_kinds": client_kinds}.items():
        illegal = [char for value in values for char in xml_illegal_characters(value)]
        if illegal:
            raise DomainError(
                "BAD_USER_INPUT",
                f"{name} holds characters a document cannot carry: "
                f"{', '.join(sorted({repr(char) for char in illegal}))}",
                field=name,
            )
    bad = [country for country in countries if not re.fullmatch(r"[A-Z]{3}", country)]
    if bad:
        raise DomainError(
            "BAD_USER_INPUT",
            f"countries are ISO 3166 alpha-3 codes: {', '.join(bad)}",
            field="countries",
        )


@dataclass(frozen=True)
class DraftContent:
    title: str
    summary: str
    body: str
    themes: list[str]
    countries: list[str]
    regions: list[str]
    client_kinds: list[str]


def after_action_draft(event: EngagementDelivered) -> DraftContent:
    """The after-action draft a delivered engagement opens for its provider, prefilled
    with what the engagement already knows; the provider writes the lessons."""
    accepted = event.accepted_at.date().isoformat() if event.accepted_at else "not recorded"
    delivered = event.delivered_at.date().isoformat()
    deliverables = (
        "\n".join(
            f"- {item.title} ({item.kind}, {item.delivered_on.isoformat()}): {item.reference}"
            for item in event.deliverables
        )
        or "- none recorded"
    )
    experts = ", ".join(event.experts) or "not recorded"
    body = (
        f"## Engagement\n\n"
        f"- Product: {event.product_code} ({event.provider_unit})\n"
        f"- Client: {event.client_code} ({event.client_kind.value}), {event.country}, "
        f"{event.region}\n"
        f"- Accepted: {accepted}; delivered: {delivered}\n"
        f"- Experts: {experts}\n\n"
        f"## Deliverables\n\n{deliverables}\n\n"
        "## What worked\n\n\n## What did not\n\n\n## What we would do differently\n"
    )
    return DraftContent(
        title=f"After action: {event.title}",
        summary=f"After-action review of the {event.product_code} engagement "
        f"for {event.client_code} in {event.country}.",
        body=body,
        themes=[event.product_code],
        countries=[event.country],
        regions=[event.region],
        client_kinds=[event.client_kind.value],
    )


@dataclass(frozen=True)
class RequestPlace:
    """Where the assessed request came from, when the lessons service saw it arrive."""

    title: str
    country: str
    region: str
    client_kind: str


def assessment_draft(event: AssessmentConcluded, request: RequestPlace | None) -> DraftContent:
    """The draft a concluded joint assessment opens for HQ: its conclusion, partners and
    division of labour, tagged with the recommended products and the request's place."""
    partners = ", ".join(event.partners) or "none recorded"
    division = (
        "\n".join(f"- {item.task}: {item.lead}" for item in event.division_of_labour)
        or "- not recorded"
    )
    recommended = ", ".join(event.recommended_products) or "none"
    subject = request.title if request else f"request {event.request_id}"
    body = (
        f"## Joint assessment\n\n- Partners: {partners}\n"
        f"- Concluded: {event.concluded_on.isoformat()}\n"
        f"- Recommended products: {recommended}\n\n"
        f"## Conclusion\n\n{event.summary}\n\n## Division of labour\n\n{division}\n\n"
        "## What the partnership taught us\n"
    )
    return DraftContent(
        title=f"Joint assessment: {subject}"[:MAX_TITLE],
        summary=event.summary[:MAX_SUMMARY],
        body=body,
        themes=list(dict.fromkeys(event.recommended_products)),
        countries=[request.country] if request else [],
        regions=[request.region] if request else [],
        client_kinds=[request.client_kind] if request else [],
    )


# Words too common to say anything about why a lesson matches a request.
STOPWORDS = frozenset(
    """a an and are as at be been but by for from has have in into is it its of on or
    our that the their this to was were will with we they not no can may also than
    then there these those which who what when where how all any more most other
    some such only own same so too very just about after before over under between
    during each few both up down out off again further once here why would should
    could need needs needed support request requests asked ask""".split()
)


def terms_of(text: str, limit: int = 40) -> list[str]:
    """The distinct meaningful words of a text, in order, lower-cased."""
    seen: dict[str, None] = {}
    for word in re.findall(r"[^\W_]+", text.lower()):
        if len(word) >= 3 and word not in STOPWORDS and not word.isdigit():
            seen.setdefault(word, None)
        if len(seen) >= limit:
            break
    return list(seen)


@lru_cache(maxsize=65_536)
def _stem(word: str) -> str:
    # Enough to say "elections" matched "election" in an explanation; the ranking
    # itself uses the database's stemmer.
    for suffix in ("ing", "ions", "ion", "es", "s", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def shared_terms(request_terms: Iterable[str], lesson_text: str) -> list[str]:
    lesson_stems = _stems_of(lesson_text)
    return [term for term in request_terms if _stem(term) in lesson_stems]


@lru_cache(maxsize=4096)
def _stems_of(lesson_text: str) -> frozenset[str]:
    # Every new request ranks the same published lessons again: their words are cut
    # once per text (a text, not a lesson id, is the key, so an edit is a new entry).
    return frozenset(_stem(word) for word in terms_of(lesson_text, limit=10_000))


@dataclass(frozen=True)
class IntakeProfile:
    """What the lessons service knows of a new request when it suggests lessons."""

    terms: list[str]
    products: frozenset[str]
    country: str
    region: str


@dataclass(frozen=True)
class Candidate:
    lesson_id: str
    text_score: float  # the database's relevance, higher is better, any scale
    themes: frozenset[str]
    countries: frozenset[str]
    regions: frozenset[str]
    title_and_summary: str


@dataclass(frozen=True)
class RankedSuggestion:
    lesson_id: str
    score: float
    reasons: list[str] = field(default_factory=list)


# Weights of the suggestion score; text relevance is first normalised to [0, 1].
TEXT_WEIGHT = 1.0
THEME_WEIGHT = 0.6
COUNTRY_WEIGHT = 0.5
REGION_WEIGHT = 0.2


def rank_suggestions(
    profile: IntakeProfile, candidates: Sequence[Candidate], limit: int
) -> list[RankedSuggestion]:
    """Order candidate lessons for a request: text relevance, then shared theme,
    country and region; each suggestion says why it matched."""
    best_text = max((candidate.text_score for candidate in candidates), default=0.0)
    ranked = []
    for candidate in candidates:
        text = candidate.text_score / best_text if best_text > 0 else 0.0
        themes = sorted(profile.products & candidate.themes)
        same_country = profile.country in candidate.countries
        same_region = profile.region in candidate.regions
        score = (
            TEXT_WEIGHT * text
            + THEME_WEIGHT * bool(themes)
            + COUNTRY_WEIGHT * same_country
            + REGION_WEIGHT * same_region
        )
        if score <= 0:
            continue
        reasons = []
        words = shared_terms(profile.terms, candidate.title_and_summary) if text > 0 else []
        if words:
            reasons.append(f"mentions {', '.join(words[:5])}")
        elif text > 0:
            reasons.append("similar wording in the lesson")
        if themes:
            reasons.append(f"same theme: {', '.join(themes)}")
        if same_country:
            reasons.append(f"same country: {profile.country}")
        if same_region:
            reasons.append(f"same region: {profile.region}")
        ranked.append(RankedSuggestion(candidate.lesson_id, round(score, 4), reasons))
    ranked.sort(key=lambda suggestion: (-suggestion.score, suggestion.lesson_id))
    return ranked[:limit]


def may_read_suggestions(
    principal: Principal, *, client_code: str, desk_code: str, products: Sequence[str]
) -> bool:
    """A request's suggestions are for its client, its desk, its providers and HQ."""
    if principal.role in REVIEWERS:
        return True
    if principal.role is Role.client:
        return principal.client == client_code
    if principal.role is Role.desk_officer:
        return principal.desk == desk_code
    if principal.role is Role.provider:
        return bool(set(principal.products) & set(products))
    return False
