"""The mail sender: sends the e-mails the notifications queued, through SMTP.

A `MailMessage` row is written in the transaction of its notification
(`store.record`), so it is the outbox of the e-mails: none is lost. Each tick of this
periodic worker:

1. claims a batch of due e-mails in a short transaction (on PostgreSQL
   `FOR UPDATE SKIP LOCKED`, so replicas share the work), leasing each for
   `mail_lease_s` by moving its next attempt forward, so no lock is held while the
   SMTP server answers and an e-mail whose sender died is due again after the lease;
2. renders each in its recipient's language, with the link to the portal, and sends
   them over one SMTP connection (aiosmtplib);
3. records every outcome in one transaction: accepted is `sent` (with the time and
   the subject sent), never sent again; a refusal or a failed connection is retried
   after an exponential backoff, and after `mail_max_attempts` the e-mail is `dead`.

Each e-mail's Message-ID is derived from its id: the only window for a repeat is a
crash between the server's acceptance and step 3, and a repeat carries the same id.
"""

from __future__ import annotations

import email.policy
import logging
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import cast

import aiosmtplib
from sqlalchemy import select
from sqlmodel import col

from contracts.enums import Language, NotificationKind
from services.notifications.messages import render_mail
from services.notifications.models import MAIL_PENDING, MAIL_SENT, MailMessage, Notification
from services.notifications.settings import NotificationsSettings
from shared.workers import PeriodicWorker, WorkerContext, due_deliveries, lease, settle

log = logging.getLogger(__name__)

MAX_ERROR_CHARS = 500
# RFC 5322's hard limit for a line: Python's folding at 78 puts a long subject's first
# word on a continuation line, which readers then show with a leading space.
MAIL_POLICY = email.policy.SMTP.clone(max_line_length=998)


@dataclass(frozen=True)
class Outcome:
    mail_id: str
    subject: str
    error: str | None


async def send_due_mail(context: WorkerContext) -> int:
    """One tick: send the due e-mails; return how many were attempted."""
    settings = cast(NotificationsSettings, context.settings)
    claimed = await claim_due(context, settings)
    if not claimed:
        return 0
    outcomes = await send_all(settings, claimed)
    await record_outcomes(context, settings, outcomes)
    return len(claimed)


async def claim_due(
    context: WorkerContext, settings: NotificationsSettings
) -> list[tuple[str, EmailMessage]]:
    now, policy = context.clock.now(), settings.mail_delivery
    query = select(MailMessage, Notification).join(
        Notification, col(Notification.id) == col(MailMessage.notification_id)
    )
    async with context.sessions() as session, session.begin():
        claimed = []
        due = due_deliveries(query, MailMessage, policy, now)
        for mail, notification in (await session.execute(due)).all():
            lease(mail, policy, now)
            session.add(mail)
            claimed.append((mail.id, compose(settings, mail, notification)))
    return claimed


def compose(
    settings: NotificationsSettings, mail: MailMessage, notification: Notification
) -> EmailMessage:
    rendered = render_mail(
        NotificationKind(notification.kind),
        Language(mail.language),
        notification.title,
        notification.params,
        settings.portal_base_url.rstrip("/") + notification.link,
    )
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = mail.to_address
    message["Subject"] = rendered.subject
    message["Date"] = format_datetime(mail.created_at)
    message["Message-ID"] = make_msgid(idstring=mail.id, domain="onedoor")
    message["X-OneDoor-Notification"] = notification.id
    message.set_content(rendered.body)
    message["Content-Language"] = mail.language  # after set_content, which resets Content-*
    return message


async def send_all(
    settings: NotificationsSettings, claimed: list[tuple[str, EmailMessage]]
) -> list[Outcome]:
    """Over one connection; a connection that fails fails the batch's remaining e-mails,
    a refused recipient fails only its own."""
    outcomes = []
    smtp = aiosmtplib.SMTP(
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        timeout=settings.smtp_timeout_s,
        use_tls=settings.smtp_use_tls,
        start_tls=settings.smtp_starttls,
        username=settings.smtp_username,
        password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
    )
    try:
        await smtp.connect()
    except (aiosmtplib.SMTPException, OSError) as error:
        failure = _error(error)
        log.warning(
            "SMTP server %s:%s unreachable: %s", settings.smtp_host, settings.smtp_port, failure
        )
        return [Outcome(mail_id, str(message["Subject"]), failure) for mail_id, message in claimed]
    try:
        for mail_id, message in claimed:
            subject = str(message["Subject"])
            try:
                # Flattened here: aiosmtplib's own flattening folds at 78 (see MAIL_POLICY).
                await smtp.sendmail(
                    parseaddr(settings.smtp_from)[1],
                    [str(message["To"])],
                    message.as_bytes(policy=MAIL_POLICY),
                )
            except (aiosmtplib.SMTPException, OSError) as error:
                outcomes.append(Outcome(mail_id, subject, _error(error)))
            else:
                outcomes.append(Outcome(mail_id, subject, None))
    finally:
        try:
            await smtp.quit()
        except (aiosmtplib.SMTPException, OSError):
            smtp.close()
    return outcomes


def _error(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:MAX_ERROR_CHARS]


async def record_outcomes(
    context: WorkerContext, settings: NotificationsSettings, outcomes: list[Outcome]
) -> None:
    now, policy = context.clock.now(), settings.mail_delivery
    async with context.sessions() as session, session.begin():
        for outcome in outcomes:
            mail = await session.get(MailMessage, outcome.mail_id)
            if mail is None or mail.status != MAIL_PENDING:
                continue
            settled = settle(mail, outcome.error, policy, now)
            if settled == "delivered":
                mail.status, mail.sent_at, mail.subject = MAIL_SENT, now, outcome.subject
            elif settled == "dead":
                log.error(
                    "e-mail %s is dead after %d attempts: %s", mail.id, mail.attempts, outcome.error
                )
            session.add(mail)


MAIL_SENDER = PeriodicWorker(
    name="mail-sender",
    tick=send_due_mail,
    interval_s=lambda settings: cast(NotificationsSettings, settings).mail_send_interval_s,
)
