"""What the desks service answers: public shapes of its rows, built in batches."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlmodel import col

from contracts.http.desks.responses import (
    ApprovalPublic,
    AssessmentPublic,
    AttachmentPublic,
    CommentPublic,
    RequestPublic,
    RoutingPublic,
    SlaClockPublic,
)
from services.desks.models import (
    Attachment,
    Comment,
    JointAssessment,
    OverlapLink,
    RequestApproval,
    Routing,
    ServiceRequest,
    SlaClockState,
)
from services.desks.store import routings_of
from shared.auth import Principal
from shared.db import AsyncSession
from shared.queries import grouped
from shared.sharing import RecordKind, shown_to, viewer_of


async def present(session: AsyncSession, requests: Sequence[ServiceRequest]) -> list[RequestPublic]:
    """Requests with their routings, SLA clocks, overlap counts and assessments: one
    query per kind for the whole page, never one per request."""
    ids = [request.id for request in requests]
    routings = await routings_of(session, ids)
    clocks = await _grouped(session, SlaClockState, ids)
    assessments = await _grouped(session, JointAssessment, ids)
    approvals = await _grouped(session, RequestApproval, ids)
    overlaps = dict(
        (
            await session.execute(
                select(col(OverlapLink.request_id), func.count())
                .where(col(OverlapLink.request_id).in_(ids))
                .group_by(col(OverlapLink.request_id))
            )
        ).all()
    )
    return [
        RequestPublic(
            **request.model_dump(),
            routings=[_routing(routing) for routing in _by_time(routings[request.id])],
            sla=[
                SlaClockPublic(**clock.model_dump())
                for clock in sorted(clocks[request.id], key=lambda c: (c.due_at, c.clock))
            ],
            breached=any(clock.breached_at for clock in clocks[request.id]),
            overlap_count=int(overlaps.get(request.id, 0)),
            assessments=[
                AssessmentPublic(**assessment.model_dump())
                for assessment in assessments[request.id]
            ],
            approvals=_approvals(approvals[request.id]),
        )
        for request in requests
    ]


async def present_to(
    session: AsyncSession, principal: Principal, requests: Sequence[ServiceRequest]
) -> list[RequestPublic]:
    """`present`, as the caller's audience may see each request (shared/sharing.py): what
    every query, the gateway's subscriptions and the exports answer another party with.
    (A command answers its actor: the request's desk, its client or an admin.)"""
    viewer = viewer_of(principal)
    return [shown_to(viewer, RecordKind.request, node) for node in await present(session, requests)]


def present_new(
    request: ServiceRequest,
    routings: list[dict[str, Any]],
    clocks: list[dict[str, Any]],
    overlap_count: int,
    approvals: list[RequestApproval],
) -> RequestPublic:
    """A request just taken in, from what intake holds in hand (no query); its routings
    and clocks as the rows intake keeps for them (store.add_routing, clocks.start_clocks)."""
    return RequestPublic(
        **request.model_dump(),
        routings=[RoutingPublic(**routing) for routing in routings],
        sla=[
            SlaClockPublic(**clock)
            for clock in sorted(clocks, key=lambda c: (c["due_at"], c["clock"]))
        ],
        breached=False,
        overlap_count=overlap_count,
        assessments=[],
        approvals=_approvals(approvals),
    )


def _approvals(approvals: list[RequestApproval]) -> list[ApprovalPublic]:
    ordered = sorted(approvals, key=lambda approval: (approval.requested_at, approval.id))
    return [ApprovalPublic(**approval.model_dump()) for approval in ordered]


def _by_time(routings: list[Routing]) -> list[Routing]:
    return sorted(routings, key=lambda routing: (routing.routed_at, routing.id))


def _routing(routing: Routing) -> RoutingPublic:
    return RoutingPublic(**routing.model_dump())


async def _grouped(session: AsyncSession, model: Any, ids: list[str]) -> dict[str, list[Any]]:
    rows = await session.scalars(select(model).where(col(model.request_id).in_(ids)))
    return grouped(rows, lambda row: row.request_id, ids)


def comment_public(comment: Comment, *, merged_into: str | None = None) -> CommentPublic:
    """A comment; one written on a duplicate shown from the request it was merged into."""
    if merged_into is None:
        return CommentPublic(**comment.model_dump())
    return CommentPublic(
        **comment.model_dump(exclude={"request_id"}),
        request_id=merged_into,
        from_request_id=comment.request_id,
    )


def attachment_public(
    attachment: Attachment, *, merged_into: str | None = None
) -> AttachmentPublic:
    """An attachment; one of a duplicate shown from the request it was merged into."""
    uploaded = attachment.storage_key is not None
    if merged_into is None:
        return AttachmentPublic(**attachment.model_dump(), uploaded=uploaded)
    return AttachmentPublic(
        **attachment.model_dump(exclude={"request_id"}),
        request_id=merged_into,
        from_request_id=attachment.request_id,
        uploaded=uploaded,
    )
