"""The notifications service's figures for /metrics: its e-mails by status."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import col

from services.notifications.models import MAIL_STATUSES, MailMessage
from shared.db import AsyncSession
from shared.metrics import Reading


async def mail_messages(session: AsyncSession) -> list[Reading]:
    rows = await session.execute(
        select(col(MailMessage.status), func.count()).group_by(col(MailMessage.status))
    )
    counts = {str(status): count for status, count in rows.all()}
    return [
        Reading(
            "onedoor_mail_messages",
            "E-mails retained, by status (pending, sent, dead).",
            counts.get(status, 0),
            {"status": status},
        )
        for status in MAIL_STATUSES
    ]
