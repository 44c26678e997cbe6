"""The rules of linked requests: a programme request split into children, the parent's
status derived from its children, and a duplicate merged into the request it duplicates.

Pure functions, no I/O (the routes are in routes/links.py). Every refusal has its own
code, so a caller (and the portal) can say precisely what is wrong; nothing changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from contracts.enums import RequestStatus
from services.desks.domain import OPEN_STATUSES
from shared.errors import DomainError

S = RequestStatus

# A programme, its projects and their activities: deep enough to split a programme,
# shallow enough that a derived status is a handful of queries, never a walk.
MAX_DEPTH = 3
MAX_CHILDREN = 50

# Children that no longer count for their parent's status: they will never be done.
ENDED_CHILD = frozenset({S.rejected, S.withdrawn, S.merged})
DONE_CHILD = frozenset({S.delivered, S.closed})
# A finished request takes no new links: it is nobody's parent or child any more.
UNLINKABLE = frozenset({S.rejected, S.withdrawn, S.merged})


@dataclass(frozen=True)
class LinkSide:
    """What the rules need to know of one request of a link."""

    id: str
    client_code: str
    desk_code: str
    status: RequestStatus
    parent_id: str | None


def derived_parent_status(children: Sequence[RequestStatus]) -> RequestStatus | None:
    """Where a parent's children put it; None to leave it where it is.

    Delivered when every child that still counts is delivered or closed; in progress
    when any of them got that far (in progress, delivered or closed). Rejected,
    withdrawn and merged children do not count; a parent of none of those is left alone.
    """
    counting = [status for status in children if status not in ENDED_CHILD]
    if not counting:
        return None
    if all(status in DONE_CHILD for status in counting):
        return S.delivered
    if any(status in DONE_CHILD | {S.in_progress} for status in counting):
        return S.in_progress
    return None


def check_child_link(
    parent: LinkSide,
    child: LinkSide,
    *,
    parent_ancestors: Sequence[str],
    child_height: int,
    children: int,
) -> None:
    """Refuse a link that would leak across clients, make a cycle, go too deep or wide.

    `parent_ancestors`: the parent's parent, its parent, …; `child_height`: the levels of
    the child's own subtree (1 for a request without children); `children`: how many the
    parent has now."""
    if parent.id == child.id:
        raise DomainError("LINK_TO_ITSELF", "a request cannot be its own child")
    if parent.client_code != child.client_code:
        # Linked requests show each other to their client: only one client's may link.
        raise DomainError(
            "LINK_OTHER_CLIENT",
            "a child must be a request of the parent's client",
            field="child_id",
        )
    if child.id in parent_ancestors:
        raise DomainError(
            "LINK_CYCLE", "the request is already above the parent: the link would make a cycle"
        )
    if child.parent_id is not None:
        raise DomainError(
            "ALREADY_LINKED",
            "the request already has a parent; take it out of that one first",
            parent_id=child.parent_id,
        )
    for side in (parent, child):
        check_linkable(side)
    if len(parent_ancestors) + 1 + child_height > MAX_DEPTH:
        raise DomainError(
            "LINK_TOO_DEEP", f"requests nest at most {MAX_DEPTH} levels deep", max_depth=MAX_DEPTH
        )
    if children >= MAX_CHILDREN:
        raise DomainError(
            "LINK_LIMIT", f"a request has at most {MAX_CHILDREN} children", limit=MAX_CHILDREN
        )


def check_new_child(parent: LinkSide, *, parent_ancestors: Sequence[str], children: int) -> None:
    """A child made from its parent: the same depth and width limits as a link."""
    check_linkable(parent)
    if len(parent_ancestors) + 2 > MAX_DEPTH:
        raise DomainError(
            "LINK_TOO_DEEP", f"requests nest at most {MAX_DEPTH} levels deep", max_depth=MAX_DEPTH
        )
    if children >= MAX_CHILDREN:
        raise DomainError(
            "LINK_LIMIT", f"a request has at most {MAX_CHILDREN} children", limit=MAX_CHILDREN
        )


def check_linkable(side: LinkSide) -> None:
    if side.status in UNLINKABLE:
        raise DomainError(
            "REQUEST_CLOSED",
            f"a {side.status.value} request takes no links",
            request_id=side.id,
            status=side.status.value,
        )


def check_merge(
    duplicate: LinkSide, survivor: LinkSide, *, flagged: bool, duplicate_children: int
) -> None:
    """Refuse a merge the desk cannot make: into itself, into a finished request, across
    desks, between requests never flagged as overlapping, or of a parent."""
    if duplicate.id == survivor.id:
        raise DomainError("MERGE_INTO_ITSELF", "a request cannot be merged into itself")
    if survivor.status not in OPEN_STATUSES:
        raise DomainError(
            "REQUEST_CLOSED",
            f"a request can be merged only into an open one, not a {survivor.status.value} one",
            request_id=survivor.id,
            status=survivor.status.value,
        )
    if duplicate.desk_code != survivor.desk_code:
        # The survivor's desk takes over the duplicate's client: that desk decides.
        raise DomainError(
            "MERGE_ACROSS_DESKS",
            f"the request is handled by desk {survivor.desk_code}; its desk merges there",
        )
    if not flagged:
        raise DomainError(
            "MERGE_NOT_OVERLAPPING", "only a request flagged as overlapping can be merged into it"
        )
    if duplicate_children:
        raise DomainError(
            "MERGE_HAS_CHILDREN", "a parent cannot be merged: take its children out first"
        )


def merge_reason(same_client: bool) -> str:
    """What the duplicate's client reads: another client's request is never described."""
    if same_client:
        return "merged into another request of yours"
    return "merged into a request the desk handles for the same need"
