"""Command routes: mark notifications read (one, all) and change one's preferences.

Marking read appends a mark (or moves the person's read-all watermark): it is
idempotent and commutes with every other change, so it takes no version. The
preferences are an aggregate: a change names the version its caller read."""

from __future__ import annotations

from fastapi import APIRouter

from contracts.http.notifications.requests import PreferencesBody
from contracts.http.notifications.responses import (
    AllRead,
    NotificationPublic,
    PreferencesPublic,
)
from services.notifications import domain
from services.notifications.models import Person
from services.notifications.settings import SettingsDep
from services.notifications.store import (
    mark_all_read,
    mark_read,
    register,
    unread_count,
    visible_notification,
)
from services.notifications.views import notifications_public, preferences_public
from shared.auth import CurrentPrincipal
from shared.commands import Aggregate, CommandsDep

router = APIRouter(tags=["notifications"])

PREFERENCES = Aggregate(Person, "the preferences", "PREFERENCES_NOT_FOUND", key="key")


@router.post("/notifications/{notification_id}/read", response_model=NotificationPublic)
async def read_notification(
    notification_id: str, principal: CurrentPrincipal, commands: CommandsDep, settings: SettingsDep
) -> NotificationPublic:
    async with commands.begin() as work:
        reader = await register(work.session, principal, settings, work.now)
        found = await visible_notification(work.session, reader, notification_id)
        await mark_read(work.session, reader.person, found, work.now)
        await work.session.flush()
        return (await notifications_public(work.session, reader.person, [found]))[0]


@router.post("/notifications/read", response_model=AllRead)
async def read_all_notifications(
    principal: CurrentPrincipal, commands: CommandsDep, settings: SettingsDep
) -> AllRead:
    async with commands.begin() as work:
        reader = await register(work.session, principal, settings, work.now)
        marked = await mark_all_read(work.session, reader)
        await work.session.flush()
        return AllRead(marked=marked, unread_count=await unread_count(work.session, reader))


@router.put("/preferences", response_model=PreferencesPublic)
async def update_preferences(
    body: PreferencesBody, principal: CurrentPrincipal, commands: CommandsDep, settings: SettingsDep
) -> PreferencesPublic:
    """Which kinds, e-mail on or off (to which address), and the e-mails' language.
    Checked before anything is written: bad input changes nothing."""
    address = domain.check_email_address(body.email_address)
    domain.check_preferences(body.email_enabled, address)
    async with commands.begin() as work:  # a person who never called is known first
        await register(work.session, principal, settings, work.now)
    async with commands.change(
        PREFERENCES, principal.actor, expected_version=body.expected_version
    ) as change:
        person = change.aggregate
        person.kinds = list(dict.fromkeys(kind.value for kind in body.kinds))
        person.email_enabled = body.email_enabled
        person.email_address = address
        person.language = body.language.value
        person.updated_at = change.now
        return preferences_public(person)
