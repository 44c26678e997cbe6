"""The notifications service's pure rules: whom each event concerns, who a person
reads as, the e-mails' words in every language, and the mail sender's back-off."""

from __future__ import annotations

import pytest

from contracts.enums import Language, NotificationKind
from services.notifications import domain
from services.notifications.messages import FOOTER, OPEN_IN_PORTAL, SUBJECTS, render_mail
from shared.audiences import may_concern
from shared.auth import Principal, Role
from shared.errors import DomainError


@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize("kind", list(NotificationKind))
def test_every_kind_has_its_words_in_every_language(
    kind: NotificationKind, language: Language
) -> None:
    mail = render_mail(
        kind,
        language,
        "Electoral needs assessment",
        {
            "to_status": "triaged",
            "clock": "triage",
            "product_code": "RULE_OF_LAW",
            "change": "lesson_published",
            "followed_kind": "country",
            "followed_code": "MLI",
        },
        "https://portal.example.org/requests/r-1",
    )
    assert "Electoral needs assessment" in mail.subject
    assert "{" not in mail.subject
    assert mail.body.startswith(mail.subject)
    assert "https://portal.example.org/requests/r-1" in mail.body
    assert OPEN_IN_PORTAL[language] in mail.body and FOOTER[language] in mail.body


def test_the_six_languages_say_different_things() -> None:
    subjects = {SUBJECTS[language][NotificationKind.sla_breached] for language in Language}
    assert len(subjects) == len(Language) == 6


def test_a_param_an_old_notification_lacks_renders_empty() -> None:
    mail = render_mail(NotificationKind.sla_breached, Language.en, "T", {}, "https://x/requests/1")
    assert mail.subject == "SLA breached (): T"


def test_the_client_hears_of_the_desks_comments_not_of_its_own() -> None:
    assert domain.public_comment("r", "MINUSMA", "T", "c", "client") is None
    draft = domain.public_comment("r", "MINUSMA", "T", "c", "desk_officer")
    assert draft is not None and draft.audience == "client:MINUSMA"


def test_an_escalation_reaches_the_owner_and_whom_it_was_escalated_to() -> None:
    assert domain.escalation_audiences("AFRICA_II", "amina", "desk_chief:AFRICA_II") == [
        "desk:AFRICA_II:amina",
        "desk_chief:AFRICA_II",
    ]
    assert domain.escalation_audiences("AFRICA_II", None, "desk_chief:AFRICA_II") == [
        "desk_chief:AFRICA_II"
    ]


def test_who_reads_a_desk_chiefs_escalations() -> None:
    chief = Principal(subject="chief-1", role=Role.desk_officer, desk="AFRICA_II")
    officer = Principal(subject="amina", role=Role.desk_officer, desk="AFRICA_II")
    chiefs = {"AFRICA_II": "chief-1"}
    assert "desk_chief:AFRICA_II" in domain.person_audiences(chief, chiefs)
    assert "desk_chief:AFRICA_II" not in domain.person_audiences(officer, chiefs)
    # A desk without a configured chief: every officer of the desk.
    assert "desk_chief:AFRICA_II" in domain.person_audiences(officer, {})
    assert "desk_chief:AFRICA_I" not in domain.person_audiences(officer, {})
    # The gateway's cheap check lets the desk's officers ask; the service decides.
    assert may_concern(officer, "desk_chief:AFRICA_II")
    assert not may_concern(officer, "desk_chief:AFRICA_I")
    assert not may_concern(officer, "desk:AFRICA_II:chief-1")


def test_audiences_of_each_role() -> None:
    """Each person is an audience of their own (what they follow), beside their tenant's."""
    provider = Principal(subject="s", role=Role.provider, products=("A_B", "C_D"))
    assert domain.person_audiences(provider, {}) == {
        "product:A_B",
        "product:C_D",
        f"person:{provider.actor}",
    }
    partner = Principal(subject="s", role=Role.partner, partner="AU")
    assert domain.person_audiences(partner, {}) == {"partner:AU", f"person:{partner.actor}"}
    analyst = Principal(subject="s", role=Role.hq_analyst)
    assert domain.person_audiences(analyst, {}) == {f"person:{analyst.actor}"}


@pytest.mark.parametrize(
    "address", ["a", "a@b", "a b@c.org", "@c.org", "a@@c.org", "a\x00@c.org", "x" * 250 + "@c.org"]
)
def test_an_email_address_is_checked(address: str) -> None:
    with pytest.raises(DomainError) as refused:
        domain.check_email_address(address)
    assert refused.value.code == "BAD_USER_INPUT"


def test_email_on_needs_an_address() -> None:
    assert domain.check_email_address(" a@b.org ") == "a@b.org"
    assert domain.check_email_address("") is None
    with pytest.raises(DomainError):
        domain.check_preferences(True, None)
    domain.check_preferences(False, None)
