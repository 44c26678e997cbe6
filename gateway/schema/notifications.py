"""The notifications part of the schema: the caller's notifications with their unread
count, marking them read, their preferences, and the live `notificationReceived`.

Everything here is the caller's own: the notifications service takes the person and
their audiences from the forwarded token, so no argument can name anyone else, and
each notification pushed live is read through it with the caller's token.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import strawberry
from strawberry.scalars import JSON

from contracts.enums import FollowKind, Language, MailStatus, NotificationKind
from contracts.events import Event, NotificationRecorded
from contracts.http.notifications.requests import PreferencesBody
from contracts.http.notifications.responses import (
    AllRead,
    FollowPublic,
    MailPublic,
    NotificationPage,
    NotificationPublic,
    PreferencesPublic,
)
from gateway.clients import ServiceClient, ServiceError, service_path
from gateway.context import GatewayContext
from gateway.live import EventFilter
from gateway.schema.common import (
    GatewayInfo,
    PageInfo,
    all_from_contract,
    bad_input,
    check_page_size,
    context_of,
    derived,
    from_contract,
    uuid_arg,
)
from shared.audiences import may_concern

strawberry.enum(NotificationKind)
strawberry.enum(Language, name="EmailLanguage")
strawberry.enum(FollowKind)


def notifications_service(context: GatewayContext) -> ServiceClient:
    return context.clients.by_name["notifications"]


@derived(NotificationPublic, description="Something that concerns you")
class Notification:
    id: strawberry.ID
    request_id: strawberry.ID | None
    subject_id: strawberry.ID | None
    params: JSON


@strawberry.type
class NotificationEdge:
    cursor: str
    node: Notification


@strawberry.type
class NotificationConnection:
    edges: list[NotificationEdge]
    page_info: PageInfo
    unread_count: int = strawberry.field(description="Your unread notifications, of every page")


@derived(MailPublic, description="An e-mail in the mail sender's queue (admins)")
class Mail:
    id: strawberry.ID
    notification_id: strawberry.ID


@derived(FollowPublic, description="A theme, country or region you follow")
class Follow:
    pass


@derived(AllRead)
class NotificationsRead:
    pass


@derived(PreferencesPublic, description="What you are told of, and how")
class NotificationPreferences:
    pass


@strawberry.input(description="Your notification preferences, all at once")
class NotificationPreferencesInput:
    kinds: list[NotificationKind]
    email_enabled: bool
    email_address: str | None = None
    language: Language = Language.en


def _cursor(after: str | None) -> int | None:
    if after is None:
        return None
    if not after.isdigit() or not 0 < int(after) < 2**53:
        raise bad_input("after must be a cursor from this list")
    return int(after)


@strawberry.type
class NotificationsQuery:
    @strawberry.field(description="Your notifications, newest first, and how many are unread")
    async def notifications(
        self,
        info: GatewayInfo,
        first: int = 20,
        after: str | None = None,
        unread_only: bool = False,
    ) -> NotificationConnection:
        check_page_size(first)
        context = context_of(info)
        params: dict[str, str | int] = {"first": first, "unread_only": str(unread_only).lower()}
        cursor = _cursor(after)
        if cursor is not None:
            params["after"] = cursor
        page = await notifications_service(context).get(
            service_path("notifications"), context.authorization, NotificationPage, params=params
        )
        return NotificationConnection(
            edges=[
                NotificationEdge(cursor=item.cursor, node=from_contract(Notification, item))
                for item in page.items
            ],
            page_info=PageInfo.of(page),
            unread_count=page.unread_count,
        )

    @strawberry.field(description="What you are told of, by e-mail too, and in which language")
    async def notification_preferences(self, info: GatewayInfo) -> NotificationPreferences:
        context = context_of(info)
        found = await notifications_service(context).get(
            service_path("preferences"), context.authorization, PreferencesPublic
        )
        return from_contract(NotificationPreferences, found)

    @strawberry.field(description="The themes, countries and regions you follow")
    async def follows(self, info: GatewayInfo) -> list[Follow]:
        context = context_of(info)
        found = await notifications_service(context).get(
            service_path("follows"), context.authorization, list[FollowPublic]
        )
        return all_from_contract(Follow, found)

    @strawberry.field(description="Admins: the e-mail queue, newest first (status DEAD: to retry)")
    async def mail_queue(
        self, info: GatewayInfo, status: list[MailStatus] | None = None, first: int = 100
    ) -> list[Mail]:
        check_page_size(first)
        context = context_of(info)
        params: dict[str, Any] = {"limit": first}
        if status:
            params["status"] = [value.value for value in status]
        items = await notifications_service(context).get(
            service_path("mail"), context.authorization, list[MailPublic], params=params
        )
        return all_from_contract(Mail, items)


@strawberry.type
class NotificationsMutation:
    @strawberry.mutation(description="Mark one of your notifications read (again: no change)")
    async def mark_notification_read(self, info: GatewayInfo, id: strawberry.ID) -> Notification:
        context = context_of(info)
        read = await notifications_service(context).post(
            service_path("notifications", uuid_arg(id), "read"),
            context.authorization,
            None,
            NotificationPublic,
        )
        return from_contract(Notification, read)

    @strawberry.mutation(description="Mark all your notifications read")
    async def mark_all_notifications_read(self, info: GatewayInfo) -> NotificationsRead:
        context = context_of(info)
        done = await notifications_service(context).post(
            service_path("notifications", "read"), context.authorization, None, AllRead
        )
        return from_contract(NotificationsRead, done)

    @strawberry.mutation(description="Admins: send a dead e-mail again")
    async def retry_mail(self, info: GatewayInfo, id: strawberry.ID) -> Mail:
        context = context_of(info)
        answer = await notifications_service(context).post(
            service_path("mail", uuid_arg(id), "retry"), context.authorization, None, MailPublic
        )
        return from_contract(Mail, answer)

    @strawberry.mutation(description="Change your notification preferences")
    async def update_notification_preferences(
        self, info: GatewayInfo, expected_version: int, input: NotificationPreferencesInput
    ) -> NotificationPreferences:
        context = context_of(info)
        body = PreferencesBody(
            expected_version=expected_version,
            kinds=list(input.kinds),
            email_enabled=input.email_enabled,
            email_address=input.email_address,
            language=input.language,
        )
        changed = await notifications_service(context).put(
            service_path("preferences"),
            context.authorization,
            body,
            PreferencesPublic,
        )
        return from_contract(NotificationPreferences, changed)

    @strawberry.mutation(
        description="Follow a theme, country or region: hear of its lessons and of the "
        "requests on it you may see (again: no change). Your follows after it."
    )
    async def follow(self, info: GatewayInfo, kind: FollowKind, code: str) -> list[Follow]:
        context = context_of(info)
        found = await notifications_service(context).post(
            service_path("follows", kind.value, code),
            context.authorization,
            None,
            list[FollowPublic],
        )
        return all_from_contract(Follow, found)

    @strawberry.mutation(description="Stop following a term (not followed: no change)")
    async def unfollow(self, info: GatewayInfo, kind: FollowKind, code: str) -> list[Follow]:
        context = context_of(info)
        found = await notifications_service(context).delete(
            service_path("follows", kind.value, code), context.authorization, list[FollowPublic]
        )
        return all_from_contract(Follow, found)


def _may_concern(context: GatewayContext) -> EventFilter:
    principal = context.principal

    def accepts(event: Event) -> bool:
        return (
            principal is not None
            and isinstance(event, NotificationRecorded)
            and may_concern(principal, event.audience)
        )

    return accepts


@strawberry.type
class NotificationsSubscription:
    @strawberry.subscription(description="Each new notification for you, as it is recorded")
    async def notification_received(self, info: GatewayInfo) -> AsyncGenerator[Notification, None]:
        context = context_of(info)
        async with context.live_events().subscribe(
            [NotificationRecorded], _may_concern(context)
        ) as recorded:
            async for event in recorded:
                assert isinstance(event, NotificationRecorded)
                # Read through the notifications service with the caller's token: it
                # decides (the kinds the caller turned off, a desk chief's escalations).
                try:
                    found = await notifications_service(context).get(
                        service_path("notifications", event.notification_id),
                        context.authorization,
                        NotificationPublic,
                    )
                except ServiceError as refusal:
                    if refusal.code != "NOTIFICATION_NOT_FOUND":
                        raise
                    continue
                yield from_contract(Notification, found)
