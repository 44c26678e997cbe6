"""The public shapes of the notifications service (contracts/http/notifications)."""

from __future__ import annotations

from collections.abc import Sequence

from contracts.enums import Language, NotificationKind
from contracts.http.notifications.responses import NotificationPublic, PreferencesPublic
from services.notifications.models import Notification, Person
from services.notifications.store import read_seqs
from shared.db import AsyncSession


async def notifications_public(
    session: AsyncSession, person: Person, notifications: Sequence[Notification]
) -> list[NotificationPublic]:
    seqs = [n.seq for n in notifications if n.seq is not None]
    read = await read_seqs(session, person, seqs)
    return [
        NotificationPublic(
            id=n.id,
            kind=NotificationKind(n.kind),
            title=n.title,
            request_id=n.request_id,
            subject_id=n.subject_id,
            params=dict(n.params),
            link=n.link,
            read=n.seq in read,
            created_at=n.created_at,
            cursor=str(n.seq),
        )
        for n in notifications
    ]


def preferences_public(person: Person) -> PreferencesPublic:
    return PreferencesPublic(
        kinds=[NotificationKind(kind) for kind in person.kinds],
        email_enabled=person.email_enabled,
        email_address=person.email_address,
        language=Language(person.language),
        version=person.version,
    )
