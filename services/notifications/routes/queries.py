"""Query routes: the caller's notifications (newest first, with the unread count), one
notification, and their preferences. Every read is the caller's own: the token names
the person and their audiences, no argument can name anyone else.

They run as units of work, not bare reads: a caller's first call makes them known
here (and keeps their audiences current), so that e-mails can find them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select
from sqlmodel import col

from contracts.http.notifications.responses import (
    NotificationPage,
    NotificationPublic,
    PreferencesPublic,
)
from services.notifications.models import Notification
from services.notifications.settings import SettingsDep
from services.notifications.store import (
    register,
    unread,
    unread_count,
    visible_notification,
    visible_to,
)
from services.notifications.views import notifications_public, preferences_public
from shared.auth import CurrentPrincipal
from shared.commands import CommandsDep

router = APIRouter(tags=["notifications"])


@router.get("/notifications", response_model=NotificationPage)
async def list_notifications(
    principal: CurrentPrincipal,
    commands: CommandsDep,
    settings: SettingsDep,
    first: Annotated[int, Query(ge=1, le=100)] = 20,
    after: Annotated[int | None, Query(ge=1, description="A notification's cursor")] = None,
    unread_only: bool = False,
) -> NotificationPage:
    async with commands.begin() as work:
        session = work.session
        reader = await register(session, principal, settings, work.now)
        query = select(Notification).where(visible_to(reader))
        if unread_only:
            query = query.where(unread(reader.person))
        if after is not None:
            query = query.where(col(Notification.seq) < after)
        rows = (
            await session.scalars(query.order_by(col(Notification.seq).desc()).limit(first + 1))
        ).all()
        items = await notifications_public(session, reader.person, rows[:first])
        return NotificationPage(
            items=items,
            unread_count=await unread_count(session, reader),
            has_next_page=len(rows) > first,
            end_cursor=items[-1].cursor if items else None,
        )


@router.get("/notifications/{notification_id}", response_model=NotificationPublic)
async def get_notification(
    notification_id: str, principal: CurrentPrincipal, commands: CommandsDep, settings: SettingsDep
) -> NotificationPublic:
    async with commands.begin() as work:
        reader = await register(work.session, principal, settings, work.now)
        found = await visible_notification(work.session, reader, notification_id)
        return (await notifications_public(work.session, reader.person, [found]))[0]


@router.get("/preferences", response_model=PreferencesPublic)
async def get_preferences(
    principal: CurrentPrincipal, commands: CommandsDep, settings: SettingsDep
) -> PreferencesPublic:
    async with commands.begin() as work:
        reader = await register(work.session, principal, settings, work.now)
        return preferences_public(reader.person)
