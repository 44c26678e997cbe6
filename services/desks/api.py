"""HTTP routes of the desks service: intake, a request, a caller's requests."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field
from sqlalchemy import and_, or_, select
from sqlmodel import col

from contracts.events import ClientKind, RequestRouted, RequestSubmitted, Urgency
from services.desks import domain
from services.desks.domain import KnownProduct, RequestStatus, RoutingStatus
from services.desks.models import (
    CatalogProduct,
    Client,
    CountryDesk,
    Desk,
    Routing,
    ServiceRequest,
    TimelineEntry,
)
from services.desks.store import (
    add_timeline,
    change_status,
    routings_of,
    visibility,
    visible_request,
)
from shared.auth import CurrentPrincipal, Principal, Role
from shared.clock import Clock
from shared.db import AsyncSession
from shared.errors import DomainError
from shared.messaging import Outbox
from shared.service import ClockDep, OutboxDep, SessionDep

router = APIRouter(tags=["requests"])


class RequestCreate(BaseModel):
    title: str = Field(max_length=domain.MAX_TITLE * 4)
    description: str = Field(default="", max_length=domain.MAX_DESCRIPTION * 4)
    products: list[str] = Field(default_factory=list, max_length=50)
    urgency: Urgency = Urgency.routine
    details: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Per product code, the details its request form asks for"
    )
    client_code: str | None = Field(
        default=None, description="Whom the request is for; a client may only submit for itself"
    )


class RoutingPublic(BaseModel):
    id: str
    product_code: str
    status: str
    engagement_id: str | None
    decline_reason: str | None
    routed_at: datetime


class TimelineEntryPublic(BaseModel):
    request_id: str
    at: datetime
    event_type: str
    actor: str
    summary: str


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
    products: list[str]
    details: dict[str, Any]
    submitted_by: str
    created_at: datetime
    updated_at: datetime
    version: int
    routings: list[RoutingPublic]


class RequestEdge(BaseModel):
    cursor: str
    node: RequestPublic


class RequestPage(BaseModel):
    edges: list[RequestEdge]
    end_cursor: str | None
    has_next_page: bool


def _public(request: ServiceRequest, routings: list[Routing]) -> RequestPublic:
    return RequestPublic(
        **request.model_dump(exclude={"routings"}),
        routings=[RoutingPublic(**routing.model_dump()) for routing in routings],
    )


@router.post("/requests", status_code=status.HTTP_201_CREATED, response_model=RequestPublic)
async def submit_request(
    body: RequestCreate,
    principal: CurrentPrincipal,
    session: SessionDep,
    outbox: OutboxDep,
    clock: ClockDep,
) -> RequestPublic:
    """Take in a client's request: assign its desk, and route each named product."""
    principal.require(Role.client, Role.desk_officer, Role.admin)
    async with session.begin():
        request, routings = await _take_in(body, principal, session, outbox, clock)
    return _public(request, routings)


async def _take_in(
    body: RequestCreate, principal: Principal, session: AsyncSession, outbox: Outbox, clock: Clock
) -> tuple[ServiceRequest, list[Routing]]:
    client = await _client_for(body, principal, session)
    desk = await _desk_for(client, session)
    if principal.role is Role.desk_officer and desk.code != principal.desk:
        raise DomainError("FORBIDDEN", f"client {client.code} is served by desk {desk.code}")
    catalog = await _catalog(session, body.products)
    domain.validate_intake(
        title=body.title,
        description=body.description,
        products=body.products,
        details=body.details,
        catalog=catalog,
        details_size=len(json.dumps(body.details)),
    )
    now = clock.now()
    request = ServiceRequest(
        id=str(uuid.uuid4()),
        client_code=client.code,
        client_kind=client.kind,
        country=client.country,
        region=desk.region,
        desk_code=desk.code,
        title=body.title.strip(),
        description=body.description,
        urgency=body.urgency.value,
        status=RequestStatus.submitted.value,
        products=body.products,
        details=body.details,
        submitted_by=principal.actor,
        created_at=now,
        updated_at=now,
    )
    session.add(request)
    submitted = RequestSubmitted(
        request_id=request.id,
        client_code=client.code,
        client_kind=ClientKind(client.kind),
        country=client.country,
        region=desk.region,
        desk_code=desk.code,
        title=request.title,
        description=request.description,
        products=request.products,
        urgency=body.urgency,
        submitted_by=principal.actor,
        submitted_at=now,
    )
    outbox.add(session, submitted)
    add_timeline(
        session,
        request.id,
        at=now,
        event_type=submitted.type,
        actor=principal.actor,
        summary=f"submitted to desk {desk.code}",
    )
    await session.flush()
    routings = _route_named_products(session, outbox, request, now)
    return request, routings


def _route_named_products(
    session: AsyncSession, outbox: Outbox, request: ServiceRequest, now: datetime
) -> list[Routing]:
    path = domain.intake_path(request.products)
    actor = f"desk:{request.desk_code}:intake"
    for target in path[1:]:
        reason = "products named by the client" if target is RequestStatus.triaged else None
        change_status(
            session,
            request,
            target,
            at=now,
            actor=actor,
            reason=reason,
            publish=lambda event: outbox.add(session, event),
        )
    routings = []
    for code in request.products if RequestStatus.routed in path else []:
        routing = Routing(
            id=str(uuid.uuid4()),
            request_id=request.id,
            product_code=code,
            status=RoutingStatus.routed.value,
            routed_at=now,
            updated_at=now,
        )
        session.add(routing)
        routed = RequestRouted(
            request_id=request.id,
            routing_id=routing.id,
            product_code=code,
            client_code=request.client_code,
            client_kind=ClientKind(request.client_kind),
            country=request.country,
            region=request.region,
            desk_code=request.desk_code,
            title=request.title,
            description=request.description,
            urgency=Urgency(request.urgency),
            details=request.details.get(code, {}),
            routed_by=actor,
            routed_at=now,
        )
        outbox.add(session, routed)
        add_timeline(
            session,
            request.id,
            at=now,
            event_type=routed.type,
            actor=actor,
            summary=f"routed to {code}",
        )
        routings.append(routing)
    return routings


async def _client_for(body: RequestCreate, principal: Principal, session: AsyncSession) -> Client:
    if principal.role is Role.client:
        if body.client_code and body.client_code != principal.client:
            raise DomainError("FORBIDDEN", "a client may only submit requests for itself")
        code = principal.client
    else:
        code = body.client_code
        if not code:
            raise DomainError("BAD_USER_INPUT", "client_code is required", field="client_code")
    client = await session.get(Client, code)
    if client is None:
        raise DomainError("UNKNOWN_CLIENT", f"unknown client {code}")
    return client


async def _desk_for(client: Client, session: AsyncSession) -> Desk:
    mapping = await session.get(CountryDesk, client.country)
    desk = await session.get(Desk, mapping.desk_code) if mapping else None
    if desk is None:
        raise DomainError(
            "CONFLICT", f"no desk serves country {client.country}; an admin must map it"
        )
    return desk


async def _catalog(session: AsyncSession, codes: list[str]) -> dict[str, KnownProduct]:
    rows = (
        await session.scalars(select(CatalogProduct).where(col(CatalogProduct.code).in_(codes)))
    ).all()
    return {row.code: KnownProduct(row.code, row.active, row.request_form) for row in rows}


@router.get("/requests/{request_id}", response_model=RequestPublic)
async def get_request(
    request_id: str, principal: CurrentPrincipal, session: SessionDep
) -> RequestPublic:
    async with session.begin():
        request = await visible_request(session, principal, request_id)
        routings = await routings_of(session, [request.id])
    return _public(request, routings[request.id])


@router.get("/requests/{request_id}/timeline", response_model=list[TimelineEntryPublic])
async def get_timeline(
    request_id: str, principal: CurrentPrincipal, session: SessionDep
) -> list[TimelineEntryPublic]:
    async with session.begin():
        await visible_request(session, principal, request_id)
        entries = (
            await session.scalars(
                select(TimelineEntry)
                .where(TimelineEntry.request_id == request_id)
                .order_by(col(TimelineEntry.at), col(TimelineEntry.id))
            )
        ).all()
    return [TimelineEntryPublic(**entry.model_dump()) for entry in entries]


@router.get("/timelines", response_model=list[TimelineEntryPublic])
async def get_timelines(
    principal: CurrentPrincipal,
    session: SessionDep,
    request_id: Annotated[list[str], Query(min_length=1, max_length=200)],
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


@router.get("/requests", response_model=RequestPage)
async def list_requests(
    principal: CurrentPrincipal,
    session: SessionDep,
    first: Annotated[int, Query(ge=1, le=100)] = 20,
    after: Annotated[str | None, Query(max_length=200)] = None,
    status_in: Annotated[list[RequestStatus] | None, Query(alias="status")] = None,
) -> RequestPage:
    """The requests the caller may see, newest first, as a cursor page."""
    query = select(ServiceRequest).where(visibility(principal))
    if status_in:
        query = query.where(col(ServiceRequest.status).in_([value.value for value in status_in]))
    if after:
        created_at, request_id = _decode_cursor(after)
        query = query.where(
            or_(
                col(ServiceRequest.created_at) < created_at,
                and_(
                    col(ServiceRequest.created_at) == created_at,
                    col(ServiceRequest.id) < request_id,
                ),
            )
        )
    query = query.order_by(
        col(ServiceRequest.created_at).desc(), col(ServiceRequest.id).desc()
    ).limit(first + 1)
    async with session.begin():
        rows = list((await session.scalars(query)).all())
        page = rows[:first]
        routings = await routings_of(session, [row.id for row in page])
    return RequestPage(
        edges=[
            RequestEdge(cursor=_encode_cursor(row), node=_public(row, routings[row.id]))
            for row in page
        ],
        end_cursor=_encode_cursor(page[-1]) if page else None,
        has_next_page=len(rows) > first,
    )


def _encode_cursor(request: ServiceRequest) -> str:
    raw = f"{request.created_at.isoformat()}|{request.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        created_at, request_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        return datetime.fromisoformat(created_at), request_id
    except (ValueError, UnicodeDecodeError) as error:
        raise DomainError("BAD_USER_INPUT", "invalid cursor", field="after") from error


class DeskPublic(BaseModel):
    code: str
    name: str
    region: str
    countries: list[str]


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
