"""CSV exports of the products service (shared/exports.py): the engagements, with the
provider queue's filters and the caller's visibility, streamed chunk by chunk."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from services.products.models import Engagement
from services.products.routes.queries import FIRST_COME, EngagementFilterDep
from services.products.settings import ProductsSettings
from services.products.views import public_engagements
from shared.auth import CurrentPrincipal
from shared.db import AsyncSession
from shared.exports import Cells, csv_response, keyset_chunks, sessions_of
from shared.service import ClockDep

router = APIRouter(tags=["exports"])

ENGAGEMENTS_HEADER = (
    "id", "request_id", "product_code", "status", "client_code", "client_kind", "desk_code",
    "country", "region", "title", "urgency", "decline_reason_code", "decided_by",
    "accepted_at", "delivered_at", "created_at", "updated_at", "due_at", "overdue",
)  # fmt: skip


@router.get("/exports/engagements.csv", response_class=StreamingResponse)
async def export_engagements(
    request: Request,
    principal: CurrentPrincipal,
    clock: ClockDep,
    engagements: EngagementFilterDep,
) -> StreamingResponse:
    """The engagements as the caller sees them (GET /queue), every page, oldest first."""
    settings: ProductsSettings = request.app.state.settings

    async def to_cells(session: AsyncSession, rows: list[Engagement]) -> list[Cells]:
        nodes = await public_engagements(session, rows, clock, principal)
        return [tuple(getattr(node, name) for name in ENGAGEMENTS_HEADER) for node in nodes]

    chunks = keyset_chunks(
        sessions_of(request),
        engagements.query(principal),
        FIRST_COME,
        settings.export_chunk_rows,
        to_cells,
    )
    return csv_response("engagements.csv", ENGAGEMENTS_HEADER, chunks)
