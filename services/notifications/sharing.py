"""What a notification may tell its recipient: the sharing policy (shared/sharing.py,
docs/sharing.md) applied to its title and params, as the services apply it to the
records themselves.

Each kind declares where its title and each of its params come from: a field of the
record it is about (a request, a comment, an approval, an engagement, a task, a lesson),
or the notice's own account of why its recipient is told (what changed, the term they
follow, the side of a merge). `told` keeps a title or a param only when the recipient's
audience may see the field it comes from, and drops every param no source is declared
for, so a param added to a rule without a source here is never told to anyone. Every
notification is recorded through it (handlers.py), and the in-app list, the live feed
and the e-mails all read what was recorded.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Final

from contracts.enums import NotificationKind
from services.notifications.domain import Draft
from shared.sharing import Audience, RecordKind, Viewer, allowed

K = NotificationKind
R = RecordKind
Source = tuple[RecordKind, str]
# A param about the notice itself, not its record: the recipient's own (what they follow,
# what happened to what they follow, which side of a merge their request is).
NOTICE: Final = (RecordKind.request, "")

_TITLE: dict[str, Source] = {"title": (R.request, "title")}
_SLA: dict[str, Source] = {**_TITLE, "clock": (R.request, "sla"), "due_at": (R.request, "sla")}
_RETURNED: dict[str, Source] = {**_TITLE, "reason": (R.request, "status_reason")}
_FOLLOWED: dict[str, Source] = {"change": NOTICE, "followed_kind": NOTICE, "followed_code": NOTICE}

SOURCES: dict[NotificationKind, dict[str, Source]] = {
    K.request_status_changed: {
        **_TITLE,
        "from_status": (R.request, "status"),
        "to_status": (R.request, "status"),
    },
    K.public_comment: {**_TITLE, "author_role": (R.comment, "author_role")},
    K.sla_at_risk: _SLA,
    K.sla_breached: _SLA,
    K.engagement_proposed: {**_TITLE, "product_code": (R.engagement, "product_code")},
    K.task_assigned: {"title": (R.task, "title"), "due_on": (R.task, "due_on")},
    K.approval_requested: {**_TITLE, "rules": (R.approval, "rules")},
    K.approval_decided: {**_TITLE, "decision": (R.approval, "decision")},
    K.request_reopened: _RETURNED,
    K.delivery_disputed: _RETURNED,
    K.request_merged: {**_TITLE, "side": NOTICE},
    K.followed_lesson_changed: {"title": (R.lesson, "title"), **_FOLLOWED},
    K.followed_request_changed: {**_TITLE, **_FOLLOWED},
}

# An audience's prefix (shared/audiences.py) -> who its members are to the record.
_PREFIX_AUDIENCE = {
    "client": Audience.owner_client,  # a request's own client
    "desk": Audience.desk,
    "desk_chief": Audience.desk,
    "product": Audience.provider,  # the provider of that product
    "partner": Audience.partner,
}


def recipient(draft: Draft) -> Viewer | None:
    """The recipient's audience of the record: from the draft's audience, or as the rule
    that addressed one person named it (`seen_as`); None: nobody the policy knows."""
    if draft.seen_as is not None:
        return draft.seen_as
    prefix, _, code = draft.audience.partition(":")
    audience = _PREFIX_AUDIENCE.get(prefix)
    if audience is Audience.provider:
        return Viewer(audience, frozenset({code}))
    if audience is Audience.partner:
        return Viewer(audience, partner=code)
    return Viewer(audience) if audience is not None else None


def may_tell(viewer: Viewer | None, source: Source | None) -> bool:
    if source is None:  # no source declared: nobody is told it
        return False
    if source == NOTICE:
        return True
    kind, field = source
    return viewer is not None and field in allowed(kind, viewer.audience)


def told(draft: Draft) -> Draft:
    """The draft as its recipient may read it: its title and params outside the policy
    for the recipient's audience are left out (a title: empty)."""
    sources, viewer = SOURCES.get(draft.kind, {}), recipient(draft)
    params = {k: v for k, v in draft.params.items() if may_tell(viewer, sources.get(k))}
    title = draft.title if may_tell(viewer, sources.get("title")) else ""
    if params == draft.params and title == draft.title:
        return draft
    return replace(draft, title=title, params=params)
