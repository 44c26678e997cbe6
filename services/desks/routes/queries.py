"""Read routes of the desks service: a request, queues, timelines, the conversation,
overlaps, coordination metrics, unmet demand and the desks themselves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy import ColumnElement, exists, func, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import col

from contracts.enums import RequestStatus, Urgency
from contracts.http.desks.responses import (
    AttachmentPublic,
    CommentPublic,
    DeskMetrics,
    DeskPublic,
    OverlapPublic,
    RequestEdge,
    RequestMetrics,
    RequestPage,
    RequestPublic,
    TimelineEntryPublic,
    UnmetDemandPublic,
)
from services.desks import domain, search
from services.desks.attachments import attachment_visibility
from services.desks.models import (
    Attachment,
    Comment,
    CountryDesk,
    Desk,
    JointAssessment,
    OverlapLink,
    RequestApproval,
    Routing,
    ServiceRequest,
    SlaClockState,
    StatusChange,
    TimelineEntry,
    UnmetDemand,
)
from services.desks.store import visibility, visible_request
from services.desks.views import (
    attachment_public,
    comment_public,
    present_to,
)
from shared.auth import CurrentPrincipal, Principal, Role
from shared.db import AsyncSession
from shared.errors import DomainError
from shared.queries import Keyset, grouped
from shared.service import ClockDep, SessionDep

router = APIRouter(tags=["queries"])

RequestIds = Annotated[list[str], Query(alias="request_id", min_length=1, max_length=200)]


@router.get("/requests/{request_id}", response_model=RequestPublic)
async def get_request(
    request_id: str, principal: CurrentPrincipal, session: SessionDep
) -> RequestPublic:
    async with session.begin():
        request = await visible_request(session, principal, request_id)
        return (await present_to(session, principal, [request]))[0]


@router.get("/requests/{request_id}/timeline", response_model=list[TimelineEntryPublic])
async def get_timeline(
    request_id: str, principal: CurrentPrincipal, session: SessionDep
) -> list[TimelineEntryPublic]:
    async with session.begin():
        await visible_request(session, principal, request_id)
        entries = (
            await session.scalars(
                select(TimelineEntry)
                .where(col(TimelineEntry.request_id) == request_id)
                .order_by(col(TimelineEntry.at), col(TimelineEntry.id))
            )
        ).all()
    return [TimelineEntryPublic(**entry.model_dump()) for entry in entries]


@router.get("/timelines", response_model=list[TimelineEntryPublic])
async def get_timelines(
    principal: CurrentPrincipal, session: SessionDep, request_id: RequestIds
) -> list[TimelineEntryPublic]:
    """Timelines of several requests at once (the gateway's dataloader batches by id);
    requests the caller may not see are left out."""
    query = (
        select(TimelineEntry)
        .join(ServiceRequest, col(ServiceRequest.id) == col(TimelineEntry.request_id))
        .where(col(TimelineEntry.request_id).in_(request_id), visibility(principal))
        .order_by(col(TimelineEntry.at), col(TimelineEntry.id))
    )
    async with session.begin():
        entries = (await session.scalars(query)).all()
    return [TimelineEntryPublic(**entry.model_dump()) for entry in entries]


@router.get("/comments", response_model=list[CommentPublic])
async def get_comments(
    principal: CurrentPrincipal, session: SessionDep, request_id: RequestIds
) -> list[CommentPublic]:
    """The conversation on several requests, oldest first. A client never sees the
    desk's internal notes; a provider neither (they are the desk's)."""
    # A duplicate merged into one of them brings its conversation along, each comment
    # shown under the visibility of the request it was written on.
    query = (
        select(Comment, col(ServiceRequest.merged_into_id))
        .join(ServiceRequest, col(ServiceRequest.id) == col(Comment.request_id))
        .where(
            or_(
                col(Comment.request_id).in_(request_id),
                col(ServiceRequest.merged_into_id).in_(request_id),
            ),
            visibility(principal),
        )
        .order_by(col(Comment.created_at), col(Comment.id))
    )
    if not search.sees_internal_notes(principal):
        query = query.where(col(Comment.internal).is_(False))
    asked = set(request_id)
    async with session.begin():
        rows = (await session.execute(query)).all()
    return [
        comment_public(comment)
        if comment.request_id in asked
        else comment_public(comment, merged_into=merged_into)
        for comment, merged_into in rows
    ]


@router.get("/attachments", response_model=list[AttachmentPublic])
async def get_attachments(
    principal: CurrentPrincipal, session: SessionDep, request_id: RequestIds
) -> list[AttachmentPublic]:
    # As comments: a merged duplicate's attachments are shown from its survivor.
    query = (
        select(Attachment, col(ServiceRequest.merged_into_id))
        .join(ServiceRequest, col(ServiceRequest.id) == col(Attachment.request_id))
        .where(
            or_(
                col(Attachment.request_id).in_(request_id),
                col(ServiceRequest.merged_into_id).in_(request_id),
            ),
            visibility(principal),
            attachment_visibility(principal),
        )
        .order_by(col(Attachment.added_at), col(Attachment.id))
    )
    asked = set(request_id)
    async with session.begin():
        rows = (await session.execute(query)).all()
    return [
        attachment_public(row)
        if row.request_id in asked
        else attachment_public(row, merged_into=merged_into)
        for row, merged_into in rows
    ]


@router.get("/overlaps", response_model=list[OverlapPublic])
async def get_overlaps(
    principal: CurrentPrincipal, session: SessionDep, request_id: RequestIds
) -> list[OverlapPublic]:
    """Flagged overlaps of several requests. Desks see the other request whatever its
    desk (that is the point: coordination); a client sees the other request only when
    it is its own, otherwise just that an overlap exists and on which products."""
    other = aliased(ServiceRequest)
    query = (
        select(OverlapLink, other)
        .join(other, col(other.id) == col(OverlapLink.other_request_id))
        .where(col(OverlapLink.request_id).in_(request_id))
        .where(
            exists().where(
                col(ServiceRequest.id) == col(OverlapLink.request_id), visibility(principal)
            )
        )
        .order_by(col(OverlapLink.flagged_at), col(OverlapLink.id))
    )
    async with session.begin():
        rows = (await session.execute(query)).all()
    return [_overlap(principal, link, other) for link, other in rows]


def _overlap(principal: Principal, link: OverlapLink, other: ServiceRequest) -> OverlapPublic:
    shown = principal.role is not Role.client or other.client_code == principal.client
    return OverlapPublic(
        request_id=link.request_id,
        other_request_id=other.id if shown else None,
        other_title=other.title if shown else None,
        other_client_code=other.client_code if shown else None,
        other_desk_code=other.desk_code if shown else None,
        other_status=other.status if shown else None,
        shared_products=link.shared_products,
        similarity=link.similarity,
        flagged_at=link.flagged_at,
    )


class RequestSort(StrEnum):
    newest = "newest"
    oldest = "oldest"
    recently_updated = "recently_updated"


_ORDERS = {
    sort: Keyset(col(key), col(ServiceRequest.id), descending=descending, order=sort.value)
    for sort, key, descending in [
        (RequestSort.newest, ServiceRequest.created_at, True),
        (RequestSort.oldest, ServiceRequest.created_at, False),
        (RequestSort.recently_updated, ServiceRequest.updated_at, True),
    ]
}


@dataclass(frozen=True)
class QueueFilter:
    """The queue's filters, as the queue and its CSV export take them (a dependency)."""

    status_in: Annotated[list[RequestStatus] | None, Query(alias="status", max_length=20)] = None
    urgency: Annotated[list[Urgency] | None, Query(max_length=20)] = None
    product: Annotated[list[str] | None, Query(max_length=20)] = None
    client: Annotated[str | None, Query(max_length=40)] = None
    owner: Annotated[str | None, Query(max_length=300)] = None
    breached: bool | None = None
    overlapping: bool | None = None
    reopened: bool | None = None
    disputed: bool | None = None
    sort: RequestSort = RequestSort.newest
    language: Annotated[list[str] | None, Query(max_length=10)] = None
    text: Annotated[str | None, Query(alias="search", max_length=search.MAX_SEARCH * 4)] = None

    def conditions(self, session: AsyncSession, principal: Principal) -> list[ColumnElement[bool]]:
        """The requests the caller may see that pass every given filter, as SQL."""
        conditions = [visibility(principal)]
        if self.status_in:
            conditions.append(col(ServiceRequest.status).in_([s.value for s in self.status_in]))
        if self.urgency:
            conditions.append(col(ServiceRequest.urgency).in_([u.value for u in self.urgency]))
        if self.product:
            conditions.append(_has_product(self.product))
        if self.client:
            conditions.append(col(ServiceRequest.client_code) == self.client)
        if self.owner:
            conditions.append(col(ServiceRequest.owner) == self.owner)
        if self.breached is not None:
            conditions.append(breached_clock() if self.breached else ~breached_clock())
        if self.overlapping is not None:
            flagged = exists().where(col(OverlapLink.request_id) == col(ServiceRequest.id))
            conditions.append(flagged if self.overlapping else ~flagged)
        for flag, count in (
            (self.reopened, ServiceRequest.reopen_count),
            (self.disputed, ServiceRequest.dispute_count),
        ):
            if flag is not None:
                conditions.append(col(count) > 0 if flag else col(count) == 0)
        if self.language:
            conditions.append(col(ServiceRequest.language).in_(self.language))
        if self.text is not None:
            terms = search.queue_search_terms(self.text)
            conditions.append(search.matching(session, terms, principal))
        return conditions

    @property
    def order(self) -> Keyset:
        return _ORDERS[self.sort]


QueueFilterDep = Annotated[QueueFilter, Depends()]


@router.get("/requests", response_model=RequestPage)
async def list_requests(
    principal: CurrentPrincipal,
    session: SessionDep,
    queue: QueueFilterDep,
    first: Annotated[int, Query(ge=1, le=100)] = 20,
    after: Annotated[str | None, Query(max_length=300)] = None,
) -> RequestPage:
    """The requests the caller may see (a desk officer's queue, a client's own
    requests), filtered, sorted and paged with an opaque cursor; `search`: only those
    whose title, description or comments the caller may read hold every word."""
    conditions = queue.conditions(session, principal)
    order = queue.order
    query = order.page(select(ServiceRequest).where(*conditions), first, after)
    async with session.begin():
        rows = list((await session.scalars(query)).all())
        page = rows[:first]
        nodes = await present_to(session, principal, page)
    return RequestPage(
        edges=[
            RequestEdge(cursor=order.cursor(row), node=node)
            for row, node in zip(page, nodes, strict=True)
        ],
        end_cursor=order.cursor(page[-1]) if page else None,
        has_next_page=len(rows) > first,
    )


def _has_product(codes: list[str]) -> ColumnElement[bool]:
    # Routings, not the JSON products column: one indexed query on both databases.
    return exists().where(
        col(Routing.request_id) == col(ServiceRequest.id), col(Routing.product_code).in_(codes)
    )


def breached_clock() -> ColumnElement[bool]:
    return exists().where(
        col(SlaClockState.request_id) == col(ServiceRequest.id),
        col(SlaClockState.breached_at).is_not(None),
    )


# --- Coordination metrics -------------------------------------------------------------


@router.get("/request-metrics", response_model=list[RequestMetrics])
async def get_request_metrics(
    principal: CurrentPrincipal, session: SessionDep, clock: ClockDep, request_id: RequestIds
) -> list[RequestMetrics]:
    """Per request: time in each status, hand-offs between hands, entities involved."""
    async with session.begin():
        requests = (
            await session.scalars(
                select(ServiceRequest).where(
                    col(ServiceRequest.id).in_(request_id), visibility(principal)
                )
            )
        ).all()
        return await metrics_of(session, list(requests), clock.now())


async def metrics_of(
    session: AsyncSession, requests: list[ServiceRequest], now: datetime
) -> list[RequestMetrics]:
    ids = [request.id for request in requests]
    changes = await _rows(session, StatusChange, ids)
    routings = await _rows(session, Routing, ids)
    assessments = await _rows(session, JointAssessment, ids)
    clocks = await _rows(session, SlaClockState, ids)
    owners = await _rows_of_type(session, ids, "onedoor.request.assigned.v1")
    result = []
    for request in requests:
        mine = routings.get(request.id, [])
        declines = sum(
            1 for routing in mine if routing.decline_reason or routing.status == "declined"
        )
        partners = {
            partner
            for item in assessments.get(request.id, [])
            for p in [item.partners]
            for partner in p
        }
        entities = sorted(
            {f"client:{request.client_code}", f"desk:{request.desk_code}"}
            | {f"provider:{routing.product_code}" for routing in mine}
            | {f"partner:{partner}" for partner in partners}
        )
        result.append(
            RequestMetrics(
                request_id=request.id,
                seconds_in_status=domain.time_in_status(
                    request.created_at,
                    [
                        domain.StatusSpan(change.at, change.to_status)
                        for change in changes.get(request.id, [])
                    ],
                    now,
                ),
                hand_offs=domain.hand_offs(len(mine), declines, owners.get(request.id, 0)),
                entities_involved=entities,
                routings=len(mine),
                declines=declines,
                breaches=sum(1 for item in clocks.get(request.id, []) if item.breached_at),
            )
        )
    return result


async def _rows(session: AsyncSession, model: Any, ids: list[str]) -> dict[str, list[Any]]:
    rows = await session.scalars(select(model).where(col(model.request_id).in_(ids)))
    return grouped(rows, lambda row: row.request_id)


async def _rows_of_type(session: AsyncSession, ids: list[str], event_type: str) -> dict[str, int]:
    counted = (
        await session.execute(
            select(col(TimelineEntry.request_id), func.count())
            .where(
                col(TimelineEntry.request_id).in_(ids), col(TimelineEntry.event_type) == event_type
            )
            .group_by(col(TimelineEntry.request_id))
        )
    ).all()
    return {request_id: int(number) for request_id, number in counted}


@router.get("/desks/{desk_code}/metrics", response_model=DeskMetrics)
async def get_desk_metrics(
    desk_code: str, principal: CurrentPrincipal, session: SessionDep
) -> DeskMetrics:
    """How a desk is doing: its requests by status, breaches, overlaps, unmet demand,
    time to route and client satisfaction."""
    if principal.role is Role.desk_officer and principal.desk != desk_code:
        raise DomainError("FORBIDDEN", f"a {principal.desk} officer may not read desk {desk_code}")
    principal.require(Role.desk_officer, Role.admin, Role.hq_analyst)
    mine = col(ServiceRequest.desk_code) == desk_code
    open_ = col(ServiceRequest.status).in_([s.value for s in domain.OPEN_STATUSES])
    async with session.begin():
        if await session.get(Desk, desk_code) is None:
            raise DomainError("NOT_FOUND", f"no desk {desk_code}")
        by_status = dict(
            (
                await session.execute(
                    select(col(ServiceRequest.status), func.count())
                    .where(mine)
                    .group_by(col(ServiceRequest.status))
                )
            ).all()
        )

        async def count(*conditions: Any) -> int:
            query = select(func.count()).select_from(ServiceRequest).where(mine, *conditions)
            return int(await session.scalar(query) or 0)

        first_routed = (
            select(col(StatusChange.request_id), func.min(col(StatusChange.at)).label("at"))
            .where(col(StatusChange.to_status) == RequestStatus.routed.value)
            .group_by(col(StatusChange.request_id))
            .subquery()
        )
        routed_pairs = (
            await session.execute(
                select(col(ServiceRequest.created_at), first_routed.c.at)
                .join(first_routed, first_routed.c.request_id == col(ServiceRequest.id))
                .where(mine)
            )
        ).all()
        reopenings, disputes = (
            await session.execute(
                select(
                    func.coalesce(func.sum(col(ServiceRequest.reopen_count)), 0),
                    func.coalesce(func.sum(col(ServiceRequest.dispute_count)), 0),
                ).where(mine)
            )
        ).one()
        satisfaction = await session.scalar(
            select(func.avg(ServiceRequest.satisfaction_score)).where(
                mine, col(ServiceRequest.satisfaction_score).is_not(None)
            )
        )
        unmet = await session.scalar(
            select(func.count())
            .select_from(UnmetDemand)
            .where(col(UnmetDemand.desk_code) == desk_code)
        )
        open_count = await count(open_)
        open_breached = await count(open_, breached_clock())
        awaiting = await count(col(ServiceRequest.status).in_([s.value for s in domain.ROUTABLE]))
        overlapping = await count(
            open_, exists().where(col(OverlapLink.request_id) == col(ServiceRequest.id))
        )
        awaiting_approval = await count(
            col(ServiceRequest.status) == RequestStatus.awaiting_approval.value
        )
        approval_waits = await _approval_waits(session, desk_code)
    hours = [
        (routed_at - created_at).total_seconds() / 3600 for created_at, routed_at in routed_pairs
    ]
    return DeskMetrics(
        desk_code=desk_code,
        requests=sum(int(n) for n in by_status.values()),
        by_status={status: int(n) for status, n in by_status.items()},
        open=open_count,
        open_breached=open_breached,
        awaiting_triage=awaiting,
        overlapping_open=overlapping,
        unmet_demand=int(unmet or 0),
        average_hours_to_route=round(sum(hours) / len(hours), 3) if hours else None,
        average_satisfaction=round(float(satisfaction), 2) if satisfaction is not None else None,
        awaiting_approval=awaiting_approval,
        average_hours_awaiting_approval=(
            round(sum(approval_waits) / len(approval_waits), 3) if approval_waits else None
        ),
        reopenings=int(reopenings),
        disputes=int(disputes),
    )


async def _approval_waits(session: AsyncSession, desk_code: str) -> list[float]:
    """Hours from each decided approval's request to its decision, at the desk."""
    rows = (
        await session.execute(
            select(col(RequestApproval.requested_at), col(RequestApproval.decided_at)).where(
                col(RequestApproval.desk_code) == desk_code,
                col(RequestApproval.decided_at).is_not(None),
            )
        )
    ).all()
    return [
        (decided - requested).total_seconds() / 3600
        for requested, decided in rows
        if decided is not None
    ]


# --- Unmet demand ---------------------------------------------------------------------


@router.get("/unmet-demand", response_model=list[UnmetDemandPublic])
async def list_unmet_demand(
    principal: CurrentPrincipal,
    session: SessionDep,
    product: Annotated[str | None, Query(max_length=64)] = None,
    desk: Annotated[str | None, Query(max_length=40)] = None,
    country: Annotated[str | None, Query(max_length=3)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[UnmetDemandPublic]:
    """Demand nobody could meet, newest first: a desk officer sees the desk's, HQ all."""
    principal.require(Role.desk_officer, Role.admin, Role.hq_analyst)
    query = select(UnmetDemand)
    if principal.role is Role.desk_officer:
        query = query.where(col(UnmetDemand.desk_code) == principal.desk)
    if product:
        query = query.where(col(UnmetDemand.product_code) == product)
    if desk:
        query = query.where(col(UnmetDemand.desk_code) == desk)
    if country:
        query = query.where(col(UnmetDemand.country) == country)
    query = query.order_by(col(UnmetDemand.recorded_at).desc(), col(UnmetDemand.id)).limit(limit)
    async with session.begin():
        rows = (await session.scalars(query)).all()
    return [UnmetDemandPublic(**row.model_dump()) for row in rows]


# --- Desks ----------------------------------------------------------------------------


@router.get("/desks", response_model=list[DeskPublic], tags=["reference"])
async def list_desks(_principal: CurrentPrincipal, session: SessionDep) -> list[DeskPublic]:
    async with session.begin():
        desks = (await session.scalars(select(Desk).order_by(col(Desk.code)))).all()
        mapping = (await session.scalars(select(CountryDesk))).all()
    countries: dict[str, list[str]] = {}
    for entry in mapping:
        countries.setdefault(entry.desk_code, []).append(entry.country)
    return [
        DeskPublic(
            code=desk.code,
            name=desk.name,
            region=desk.region,
            countries=sorted(countries.get(desk.code, [])),
        )
        for desk in desks
    ]
