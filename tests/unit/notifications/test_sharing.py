"""What a notification tells its recipient (services/notifications/sharing.py): every
kind's title and params come from a declared field of its record, every rule's draft is
told whole to its recipient (it carries nothing its audience may not see), and anything
outside the policy (an undeclared param, a field hidden from the recipient's audience)
is left out, in the in-app list and the e-mail alike."""

from __future__ import annotations

import pytest

from contracts.enums import FollowKind, Language, NotificationKind
from services.notifications import domain, sharing
from services.notifications.domain import Draft, Follower
from services.notifications.messages import render_mail
from services.notifications.sharing import NOTICE, SOURCES, recipient, told
from shared.audiences import client_audience, desk_audience, person_audience, product_audience
from shared.auth import Role
from shared.sharing import POLICY, Audience, RecordKind, Viewer, allowed

EA = "ELECTORAL_ASSISTANCE"
TITLE = "Electoral needs assessment"


def follower(role: Role, *audiences: str) -> Follower:
    return Follower(
        key=f"{role.value}:x:someone",
        role=role,
        audiences=frozenset(audiences),
        term=(FollowKind.country, "MLI"),
    )


def every_rules_draft() -> list[Draft]:
    """One draft of every rule, to each of its recipients."""
    drafts: list[Draft | None] = [
        domain.status_changed("r1", "MINUSMA", TITLE, "submitted", "triaged"),
        domain.public_comment("r1", "MINUSMA", TITLE, "c1", "desk_officer"),
        *domain.sla_drafts(
            NotificationKind.sla_breached,
            "r1",
            TITLE,
            domain.escalation_audiences("AFRICA_II", "amina", "desk_chief:AFRICA_II"),
            "triage",
            "2026-03-03T09:00:00+00:00",
        ),
        domain.engagement_proposed("r1", "e1", EA, TITLE),
        domain.task_assigned("a1", "r1", "Map the logistics", "AU", "2026-04-01"),
        domain.approval_requested("r1", "AFRICA_II", TITLE, ["Immediate requests"]),
        domain.approval_decided("r1", "MINUSMA", TITLE, "approved"),
        domain.returned_to_desk(
            NotificationKind.request_reopened, "r1", "AFRICA_II", None, TITLE, "not done"
        ),
        *domain.merged(("r1", "MINUSMA", TITLE), ("r2", "MINUSMA", "Another")),
        *domain.followed_lesson_drafts(
            [follower(Role.partner), follower(Role.hq_analyst)],
            "l1",
            "A lesson",
            "public",
            domain.FollowChange.lesson_published,
        ),
        *domain.followed_request_drafts(
            [
                follower(Role.client, client_audience("MINUSMA")),
                follower(Role.desk_officer, desk_audience("AFRICA_II")),
                follower(Role.provider, product_audience(EA)),
                follower(Role.admin),
            ],
            "r1",
            TITLE,
            "MINUSMA",
            "AFRICA_II",
            domain.FollowChange.engagement_opened,
            ("e1", EA),
        ),
    ]
    return [draft for draft in drafts if draft is not None]


def test_every_kind_declares_where_its_title_and_params_come_from() -> None:
    assert set(SOURCES) == set(NotificationKind)
    for kind, sources in SOURCES.items():
        assert "title" in sources, kind
        for name, source in sources.items():
            if source != NOTICE:
                record, field = source
                assert field in POLICY[record], (kind, name)


def test_every_rules_draft_is_told_whole_to_its_recipient() -> None:
    drafts = every_rules_draft()
    assert {draft.kind for draft in drafts} >= set(NotificationKind) - {
        NotificationKind.sla_at_risk,  # sla_breached's rule and sources
        NotificationKind.delivery_disputed,  # request_reopened's
    }
    for draft in drafts:
        assert recipient(draft) is not None, draft
        assert told(draft) is draft, draft  # nothing left out: it carried nothing more
        assert draft.title, draft


@pytest.mark.parametrize(
    ("draft", "kept"),
    [
        # A provider is no audience of a request's approvals (docs/sharing.md).
        (
            Draft(
                product_audience(EA),
                NotificationKind.approval_decided,
                TITLE,
                "/requests/r1",
                params={"decision": "approved"},
            ),
            {},
        ),
        # A comment's body (an internal note's, say) is declared for no kind: never told.
        (
            Draft(
                client_audience("MINUSMA"),
                NotificationKind.public_comment,
                TITLE,
                "/requests/r1",
                params={"author_role": "desk_officer", "body": "internal: the client is late"},
            ),
            {"author_role": "desk_officer"},
        ),
        # Another product's details are no param of any kind.
        (
            Draft(
                product_audience(EA),
                NotificationKind.engagement_proposed,
                TITLE,
                "/requests/r1",
                params={"product_code": EA, "details": "{'MEDIATION_SUPPORT': 'parties'}"},
            ),
            {"product_code": EA},
        ),
    ],
)
def test_anything_outside_the_policy_is_left_out(draft: Draft, kept: dict[str, str]) -> None:
    shown = told(draft)
    assert shown.params == kept
    assert shown.title == TITLE
    mail = render_mail(shown.kind, Language.en, shown.title, shown.params, "https://x.org/r")
    for name, value in draft.params.items():
        if name not in kept:
            assert value not in mail.subject + mail.body


def test_the_policy_decides_a_lesson_readers_notice(monkeypatch: pytest.MonkeyPatch) -> None:
    """Were a lesson's notice to carry its review comment, only its author and HQ would
    read it: the policy's rule for the field, not the rule that drafted the notice."""
    kind = NotificationKind.followed_lesson_changed
    declared = {**SOURCES[kind], "review_comment": (RecordKind.lesson, "review_comment")}
    monkeypatch.setitem(sharing.SOURCES, kind, declared)
    assert "review_comment" not in allowed(RecordKind.lesson, Audience.reader)
    for seen_as, told_it in (
        (Viewer(Audience.reader), False),
        (Viewer(Audience.author), True),
        (Viewer(Audience.hq), True),
    ):
        draft = Draft(
            person_audience("partner:AU:kofi"),
            kind,
            "A lesson",
            "/lessons/l1",
            params={"change": "lesson_published", "review_comment": "Name the regions"},
            seen_as=seen_as,
        )
        assert ("review_comment" in told(draft).params) is told_it, seen_as


def test_a_notice_to_a_person_nobody_named_tells_nothing_of_its_record() -> None:
    draft = Draft(
        person_audience("client:MINUSMA:x"),
        NotificationKind.followed_request_changed,
        TITLE,
        "/requests/r1",
        params={"change": "request_opened"},
    )
    assert recipient(draft) is None
    assert (told(draft).title, told(draft).params) == ("", {"change": "request_opened"})


def test_each_audience_reads_as_who_it_is_to_the_record() -> None:
    def audience_of(audience: str) -> Viewer | None:
        return recipient(Draft(audience, NotificationKind.sla_breached, TITLE, "/"))

    assert audience_of("client:MINUSMA") == Viewer(Audience.owner_client)
    assert audience_of("desk:AFRICA_II:amina") == Viewer(Audience.desk)
    assert audience_of("desk_chief:AFRICA_II") == Viewer(Audience.desk)
    assert audience_of(f"product:{EA}") == Viewer(Audience.provider, frozenset({EA}))
    assert audience_of("partner:AU") == Viewer(Audience.partner, partner="AU")
