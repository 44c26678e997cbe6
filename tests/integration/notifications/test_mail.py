"""E-mail through the outbox to a real SMTP server on loopback (aiosmtpd), read back
from its inbox: in the recipient's language, with the link to the portal, retried with
back-off while the server is away, never sent twice, and preferences that decide it."""

from __future__ import annotations

import uuid
from datetime import timedelta

from contracts.enums import NotificationKind
from shared.mailsink import MailSink
from tests.integration.notifications.conftest import (
    PORTAL,
    Notifications,
    status_changed,
    submitted,
)


def _id() -> str:
    return str(uuid.uuid4())


async def _mail_on(notifications: Notifications, address: str, language: str) -> None:
    response = await notifications.set_preferences(
        notifications.client(), email_enabled=True, email_address=address, language=language
    )
    assert response.status_code == 200, response.text


async def test_an_email_in_the_recipients_language_with_the_portal_link_sent_once(
    notifications: Notifications, smtp_server: MailSink
) -> None:
    await _mail_on(notifications, "liaison@minusma.example.org", "fr")
    request_id = _id()
    await notifications.feed(submitted(request_id), status_changed(request_id, "triaged"))
    [queued] = await notifications.mails()
    assert queued.status == "pending" and queued.to_address == "liaison@minusma.example.org"

    assert await notifications.send_mail() == 1
    [received] = smtp_server.messages()
    assert received["To"] == "liaison@minusma.example.org"
    assert received["From"] == "OneDoor <onedoor@example.org>"
    assert received["Content-Language"] == "fr"
    assert (
        received["Subject"] == "Votre demande est maintenant triaged : Electoral needs assessment"
    )
    body = received.get_content()
    assert f"{PORTAL}/requests/{request_id}" in body
    assert "Ouvrez-la dans le portail OneDoor" in body
    assert queued.id in received["Message-ID"]

    [sent] = await notifications.mails()
    assert sent.status == "sent" and sent.attempts == 1 and sent.sent_at is not None
    assert sent.subject == received["Subject"]
    # Sent is sent: later ticks and a redelivered event send nothing more.
    notifications.clock.advance(timedelta(hours=1))
    assert await notifications.send_mail() == 0
    assert len(smtp_server.messages()) == 1


async def test_every_language_and_only_those_who_want_it(
    notifications: Notifications, smtp_server: MailSink
) -> None:
    subjects = {
        "ar": "أصبحت حالة طلبك",
        "zh": "您的请求现为",
        "en": "Your request is now",
        "fr": "Votre demande est maintenant",
        "ru": "Статус вашего запроса теперь",
        "es": "Su solicitud está ahora en",
    }
    for language in subjects:
        headers = notifications.client(subject=f"liaison-{language}")
        response = await notifications.set_preferences(
            headers, email_enabled=True, email_address=f"{language}@example.org", language=language
        )
        assert response.status_code == 200, response.text
    # Known but without e-mail, and e-mail on but not for status changes: no e-mail.
    await notifications.preferences(notifications.client(subject="reads-in-app"))
    await notifications.set_preferences(
        notifications.client(subject="comments-only"),
        kinds=["public_comment"],
        email_enabled=True,
        email_address="comments@example.org",
    )
    # Another client's person with e-mail on hears nothing of MINUSMA's request.
    await notifications.set_preferences(
        notifications.client("GOV_SIERRA_LEONE"),
        email_enabled=True,
        email_address="freetown@example.org",
    )
    request_id = _id()
    await notifications.feed(submitted(request_id), status_changed(request_id, "in_progress"))
    assert await notifications.send_mail() == 6

    received = {message["To"]: message for message in smtp_server.messages()}
    assert set(received) == {f"{language}@example.org" for language in subjects}
    for language, start in subjects.items():
        message = received[f"{language}@example.org"]
        assert message["Subject"].startswith(start), (language, message["Subject"])
        assert f"{PORTAL}/requests/{request_id}" in message.get_content()


async def test_retried_with_backoff_while_the_server_is_away_then_sent_once(
    notifications: Notifications, smtp_server: MailSink
) -> None:
    await _mail_on(notifications, "liaison@minusma.example.org", "en")
    request_id = _id()
    smtp_server.stop()  # the SMTP server is down: nothing listens on its port
    await notifications.feed(submitted(request_id), status_changed(request_id, "triaged"))

    assert await notifications.send_mail() == 1
    [failed] = await notifications.mails()
    assert failed.status == "pending" and failed.attempts == 1
    assert failed.last_error and "Connect" in failed.last_error
    assert failed.next_attempt_at == notifications.clock.now() + timedelta(seconds=10)
    # Not due before its back-off.
    assert await notifications.send_mail() == 0

    notifications.clock.advance(timedelta(seconds=10))
    assert await notifications.send_mail() == 1
    [again] = await notifications.mails()
    assert again.attempts == 2
    assert again.next_attempt_at == notifications.clock.now() + timedelta(seconds=20)

    smtp_server.start()
    notifications.clock.advance(timedelta(seconds=20))
    assert await notifications.send_mail() == 1
    [sent] = await notifications.mails()
    assert sent.status == "sent" and sent.attempts == 3 and sent.last_error is None
    assert len(smtp_server.messages()) == 1


async def test_dead_after_its_last_attempt(
    notifications: Notifications, smtp_server: MailSink
) -> None:
    await _mail_on(notifications, "liaison@minusma.example.org", "en")
    smtp_server.stop()
    request_id = _id()
    await notifications.feed(submitted(request_id), status_changed(request_id, "triaged"))
    for _attempt in range(3):  # mail_max_attempts
        assert await notifications.send_mail() == 1
        notifications.clock.advance(timedelta(minutes=5))
    [dead] = await notifications.mails()
    assert dead.status == "dead" and dead.attempts == 3
    assert await notifications.send_mail() == 0


async def test_preferences_take_the_version_read_and_bad_input_changes_nothing(
    notifications: Notifications,
) -> None:
    me = notifications.client()
    before = await notifications.preferences(me)
    assert before["version"] == 1 and before["email_enabled"] is False
    assert len(before["kinds"]) == len(NotificationKind) and before["language"] == "en"

    for changes, code in (
        ({"email_enabled": True, "email_address": None}, "BAD_USER_INPUT"),
        ({"email_address": "not an address"}, "BAD_USER_INPUT"),
        ({"language": "de"}, None),
        ({"kinds": ["no_such_kind"]}, None),
        ({"expected_version": 7}, "VERSION_CONFLICT"),
        ({"expected_version": 0}, None),
    ):
        response = await notifications.set_preferences(me, **changes)
        assert response.status_code in (409, 422), (changes, response.text)
        if code:
            assert response.json()["detail"]["code"] == code
        assert await notifications.preferences(me) == before

    changed = await notifications.set_preferences(
        me, kinds=["public_comment"], language="ar", email_enabled=True, email_address="a@b.org"
    )
    assert changed.status_code == 200
    assert changed.json() == {
        "kinds": ["public_comment"],
        "email_enabled": True,
        "email_address": "a@b.org",
        "language": "ar",
        "version": 2,
    }
    # The kinds one turned off are not listed (nor counted) either.
    request_id = _id()
    await notifications.feed(submitted(request_id), status_changed(request_id, "triaged"))
    assert (await notifications.page(me))["unread_count"] == 0
    assert (await notifications.page(notifications.client(subject="liaison-2")))[
        "unread_count"
    ] == 1
