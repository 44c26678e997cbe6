"""CSV exports of the desks (shared/exports.py): the queue, coordination metrics, SLA
breaches and unmet demand, with the queue's filters and the caller's visibility,
streamed chunk by chunk."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import select
from sqlmodel import col

from contracts.enums import SlaClock
from services.desks.models import ServiceRequest, SlaClockState, UnmetDemand
from services.desks.routes.queries import QueueFilterDep, breached_clock, metrics_of
from services.desks.settings import SettingsDep
from services.desks.views import present_to
from shared.auth import CurrentPrincipal, Role
from shared.db import AsyncSession
from shared.exports import Cells, csv_response, keyset_chunks, sessions_of
from shared.queries import Keyset
from shared.service import ClockDep, SessionDep

router = APIRouter(tags=["exports"])

QUEUE_HEADER = (
    "id", "title", "status", "urgency", "client_code", "client_kind", "country", "desk_code",
    "products", "owner", "created_at", "updated_at", "breached", "overlap_count",
    "reopen_count", "dispute_count", "status_reason",
)  # fmt: skip
METRICS_HEADER = (
    "request_id", "title", "status", "desk_code", "client_code", "routings", "declines",
    "hand_offs", "breaches", "entities_involved", "seconds_in_status",
)  # fmt: skip
BREACHES_HEADER = (
    "request_id", "title", "status", "urgency", "desk_code", "client_code", "owner", "clock",
    "due_at", "breached_at", "escalated_to",
)  # fmt: skip
UNMET_HEADER = (
    "id", "request_id", "routing_id", "product_code", "client_code", "country", "region",
    "desk_code", "reason_code", "note", "recorded_by", "recorded_at",
)  # fmt: skip


@router.get("/exports/queue.csv", response_class=StreamingResponse)
async def export_queue(
    request: Request,
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    queue: QueueFilterDep,
) -> StreamingResponse:
    """The queue as the caller sees it (GET /requests), every page, as CSV."""

    async def to_cells(session: AsyncSession, rows: list[ServiceRequest]) -> list[Cells]:
        nodes = await present_to(session, principal, rows)
        return [tuple(getattr(node, name) for name in QUEUE_HEADER) for node in nodes]

    query = select(ServiceRequest).where(*queue.conditions(session, principal))
    chunks = keyset_chunks(
        sessions_of(request), query, queue.order, settings.export_chunk_rows, to_cells
    )
    return csv_response("desk-queue.csv", QUEUE_HEADER, chunks)


@router.get("/exports/coordination-metrics.csv", response_class=StreamingResponse)
async def export_coordination_metrics(
    request: Request,
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    queue: QueueFilterDep,
) -> StreamingResponse:
    """Per request of the (filtered) queue: how much coordination it took
    (GET /request-metrics)."""

    async def to_cells(session: AsyncSession, rows: list[ServiceRequest]) -> list[Cells]:
        by_id = {row.id: row for row in rows}
        cells: list[Cells] = []
        for metrics in await metrics_of(session, rows, clock.now()):
            request = by_id[metrics.request_id]
            row = {**request.model_dump(), **metrics.model_dump()}
            row["seconds_in_status"] = [
                f"{status}={seconds:g}" for status, seconds in metrics.seconds_in_status.items()
            ]
            cells.append(tuple(row[name] for name in METRICS_HEADER))
        return cells

    query = select(ServiceRequest).where(*queue.conditions(session, principal))
    chunks = keyset_chunks(
        sessions_of(request), query, queue.order, settings.export_chunk_rows, to_cells
    )
    return csv_response("coordination-metrics.csv", METRICS_HEADER, chunks)


@router.get("/exports/sla-breaches.csv", response_class=StreamingResponse)
async def export_sla_breaches(
    request: Request,
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    queue: QueueFilterDep,
    clock_in: Annotated[list[SlaClock] | None, Query(alias="clock", max_length=3)] = None,
) -> StreamingResponse:
    """Every breached SLA clock of the (filtered) queue's requests, one row per clock."""

    async def to_cells(session: AsyncSession, rows: list[ServiceRequest]) -> list[Cells]:
        by_id = {row.id: row for row in rows}
        clocks = select(SlaClockState).where(
            col(SlaClockState.request_id).in_(by_id), col(SlaClockState.breached_at).is_not(None)
        )
        if clock_in:
            clocks = clocks.where(col(SlaClockState.clock).in_([c.value for c in clock_in]))
        breached = (await session.scalars(clocks)).all()
        position = {row.id: number for number, row in enumerate(rows)}
        return [
            tuple(
                {**by_id[item.request_id].model_dump(), **item.model_dump()}[name]
                for name in BREACHES_HEADER
            )
            for item in sorted(breached, key=lambda c: (position[c.request_id], c.breached_at))
        ]

    conditions = [*queue.conditions(session, principal), breached_clock()]
    query = select(ServiceRequest).where(*conditions)
    chunks = keyset_chunks(
        sessions_of(request), query, queue.order, settings.export_chunk_rows, to_cells
    )
    return csv_response("sla-breaches.csv", BREACHES_HEADER, chunks)


UNMET_ORDER = Keyset(col(UnmetDemand.recorded_at), col(UnmetDemand.id), descending=True)


@router.get("/exports/unmet-demand.csv", response_class=StreamingResponse)
async def export_unmet_demand(
    request: Request,
    principal: CurrentPrincipal,
    settings: SettingsDep,
    product: Annotated[str | None, Query(max_length=64)] = None,
    desk: Annotated[str | None, Query(max_length=40)] = None,
    country: Annotated[str | None, Query(max_length=3)] = None,
) -> StreamingResponse:
    """Demand nobody could meet (GET /unmet-demand), newest first: a desk officer its
    desk's, HQ all."""
    principal.require(Role.desk_officer, Role.admin, Role.hq_analyst)
    query = select(UnmetDemand)
    if principal.role is Role.desk_officer:
        query = query.where(col(UnmetDemand.desk_code) == principal.desk)
    for value, column in (
        (product, UnmetDemand.product_code),
        (desk, UnmetDemand.desk_code),
        (country, UnmetDemand.country),
    ):
        if value:
            query = query.where(col(column) == value)

    async def to_cells(_session: AsyncSession, rows: list[UnmetDemand]) -> list[Cells]:
        return [tuple(getattr(row, name) for name in UNMET_HEADER) for row in rows]

    chunks = keyset_chunks(
        sessions_of(request), query, UNMET_ORDER, settings.export_chunk_rows, to_cells
    )
    return csv_response("unmet-demand.csv", UNMET_HEADER, chunks)
