"""What the desks service answers: public shapes of its rows, built in batches."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlmodel import col

from services.desks.models import (
    Attachment,
    Comment,
    JointAssessment,
    OverlapLink,
    Routing,
    ServiceRequest,
    SlaClockState,
)
from services.desks.store import routings_of
from shared.db import AsyncSession
from shared.queries import grouped


class RoutingPublic(BaseModel):
    id: str
    product_code: str
    status: str
    engagement_id: str | None
    engagement_status: str | None
    decline_reason: str | None
    routed_at: datetime


class SlaClockPublic(BaseModel):
    clock: str
    due_at: datetime
    stopped_at: datetime | None
    breached_at: datetime | None
    escalated_to: str | None


class AssessmentPublic(BaseModel):
    id: str
    partners: list[str]
    scope: str
    status: str
    summary: str | None
    recommended_products: list[str]
    opened_at: datetime
    concluded_on: date | None


class RequestPublic(BaseModel):
    id: str
    client_code: str
    client_kind: str
    country: str
    region: str
    desk_code: str
    title: str
    description: str
    urgency: str
    status: str
    status_reason: str | None
    products: list[str]
    details: dict[str, Any]
    submitted_by: str
    owner: str | None
    created_at: datetime
    updated_at: datetime
    version: int
    satisfaction_score: int | None
    satisfaction_comment: str | None
    routings: list[RoutingPublic]
    sla: list[SlaClockPublic]
    breached: bool
    overlap_count: int
    assessments: list[AssessmentPublic]


class TimelineEntryPublic(BaseModel):
    request_id: str
    at: datetime
    event_type: str
    actor: str
    summary: str


class CommentPublic(BaseModel):
    id: str
    request_id: str
    author: str
    author_role: str
    body: str
    internal: bool
    created_at: datetime


class AttachmentPublic(BaseModel):
    id: str
    request_id: str
    name: str
    media_type: str
    size_bytes: int
    url: str
    added_by: str
    added_at: datetime


class OverlapPublic(BaseModel):
    """A flagged link; the other request's content only for those who may see it."""

    request_id: str
    other_request_id: str | None
    other_title: str | None
    other_client_code: str | None
    other_desk_code: str | None
    other_status: str | None
    shared_products: list[str]
    similarity: float
    flagged_at: datetime


async def present(session: AsyncSession, requests: Sequence[ServiceRequest]) -> list[RequestPublic]:
    """Requests with their routings, SLA clocks, overlap counts and assessments: one
    query per kind for the whole page, never one per request."""
    ids = [request.id for request in requests]
    routings = await routings_of(session, ids)
    clocks = await _grouped(session, SlaClockState, ids)
    assessments = await _grouped(session, JointAssessment, ids)
    overlaps = dict(
        (
            await session.execute(
                select(OverlapLink.request_id, func.count())
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
        )
        for request in requests
    ]


def present_new(
    request: ServiceRequest,
    routings: list[Routing],
    clocks: list[SlaClockState],
    overlap_count: int,
) -> RequestPublic:
    """A request just taken in, from what intake holds in hand (no query)."""
    return RequestPublic(
        **request.model_dump(),
        routings=[_routing(routing) for routing in routings],
        sla=[
            SlaClockPublic(**clock.model_dump())
            for clock in sorted(clocks, key=lambda c: (c.due_at, c.clock))
        ],
        breached=False,
        overlap_count=overlap_count,
        assessments=[],
    )


def _by_time(routings: list[Routing]) -> list[Routing]:
    return sorted(routings, key=lambda routing: (routing.routed_at, routing.id))


def _routing(routing: Routing) -> RoutingPublic:
    return RoutingPublic(**routing.model_dump())


async def _grouped(session: AsyncSession, model: Any, ids: list[str]) -> dict[str, list[Any]]:
    rows = await session.scalars(select(model).where(col(model.request_id).in_(ids)))
    return grouped(rows, lambda row: row.request_id, ids)


def comment_public(comment: Comment) -> CommentPublic:
    return CommentPublic(**comment.model_dump())


def attachment_public(attachment: Attachment) -> AttachmentPublic:
    return AttachmentPublic(**attachment.model_dump())
