"""Linked requests: a desk splits a programme request into children (a new child made
from the parent, or an existing request of the same client linked under it), makes the
parent's status follow its children, and merges a duplicate into the request it
duplicates. The rules are in services/desks/links.py, the reads at the end.

Each command runs through the command pipeline on the request it names (its
`expected_version`); the second request it changes (the child, the survivor) is locked
too and its version bumped, so readers of either can tell.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import func, or_, select
from sqlmodel import col

from contracts.enums import RequestStatus
from contracts.events import (
    RequestChildLinked,
    RequestChildUnlinked,
    RequestMerged,
    RequestStatusDerivationChanged,
)
from contracts.http.desks.requests import (
    ChildLinkBody,
    ChildRequestBody,
    MergeBody,
    RequestCreate,
    StatusDerivationBody,
)
from contracts.http.desks.responses import LinkedRequestPublic, LinkRelation, RequestPublic
from services.desks import links
from services.desks.models import OverlapLink, ServiceRequest
from services.desks.routes.commands import DESK, present_request, request_change
from services.desks.routes.intake import take_in
from services.desks.settings import SettingsDep
from services.desks.store import add_timeline, derive_status, move, visibility
from services.desks.views import present_to
from shared.auth import CurrentPrincipal, Principal
from shared.commands import Change, CommandsDep, bump_version
from shared.db import AsyncSession
from shared.errors import DomainError
from shared.service import SessionDep

router = APIRouter(tags=["linked requests"])


RequestIds = Annotated[list[str], Query(alias="request_id", min_length=1, max_length=200)]


def _side(request: ServiceRequest) -> links.LinkSide:
    return links.LinkSide(
        id=request.id,
        client_code=request.client_code,
        desk_code=request.desk_code,
        status=RequestStatus(request.status),
        parent_id=request.parent_id,
    )


async def _other(session: AsyncSession, principal: Principal, request_id: str) -> ServiceRequest:
    """The command's second request, locked, if the caller may see it (the same
    not-found as a missing one otherwise)."""
    found = (
        await session.scalars(
            select(ServiceRequest)
            .where(col(ServiceRequest.id) == request_id, visibility(principal))
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).first()
    if found is None:
        raise DomainError("REQUEST_NOT_FOUND", f"no request {request_id}")
    return found


async def _ancestors(session: AsyncSession, request: ServiceRequest) -> list[str]:
    """The request's parent, its parent, …: at most MAX_DEPTH lookups."""
    found: list[str] = []
    parent_id = request.parent_id
    while parent_id is not None and parent_id not in found and len(found) < links.MAX_DEPTH:
        found.append(parent_id)
        parent_id = await session.scalar(
            select(col(ServiceRequest.parent_id)).where(col(ServiceRequest.id) == parent_id)
        )
    return found


async def _height(session: AsyncSession, request: ServiceRequest) -> int:
    """How many levels the request's subtree has (1: no children), read level by level."""
    height, level = 1, [request.id]
    while height <= links.MAX_DEPTH:
        level = list(
            (
                await session.scalars(
                    select(col(ServiceRequest.id)).where(col(ServiceRequest.parent_id).in_(level))
                )
            ).all()
        )
        if not level:
            break
        height += 1
    return height


async def _children_count(session: AsyncSession, request: ServiceRequest) -> int:
    query = select(func.count()).where(col(ServiceRequest.parent_id) == request.id)
    return int(await session.scalar(query) or 0)


def _linked(
    change: Change[ServiceRequest], child: ServiceRequest, principal: Principal, *, created: bool
) -> None:
    """Record the link: the child's parent, one event, an entry on each timeline."""
    parent, now = change.aggregate, change.now
    child.parent_id, child.updated_at, parent.updated_at = parent.id, now, now
    change.session.add(child)
    linked = RequestChildLinked(
        request_id=parent.id,
        child_id=child.id,
        client_code=parent.client_code,
        desk_code=parent.desk_code,
        created=created,
        linked_by=principal.actor,
        linked_at=now,
    )
    change.publish(linked)
    for request_id, summary in (
        (parent.id, f"child request added: {child.title}"),
        (child.id, f"linked as a child of: {parent.title}"),
    ):
        add_timeline(
            change.session,
            request_id,
            at=now,
            event_type=linked.type,
            actor=principal.actor,
            summary=summary,
        )


@router.post("/requests/{request_id}/children", response_model=RequestPublic)
async def create_child(
    request_id: str,
    body: ChildRequestBody,
    principal: CurrentPrincipal,
    commands: CommandsDep,
    settings: SettingsDep,
) -> RequestPublic:
    """Split a programme request: a new request for the parent's client, taken in like
    any other (SLA clocks, routing of its products, approvals), linked under the parent.
    Answers the parent."""
    async with request_change(commands, principal, request_id, body, *DESK) as change:
        parent, session = change.aggregate, change.session
        links.check_new_child(
            _side(parent),
            parent_ancestors=await _ancestors(session, parent),
            children=await _children_count(session, parent),
        )
        new = RequestCreate(
            **body.model_dump(exclude={"expected_version"}), client_code=parent.client_code
        )
        answer = await take_in(new, principal, change, settings, None, parent_id=parent.id)
        child = await session.get(ServiceRequest, answer.id)
        assert child is not None  # just taken in, in this session
        _linked(change, child, principal, created=True)
        await derive_status(session, parent, at=change.now, publisher=change)
        return await change.present(present_request)


@router.post("/requests/{request_id}/link-child", response_model=RequestPublic)
async def link_child(
    request_id: str, body: ChildLinkBody, principal: CurrentPrincipal, commands: CommandsDep
) -> RequestPublic:
    """Link an existing request of the same client under this one. Answers the parent."""
    async with request_change(commands, principal, request_id, body, *DESK) as change:
        parent, session = change.aggregate, change.session
        child = await _other(session, principal, body.child_id)
        links.check_child_link(
            _side(parent),
            _side(child),
            parent_ancestors=await _ancestors(session, parent),
            child_height=await _height(session, child),
            children=await _children_count(session, parent),
        )
        bump_version(child)
        _linked(change, child, principal, created=False)
        await derive_status(session, parent, at=change.now, publisher=change)
        return await change.present(present_request)


@router.post("/requests/{request_id}/unlink-child", response_model=RequestPublic)
async def unlink_child(
    request_id: str, body: ChildLinkBody, principal: CurrentPrincipal, commands: CommandsDep
) -> RequestPublic:
    """Take a child out of this request: both go on as requests of their own."""
    async with request_change(commands, principal, request_id, body, *DESK) as change:
        parent, session, now = change.aggregate, change.session, change.now
        child = await _other(session, principal, body.child_id)
        if child.parent_id != parent.id:
            raise DomainError("NOT_LINKED", f"request {child.id} is not a child of this request")
        bump_version(child)
        child.parent_id, child.updated_at, parent.updated_at = None, now, now
        session.add(child)
        unlinked = RequestChildUnlinked(
            request_id=parent.id,
            child_id=child.id,
            client_code=parent.client_code,
            desk_code=parent.desk_code,
            unlinked_by=principal.actor,
            unlinked_at=now,
        )
        change.publish(unlinked)
        for one, summary in (
            (parent.id, f"child request taken out: {child.title}"),
            (child.id, f"no longer a child of: {parent.title}"),
        ):
            add_timeline(
                session,
                one,
                at=now,
                event_type=unlinked.type,
                actor=principal.actor,
                summary=summary,
            )
        await derive_status(session, parent, at=now, publisher=change)
        return await change.present(present_request)


@router.post("/requests/{request_id}/status-derivation", response_model=RequestPublic)
async def set_status_derivation(
    request_id: str, body: StatusDerivationBody, principal: CurrentPrincipal, commands: CommandsDep
) -> RequestPublic:
    """Turn on (or off) this request's status following its children's; turned on, it
    moves at once to where they put it."""
    async with request_change(commands, principal, request_id, body, *DESK) as change:
        request, session, now = change.aggregate, change.session, change.now
        if request.derives_status_from_children == body.derived:
            raise DomainError(
                "CONFLICT",
                f"the request's status is {'already' if body.derived else 'not'} derived",
            )
        request.derives_status_from_children, request.updated_at = body.derived, now
        changed = RequestStatusDerivationChanged(
            request_id=request.id,
            client_code=request.client_code,
            desk_code=request.desk_code,
            derived=body.derived,
            changed_by=principal.actor,
            changed_at=now,
        )
        change.publish(changed)
        add_timeline(
            session,
            request.id,
            at=now,
            event_type=changed.type,
            actor=principal.actor,
            summary="status follows the children"
            if body.derived
            else "status no longer follows the children",
        )
        await derive_status(session, request, at=now, publisher=change)
        return await change.present(present_request)


@router.post("/requests/{request_id}/merge", response_model=RequestPublic)
async def merge_request(
    request_id: str, body: MergeBody, principal: CurrentPrincipal, commands: CommandsDep
) -> RequestPublic:
    """Merge this request, flagged as overlapping, into the request it duplicates: it is
    closed as merged, and its conversation is shown from the survivor to whoever may
    see it. Its client is told only that it was merged (whose request it went into, only
    when it is its own). Answers the duplicate."""
    async with request_change(commands, principal, request_id, body, *DESK) as change:
        duplicate, session, now = change.aggregate, change.session, change.now
        if body.into_request_id == duplicate.id:
            raise DomainError("MERGE_INTO_ITSELF", "a request cannot be merged into itself")
        survivor = await _other(session, principal, body.into_request_id)
        flagged = await session.scalar(
            select(func.count()).where(
                col(OverlapLink.request_id) == duplicate.id,
                col(OverlapLink.other_request_id) == survivor.id,
            )
        )
        links.check_merge(
            _side(duplicate),
            _side(survivor),
            flagged=bool(flagged),
            duplicate_children=await _children_count(session, duplicate),
        )
        same_client = duplicate.client_code == survivor.client_code
        reason = links.merge_reason(same_client)
        await move(
            session,
            duplicate,
            RequestStatus.merged,
            at=now,
            actor=principal.actor,
            publisher=change,
            reason=reason,
        )
        duplicate.status_reason, duplicate.merged_into_id = reason, survivor.id
        bump_version(survivor)
        survivor.updated_at = now
        session.add(survivor)
        merged = RequestMerged(
            request_id=duplicate.id,
            survivor_id=survivor.id,
            client_code=duplicate.client_code,
            survivor_client_code=survivor.client_code,
            desk_code=duplicate.desk_code,
            merged_by=principal.actor,
            merged_at=now,
        )
        change.publish(merged)
        # The survivor's timeline is its client's: another client's request is not named.
        add_timeline(
            session,
            survivor.id,
            at=now,
            event_type=merged.type,
            actor=principal.actor,
            summary=f"your request {duplicate.title!r} was merged into this one"
            if same_client
            else "a duplicate request was merged into this one; the desk coordinates",
        )
        return await change.present(present_request)


@router.get("/linked", response_model=list[LinkedRequestPublic])
async def get_linked(
    principal: CurrentPrincipal, session: SessionDep, request_id: RequestIds
) -> list[LinkedRequestPublic]:
    """Per request: its parent, children, the request it was merged into and those merged
    into it, each only when the caller may see both (a client: its own requests only)."""
    async with session.begin():
        asked = (
            await session.scalars(
                select(ServiceRequest).where(
                    col(ServiceRequest.id).in_(request_id), visibility(principal)
                )
            )
        ).all()
        ids = [request.id for request in asked]
        up = {request.parent_id for request in asked} | {
            request.merged_into_id for request in asked
        }
        found = (
            await session.scalars(
                select(ServiceRequest)
                .where(
                    or_(
                        col(ServiceRequest.id).in_([one for one in up if one]),
                        col(ServiceRequest.parent_id).in_(ids),
                        col(ServiceRequest.merged_into_id).in_(ids),
                    ),
                    visibility(principal),
                )
                .order_by(col(ServiceRequest.created_at), col(ServiceRequest.id))
            )
        ).all()
        shown = {node.id: node for node in await present_to(session, principal, found)}
    pairs: list[tuple[str, LinkRelation, str]] = []
    for request in asked:
        for other in found:
            for relation in _relations(request, other):
                pairs.append((request.id, relation, other.id))
    return [
        LinkedRequestPublic(request_id=one, relation=relation, request=shown[other])
        for one, relation, other in pairs
    ]


def _relations(request: ServiceRequest, other: ServiceRequest) -> list[LinkRelation]:
    """What `other` is to `request`."""
    relations = [
        (other.id == request.parent_id, LinkRelation.parent),
        (other.parent_id == request.id, LinkRelation.child),
        (other.id == request.merged_into_id, LinkRelation.merged_into),
        (other.merged_into_id == request.id, LinkRelation.merged_from),
    ]
    return [relation for holds, relation in relations if holds]
