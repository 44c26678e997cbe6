"""The rules of following: which terms may be followed, and which followers of a
lesson's or a request's terms may be told of it (never one who could not open it)."""

from __future__ import annotations

import pytest

from contracts.enums import FollowKind, Language, NotificationKind, Sensitivity
from services.notifications import domain
from services.notifications.domain import FollowChange, Follower
from services.notifications.messages import FOLLOW_CHANGES, FOLLOWED_KINDS, render_mail
from shared.auth import Role
from shared.errors import DomainError

MALI = (FollowKind.country, "MLI")


def follower(key: str, role: Role, *audiences: str, term: domain.Term = MALI) -> Follower:
    return Follower(key=key, role=role, audiences=frozenset(audiences), term=term)


@pytest.mark.parametrize(
    ("kind", "code", "known", "following"),
    [
        (FollowKind.country, "mli", True, 0),  # not an alpha-3 code
        (FollowKind.country, "XYZ", False, 0),  # no such country on the platform
        (FollowKind.region, "Atlantis", False, 0),
        (FollowKind.region, "West\x00Africa", True, 0),  # nothing a database cannot carry
        (FollowKind.theme, "ELECTIONS", True, domain.MAX_FOLLOWS),  # the list is full
    ],
)
def test_a_follow_is_refused(kind: FollowKind, code: str, known: bool, following: int) -> None:
    with pytest.raises(DomainError) as refused:
        domain.check_term(kind, code)
        domain.check_follow(kind, code, known, following)
    assert refused.value.code == "BAD_USER_INPUT"


def test_a_known_term_with_room_may_be_followed() -> None:
    domain.check_follow(FollowKind.country, "MLI", True, domain.MAX_FOLLOWS - 1)


@pytest.mark.parametrize(
    ("role", "told"),
    [
        (Role.client, {Sensitivity.public, Sensitivity.internal}),
        (Role.partner, {Sensitivity.public}),
        (Role.hq_analyst, set(Sensitivity)),
        (Role.desk_officer, set(Sensitivity)),
    ],
)
def test_a_lesson_reaches_only_the_roles_that_may_read_it(role: Role, told: set[str]) -> None:
    for sensitivity in Sensitivity:
        drafts = domain.followed_lesson_drafts(
            [follower("p", role)], "l-1", "Lesson", sensitivity.value, FollowChange.lesson_published
        )
        assert bool(drafts) == (sensitivity in told)


def test_a_client_hears_of_its_own_requests_only() -> None:
    own = follower("client:MINUSMA:a", Role.client, "client:MINUSMA")
    other = follower("client:UNMISS:b", Role.client, "client:UNMISS")
    analyst = follower("hq_analyst:x", Role.hq_analyst)
    partner = follower("partner:AU:c", Role.partner, "partner:AU")
    drafts = domain.followed_request_drafts(
        [own, other, analyst, partner], "r-1", "Elections", "MINUSMA", "AFRICA_II",
        FollowChange.request_opened,
    )  # fmt: skip
    assert [draft.audience for draft in drafts] == [
        "person:client:MINUSMA:a",
        "person:hq_analyst:x",
    ]
    assert all(draft.kind is NotificationKind.followed_request_changed for draft in drafts)


def test_a_provider_hears_of_its_products_engagements_not_of_requests() -> None:
    provider = follower("provider:RULE_OF_LAW:p", Role.provider, "product:RULE_OF_LAW")
    args = ("r-1", "T", "MINUSMA", "AFRICA_II", FollowChange.engagement_opened)
    assert domain.followed_request_drafts([provider], *args, ("e-1", "RULE_OF_LAW"))
    assert not domain.followed_request_drafts([provider], *args, ("e-1", "ELECTIONS"))
    assert not domain.followed_request_drafts([provider], *args)


def test_a_person_following_two_terms_hears_once_named_by_the_first() -> None:
    region = (FollowKind.region, "West Africa")
    drafts = domain.followed_lesson_drafts(
        [follower("p", Role.hq_analyst), follower("p", Role.hq_analyst, term=region)],
        "l-1",
        "Lesson",
        "public",
        FollowChange.lesson_archived,
    )
    assert len(drafts) == 1
    assert drafts[0].params == {
        "change": "lesson_archived",
        "followed_kind": "country",
        "followed_code": "MLI",
    }


@pytest.mark.parametrize("language", list(Language))
def test_every_change_and_term_has_its_words_in_every_language(language: Language) -> None:
    assert set(FOLLOW_CHANGES[language]) == {change.value for change in FollowChange}
    assert set(FOLLOWED_KINDS[language]) == {kind.value for kind in FollowKind}
    mail = render_mail(
        NotificationKind.followed_request_changed,
        language,
        "Elections",
        {"change": "request_closed", "followed_kind": "region", "followed_code": "Sahel"},
        "https://portal.example.org/requests/r-1",
    )
    assert FOLLOW_CHANGES[language]["request_closed"] in mail.subject
    assert f"{FOLLOWED_KINDS[language]['region']} Sahel" in mail.subject
