"""HTTP routes of the products service: the catalog, engagements, the expert roster and
the provider's figures (queue, capacity and utilisation, unmet demand)."""

from __future__ import annotations

import base64
import uuid
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field
from sqlalchemy import and_, delete, func, or_, select
from sqlmodel import col

from contracts.events import (
    DeclineReason,
    EngagementAccepted,
    EngagementDeclined,
    Urgency,
)
from services.products import domain
from services.products.domain import EngagementStatus, Period
from services.products.models import (
    Assignment,
    Deliverable,
    Engagement,
    Expert,
    ExpertAvailability,
    Product,
    UnmetDemand,
)
from services.products.seed import cataloged
from services.products.store import (
    active_engagements,
    assignments_of,
    deliverables_of,
    delivered_event,
    engagement_for_change,
    engagement_visibility,
    live_bookings,
    locked_product,
    may_change_product,
    move,
    product_scope,
    status_changed,
    touch,
)
from shared.auth import CurrentPrincipal, Principal, Role
from shared.clock import Clock
from shared.db import AsyncSession
from shared.errors import DomainError
from shared.messaging import Outbox
from shared.service import ClockDep, OutboxDep, SessionDep

router = APIRouter()

PRODUCT_CODE = r"^[A-Z][A-Z0-9_]{1,63}$"


# ---------------------------------------------------------------- catalog


class ProductPublic(BaseModel):
    code: str
    name: str
    provider_unit: str
    description: str
    request_form: dict[str, Any]
    capacity: int
    auto_accept: bool
    sla_targets: dict[str, int]
    active: bool
    revision: int
    updated_by: str


class ProductCreate(BaseModel):
    code: str = Field(pattern=PRODUCT_CODE)
    name: str = Field(min_length=1, max_length=200)
    provider_unit: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=10_000)
    request_form: dict[str, Any]
    capacity: int = Field(ge=0, le=10_000)
    auto_accept: bool = True
    sla_targets: dict[str, int] = Field(default_factory=dict)
    active: bool = True


class ProductChange(BaseModel):
    """The fields to change; the rest stay as they are."""

    expected_revision: int
    name: str | None = Field(default=None, min_length=1, max_length=200)
    provider_unit: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=10_000)
    request_form: dict[str, Any] | None = None
    capacity: int | None = Field(default=None, ge=0, le=10_000)
    auto_accept: bool | None = None
    sla_targets: dict[str, int] | None = None
    active: bool | None = None


@router.get("/products", response_model=list[ProductPublic], tags=["catalog"])
async def list_products(_principal: CurrentPrincipal, session: SessionDep) -> list[ProductPublic]:
    """The catalog, with each product's request form. Every authenticated caller may read it."""
    async with session.begin():
        products = (await session.scalars(select(Product).order_by(col(Product.code)))).all()
    return [ProductPublic(**product.model_dump()) for product in products]


@router.get("/products/{code}", response_model=ProductPublic, tags=["catalog"])
async def get_product(
    code: str, _principal: CurrentPrincipal, session: SessionDep
) -> ProductPublic:
    async with session.begin():
        product = await session.get(Product, code)
    if product is None:
        raise DomainError("NOT_FOUND", f"no product {code}")
    return ProductPublic(**product.model_dump())


@router.post(
    "/products",
    status_code=status.HTTP_201_CREATED,
    response_model=ProductPublic,
    tags=["catalog"],
)
async def create_product(
    body: ProductCreate, principal: CurrentPrincipal, session: SessionDep, outbox: OutboxDep
) -> ProductPublic:
    """Add a product to the catalog (admins). Desks learn of it from ProductCataloged."""
    principal.require(Role.admin)
    domain.check_request_form(body.request_form)
    domain.check_sla_targets(body.sla_targets)
    async with session.begin():
        if await session.get(Product, body.code) is not None:
            raise DomainError("CONFLICT", f"product {body.code} exists already")
        product = Product(**body.model_dump(), revision=1, updated_by=principal.actor)
        session.add(product)
        outbox.add(session, cataloged(product))
    return ProductPublic(**product.model_dump())


@router.patch("/products/{code}", response_model=ProductPublic, tags=["catalog"])
async def change_product(
    code: str,
    body: ProductChange,
    principal: CurrentPrincipal,
    session: SessionDep,
    outbox: OutboxDep,
) -> ProductPublic:
    """Edit a product (admins, or the provider serving it): every edit is a new revision."""
    if not may_change_product(principal, code):
        raise DomainError("FORBIDDEN", f"only an admin or the provider of {code} may edit it")
    changes = body.model_dump(exclude_unset=True, exclude={"expected_revision"})
    if changes.get("request_form") is not None:
        domain.check_request_form(changes["request_form"])
    if changes.get("sla_targets") is not None:
        domain.check_sla_targets(changes["sla_targets"])
    changes = {name: value for name, value in changes.items() if value is not None}
    async with session.begin():
        product = await locked_product(session, code)
        if product is None:
            raise DomainError("NOT_FOUND", f"no product {code}")
        if product.revision != body.expected_revision:
            raise DomainError(
                "VERSION_CONFLICT",
                f"the product is at revision {product.revision}, not {body.expected_revision}",
                current_revision=product.revision,
            )
        for name, value in changes.items():
            setattr(product, name, value)
        product.revision += 1
        product.updated_by = principal.actor
        session.add(product)
        outbox.add(session, cataloged(product))
    return ProductPublic(**product.model_dump())


# ---------------------------------------------------------------- engagements


class DeliverablePublic(BaseModel):
    id: str
    title: str
    kind: str
    reference: str
    delivered_on: date
    recorded_by: str
    recorded_at: datetime


class AssignmentPublic(BaseModel):
    id: str
    expert_id: str
    expert_name: str
    starts_on: date
    ends_on: date
    assigned_by: str
    assigned_at: datetime


class EngagementPublic(BaseModel):
    id: str
    request_id: str
    routing_id: str
    product_code: str
    client_code: str
    client_kind: str
    desk_code: str
    country: str
    region: str
    title: str
    description: str
    urgency: str
    details: dict[str, Any]
    status: str
    decline_reason_code: str | None
    decline_reason: str | None
    decided_by: str | None
    accepted_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int
    due_at: datetime | None = Field(
        description="When the next step is due under the product's SLA targets"
    )
    overdue: bool
    deliverables: list[DeliverablePublic]
    assignments: list[AssignmentPublic]


class EngagementEdge(BaseModel):
    cursor: str
    node: EngagementPublic


class EngagementPage(BaseModel):
    edges: list[EngagementEdge]
    end_cursor: str | None
    has_next_page: bool


async def _public(
    session: AsyncSession, engagements: list[Engagement], clock: Clock
) -> list[EngagementPublic]:
    """Engagements with their deliverables, experts and SLA due date, in three queries for
    the whole list."""
    ids = [engagement.id for engagement in engagements]
    deliverables = await deliverables_of(session, ids)
    assignments = await assignments_of(session, ids)
    codes = {engagement.product_code for engagement in engagements}
    rows = await session.execute(
        select(Product.code, Product.sla_targets).where(col(Product.code).in_(codes))
    )
    targets = {code: sla_targets for code, sla_targets in rows.all()}
    now = clock.now()
    public = []
    for engagement in engagements:
        due = domain.due_at(
            EngagementStatus(engagement.status),
            engagement.created_at,
            targets.get(engagement.product_code, {}),
        )
        public.append(
            EngagementPublic(
                **engagement.model_dump(),
                due_at=due,
                overdue=due is not None and due < now,
                deliverables=[
                    DeliverablePublic(**item.model_dump()) for item in deliverables[engagement.id]
                ],
                assignments=[
                    AssignmentPublic(**assignment.model_dump(), expert_name=expert.name)
                    for assignment, expert in assignments[engagement.id]
                ],
            )
        )
    return public


@router.get("/engagements", response_model=list[EngagementPublic], tags=["engagements"])
async def list_engagements(
    principal: CurrentPrincipal,
    session: SessionDep,
    clock: ClockDep,
    request_id: Annotated[list[str] | None, Query(max_length=200)] = None,
    status: Annotated[list[str] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[EngagementPublic]:
    """Engagements the caller may see; `request_id` may repeat (the gateway batches by it)."""
    query = select(Engagement).where(engagement_visibility(principal))
    if request_id:
        query = query.where(col(Engagement.request_id).in_(request_id))
    if status:
        query = query.where(col(Engagement.status).in_(status))
    query = query.order_by(col(Engagement.created_at), col(Engagement.id)).limit(limit)
    async with session.begin():
        engagements = list((await session.scalars(query)).all())
        return await _public(session, engagements, clock)


@router.get("/engagements/{engagement_id}", response_model=EngagementPublic, tags=["engagements"])
async def get_engagement(
    engagement_id: str, principal: CurrentPrincipal, session: SessionDep, clock: ClockDep
) -> EngagementPublic:
    query = select(Engagement).where(
        Engagement.id == engagement_id, engagement_visibility(principal)
    )
    async with session.begin():
        engagement = (await session.scalars(query)).first()
        if engagement is None:
            raise DomainError("ENGAGEMENT_NOT_FOUND", f"no engagement {engagement_id}")
        return (await _public(session, [engagement], clock))[0]


@router.get("/queue", response_model=EngagementPage, tags=["engagements"])
async def provider_queue(
    principal: CurrentPrincipal,
    session: SessionDep,
    clock: ClockDep,
    status: Annotated[list[EngagementStatus] | None, Query()] = None,
    product: Annotated[list[str] | None, Query(max_length=50)] = None,
    urgency: Annotated[list[Urgency] | None, Query()] = None,
    desk: Annotated[list[str] | None, Query(max_length=50)] = None,
    client: Annotated[list[str] | None, Query(max_length=50)] = None,
    first: Annotated[int, Query(ge=1, le=100)] = 20,
    after: Annotated[str | None, Query(max_length=200)] = None,
) -> EngagementPage:
    """A provider's work across every desk and client, oldest first (first come, first
    served), filterable; a cursor page. Each caller sees only what it may see."""
    query = select(Engagement).where(engagement_visibility(principal))
    filters = [
        (Engagement.status, [value.value for value in status or []]),
        (Engagement.product_code, product or []),
        (Engagement.urgency, [value.value for value in urgency or []]),
        (Engagement.desk_code, desk or []),
        (Engagement.client_code, client or []),
    ]
    for column, values in filters:
        if values:
            query = query.where(col(column).in_(values))
    if after:
        created_at, engagement_id = _decode_cursor(after)
        query = query.where(
            or_(
                col(Engagement.created_at) > created_at,
                and_(col(Engagement.created_at) == created_at, col(Engagement.id) > engagement_id),
            )
        )
    query = query.order_by(col(Engagement.created_at), col(Engagement.id)).limit(first + 1)
    async with session.begin():
        rows = list((await session.scalars(query)).all())
        page = rows[:first]
        nodes = await _public(session, page, clock)
    return EngagementPage(
        edges=[
            EngagementEdge(cursor=_encode_cursor(row), node=node)
            for row, node in zip(page, nodes, strict=True)
        ],
        end_cursor=_encode_cursor(page[-1]) if page else None,
        has_next_page=len(rows) > first,
    )


def _encode_cursor(engagement: Engagement) -> str:
    raw = f"{engagement.created_at.isoformat()}|{engagement.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        created_at, engagement_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        return datetime.fromisoformat(created_at), engagement_id
    except (ValueError, UnicodeDecodeError) as error:
        raise DomainError("BAD_USER_INPUT", "invalid cursor", field="after") from error


# ---------------------------------------------------------------- provider actions


class Versioned(BaseModel):
    expected_version: int = Field(description="The version the caller saw; a stale one is refused")


class Decline(Versioned):
    reason_code: DeclineReason
    reason: str = Field(min_length=1, max_length=2000)


class DeliverableCreate(Versioned):
    title: str = Field(min_length=1, max_length=200)
    kind: str = Field(
        min_length=1, max_length=40, description="report, assessment, training, advisory_note…"
    )
    reference: str = Field(min_length=1, max_length=500, description="URL or document symbol")
    delivered_on: date


class AssignmentCreate(Versioned):
    expert_id: str = Field(max_length=40)
    starts_on: date
    ends_on: date


@router.post(
    "/engagements/{engagement_id}/accept", response_model=EngagementPublic, tags=["engagements"]
)
async def accept_engagement(
    engagement_id: str,
    body: Versioned,
    principal: CurrentPrincipal,
    session: SessionDep,
    outbox: OutboxDep,
    clock: ClockDep,
) -> EngagementPublic:
    """Take a proposed engagement on; refused with CAPACITY_EXCEEDED when no slot is free."""
    async with session.begin():
        engagement = await engagement_for_change(
            session, principal, engagement_id, body.expected_version
        )
        product = await locked_product(session, engagement.product_code)
        assert product is not None  # an engagement is only ever opened for a known product
        domain.transition(EngagementStatus(engagement.status), EngagementStatus.accepted)
        domain.check_capacity(
            capacity=product.capacity,
            active_engagements=await active_engagements(session, product.code),
        )
        now = clock.now()
        move(engagement, EngagementStatus.accepted, at=now)
        engagement.decided_by = principal.actor
        engagement.accepted_at = now
        outbox.add(
            session,
            EngagementAccepted(
                engagement_id=engagement.id,
                request_id=engagement.request_id,
                routing_id=engagement.routing_id,
                product_code=engagement.product_code,
                accepted_by=principal.actor,
                accepted_at=now,
            ),
        )
        return (await _public(session, [engagement], clock))[0]


@router.post(
    "/engagements/{engagement_id}/decline", response_model=EngagementPublic, tags=["engagements"]
)
async def decline_engagement(
    engagement_id: str,
    body: Decline,
    principal: CurrentPrincipal,
    session: SessionDep,
    outbox: OutboxDep,
    clock: ClockDep,
) -> EngagementPublic:
    """Decline a proposed engagement with a reason code; the desk re-routes or records
    unmet demand."""
    if not body.reason.strip():
        raise DomainError("BAD_USER_INPUT", "a decline needs a reason", field="reason")
    async with session.begin():
        engagement = await engagement_for_change(
            session, principal, engagement_id, body.expected_version
        )
        now = clock.now()
        move(engagement, EngagementStatus.declined, at=now)
        engagement.decided_by = principal.actor
        engagement.decline_reason_code = body.reason_code.value
        engagement.decline_reason = body.reason.strip()
        outbox.add(
            session,
            EngagementDeclined(
                engagement_id=engagement.id,
                request_id=engagement.request_id,
                routing_id=engagement.routing_id,
                product_code=engagement.product_code,
                reason_code=body.reason_code,
                reason=engagement.decline_reason,
                declined_by=principal.actor,
                declined_at=now,
            ),
        )
        return (await _public(session, [engagement], clock))[0]


async def _advance(
    engagement_id: str,
    body: Versioned,
    target: EngagementStatus,
    principal: Principal,
    session: AsyncSession,
    outbox: Outbox,
    clock: Clock,
) -> EngagementPublic:
    """A move after acceptance that only needs the table's permission (plan, deploy, close)."""
    async with session.begin():
        engagement = await engagement_for_change(
            session, principal, engagement_id, body.expected_version
        )
        now = clock.now()
        previous = move(engagement, target, at=now)
        outbox.add(session, status_changed(engagement, previous, actor=principal.actor, at=now))
        return (await _public(session, [engagement], clock))[0]


@router.post(
    "/engagements/{engagement_id}/plan", response_model=EngagementPublic, tags=["engagements"]
)
async def start_planning(
    engagement_id: str,
    body: Versioned,
    principal: CurrentPrincipal,
    session: SessionDep,
    outbox: OutboxDep,
    clock: ClockDep,
) -> EngagementPublic:
    """accepted → planning."""
    return await _advance(
        engagement_id, body, EngagementStatus.planning, principal, session, outbox, clock
    )


@router.post(
    "/engagements/{engagement_id}/deploy", response_model=EngagementPublic, tags=["engagements"]
)
async def deploy(
    engagement_id: str,
    body: Versioned,
    principal: CurrentPrincipal,
    session: SessionDep,
    outbox: OutboxDep,
    clock: ClockDep,
) -> EngagementPublic:
    """planning → deployed."""
    return await _advance(
        engagement_id, body, EngagementStatus.deployed, principal, session, outbox, clock
    )


@router.post(
    "/engagements/{engagement_id}/close", response_model=EngagementPublic, tags=["engagements"]
)
async def close_engagement(
    engagement_id: str,
    body: Versioned,
    principal: CurrentPrincipal,
    session: SessionDep,
    outbox: OutboxDep,
    clock: ClockDep,
) -> EngagementPublic:
    """delivered → closed: the provider's books on the engagement are closed."""
    return await _advance(
        engagement_id, body, EngagementStatus.closed, principal, session, outbox, clock
    )


@router.post(
    "/engagements/{engagement_id}/deliver", response_model=EngagementPublic, tags=["engagements"]
)
async def deliver(
    engagement_id: str,
    body: Versioned,
    principal: CurrentPrincipal,
    session: SessionDep,
    outbox: OutboxDep,
    clock: ClockDep,
) -> EngagementPublic:
    """deployed → delivered, only with at least one deliverable recorded. Publishes the
    full record (deliverables, experts, client) for the desk and the after-action review."""
    async with session.begin():
        engagement = await engagement_for_change(
            session, principal, engagement_id, body.expected_version
        )
        domain.transition(EngagementStatus(engagement.status), EngagementStatus.delivered)
        recorded = (await deliverables_of(session, [engagement.id]))[engagement.id]
        domain.check_deliverable_recorded(len(recorded))
        product = await session.get(Product, engagement.product_code)
        assert product is not None
        now = clock.now()
        move(engagement, EngagementStatus.delivered, at=now)
        engagement.delivered_at = now
        outbox.add(
            session, await delivered_event(session, engagement, product, actor=principal.actor)
        )
        return (await _public(session, [engagement], clock))[0]


@router.post(
    "/engagements/{engagement_id}/deliverables",
    status_code=status.HTTP_201_CREATED,
    response_model=EngagementPublic,
    tags=["engagements"],
)
async def record_deliverable(
    engagement_id: str,
    body: DeliverableCreate,
    principal: CurrentPrincipal,
    session: SessionDep,
    clock: ClockDep,
) -> EngagementPublic:
    """Record what was handed over (while the work is under way)."""
    async with session.begin():
        engagement = await engagement_for_change(
            session, principal, engagement_id, body.expected_version
        )
        domain.check_in_hand(EngagementStatus(engagement.status), "deliverables are recorded")
        now = clock.now()
        session.add(
            Deliverable(
                id=str(uuid.uuid4()),
                engagement_id=engagement.id,
                title=body.title.strip(),
                kind=body.kind.strip(),
                reference=body.reference.strip(),
                delivered_on=body.delivered_on,
                recorded_by=principal.actor,
                recorded_at=now,
            )
        )
        touch(engagement, now)
        await session.flush()
        return (await _public(session, [engagement], clock))[0]


@router.post(
    "/engagements/{engagement_id}/assignments",
    status_code=status.HTTP_201_CREATED,
    response_model=EngagementPublic,
    tags=["engagements", "roster"],
)
async def assign_expert(
    engagement_id: str,
    body: AssignmentCreate,
    principal: CurrentPrincipal,
    session: SessionDep,
    clock: ClockDep,
) -> EngagementPublic:
    """Book an expert on the engagement for a range of days: the expert must be available
    then and not booked elsewhere meanwhile (EXPERT_UNAVAILABLE, EXPERT_DOUBLE_BOOKED).

    The expert's row is locked first, so two officers booking one expert at once queue:
    the second sees the first's booking and is refused.
    """
    wanted = Period(body.starts_on, body.ends_on)
    domain.check_period(wanted)
    async with session.begin():
        engagement = await engagement_for_change(
            session, principal, engagement_id, body.expected_version
        )
        domain.check_in_hand(EngagementStatus(engagement.status), "experts are assigned")
        expert = (
            await session.scalars(
                select(Expert).where(Expert.id == body.expert_id).with_for_update()
            )
        ).first()
        if expert is None:
            raise DomainError("EXPERT_NOT_FOUND", f"no expert {body.expert_id}")
        domain.check_booking(
            wanted=wanted,
            availability=await _availability(session, expert.id),
            bookings=await live_bookings(session, expert.id),
        )
        now = clock.now()
        session.add(
            Assignment(
                id=str(uuid.uuid4()),
                engagement_id=engagement.id,
                expert_id=expert.id,
                starts_on=wanted.starts_on,
                ends_on=wanted.ends_on,
                assigned_by=principal.actor,
                assigned_at=now,
            )
        )
        # A booking changes the expert's calendar: bump it so readers can tell.
        expert.version += 1
        touch(engagement, now)
        await session.flush()
        return (await _public(session, [engagement], clock))[0]


@router.delete(
    "/engagements/{engagement_id}/assignments/{assignment_id}",
    response_model=EngagementPublic,
    tags=["engagements", "roster"],
)
async def release_expert(
    engagement_id: str,
    assignment_id: str,
    expected_version: int,
    principal: CurrentPrincipal,
    session: SessionDep,
    clock: ClockDep,
) -> EngagementPublic:
    """Release an expert from the engagement, freeing those days."""
    async with session.begin():
        engagement = await engagement_for_change(
            session, principal, engagement_id, expected_version
        )
        domain.check_in_hand(EngagementStatus(engagement.status), "experts are released")
        assignment = await session.get(Assignment, assignment_id)
        if assignment is None or assignment.engagement_id != engagement.id:
            raise DomainError("NOT_FOUND", f"no assignment {assignment_id} on this engagement")
        await session.delete(assignment)
        touch(engagement, clock.now())
        await session.flush()
        return (await _public(session, [engagement], clock))[0]


# ---------------------------------------------------------------- expert roster


class AvailabilityWindow(BaseModel):
    starts_on: date
    ends_on: date


class Booking(BaseModel):
    engagement_id: str
    starts_on: date
    ends_on: date


class ExpertPublic(BaseModel):
    id: str
    name: str
    skills: list[str]
    languages: list[str]
    availability: list[AvailabilityWindow]
    bookings: list[Booking]
    version: int


class ExpertCreate(BaseModel):
    id: str = Field(pattern=r"^[A-Z0-9][A-Z0-9-]{1,39}$")
    name: str = Field(min_length=1, max_length=200)
    skills: list[str] = Field(default_factory=list, max_length=50)
    languages: list[str] = Field(min_length=1, max_length=6)
    availability: list[AvailabilityWindow] = Field(default_factory=list, max_length=100)


HQ_READERS = (Role.provider, Role.desk_officer, Role.hq_analyst, Role.admin)


async def _availability(session: AsyncSession, expert_id: str) -> list[Period]:
    rows = (
        await session.scalars(
            select(ExpertAvailability).where(ExpertAvailability.expert_id == expert_id)
        )
    ).all()
    return [Period(row.starts_on, row.ends_on) for row in rows]


async def _experts_public(session: AsyncSession, experts: list[Expert]) -> list[ExpertPublic]:
    ids = [expert.id for expert in experts]
    windows = (
        await session.scalars(
            select(ExpertAvailability)
            .where(col(ExpertAvailability.expert_id).in_(ids))
            .order_by(col(ExpertAvailability.starts_on))
        )
    ).all()
    bookings = (
        await session.scalars(
            select(Assignment)
            .join(Engagement, col(Engagement.id) == col(Assignment.engagement_id))
            .where(
                col(Assignment.expert_id).in_(ids),
                col(Engagement.status).in_([s.value for s in domain.BOOKING_HOLDERS]),
            )
            .order_by(col(Assignment.starts_on))
        )
    ).all()
    return [
        ExpertPublic(
            id=expert.id,
            name=expert.name,
            skills=expert.skills,
            languages=expert.languages,
            availability=[
                AvailabilityWindow(starts_on=w.starts_on, ends_on=w.ends_on)
                for w in windows
                if w.expert_id == expert.id
            ],
            bookings=[
                Booking(engagement_id=b.engagement_id, starts_on=b.starts_on, ends_on=b.ends_on)
                for b in bookings
                if b.expert_id == expert.id
            ],
            version=expert.version,
        )
        for expert in experts
    ]


@router.get("/experts", response_model=list[ExpertPublic], tags=["roster"])
async def list_experts(
    principal: CurrentPrincipal,
    session: SessionDep,
    skill: Annotated[str | None, Query(max_length=100)] = None,
    language: Annotated[str | None, Query(max_length=2)] = None,
    free_from: Annotated[date | None, Query()] = None,
    free_to: Annotated[date | None, Query()] = None,
) -> list[ExpertPublic]:
    """The roster; with `free_from`/`free_to`, only experts who could be booked then."""
    principal.require(*HQ_READERS)
    async with session.begin():
        experts = list((await session.scalars(select(Expert).order_by(col(Expert.id)))).all())
        if skill:
            experts = [expert for expert in experts if skill in expert.skills]
        if language:
            experts = [expert for expert in experts if language in expert.languages]
        public = await _experts_public(session, experts)
    if free_from and free_to:
        wanted = Period(free_from, free_to)
        domain.check_period(wanted, field="free_to")
        public = [expert for expert in public if _bookable(expert, wanted)]
    return public


def _bookable(expert: ExpertPublic, wanted: Period) -> bool:
    try:
        domain.check_booking(
            wanted=wanted,
            availability=[Period(w.starts_on, w.ends_on) for w in expert.availability],
            bookings=[Period(b.starts_on, b.ends_on) for b in expert.bookings],
        )
    except DomainError:
        return False
    return True


@router.post(
    "/experts",
    status_code=status.HTTP_201_CREATED,
    response_model=ExpertPublic,
    tags=["roster"],
)
async def add_expert(
    body: ExpertCreate, principal: CurrentPrincipal, session: SessionDep
) -> ExpertPublic:
    """Add an expert to the roster (admins)."""
    principal.require(Role.admin)
    domain.check_languages(body.languages)
    for window in body.availability:
        domain.check_period(Period(window.starts_on, window.ends_on), field="availability")
    async with session.begin():
        if await session.get(Expert, body.id) is not None:
            raise DomainError("CONFLICT", f"expert {body.id} exists already")
        expert = Expert(id=body.id, name=body.name, skills=body.skills, languages=body.languages)
        session.add(expert)
        await session.flush()
        for window in body.availability:
            session.add(
                ExpertAvailability(
                    expert_id=expert.id, starts_on=window.starts_on, ends_on=window.ends_on
                )
            )
        await session.flush()
        return (await _experts_public(session, [expert]))[0]


class AvailabilityChange(BaseModel):
    expected_version: int
    availability: list[AvailabilityWindow] = Field(max_length=100)


@router.put("/experts/{expert_id}/availability", response_model=ExpertPublic, tags=["roster"])
async def set_availability(
    expert_id: str, body: AvailabilityChange, principal: CurrentPrincipal, session: SessionDep
) -> ExpertPublic:
    """Replace the expert's availability windows (admins); live bookings must still fit."""
    principal.require(Role.admin)
    windows = [Period(w.starts_on, w.ends_on) for w in body.availability]
    for window in windows:
        domain.check_period(window, field="availability")
    async with session.begin():
        expert = (
            await session.scalars(select(Expert).where(Expert.id == expert_id).with_for_update())
        ).first()
        if expert is None:
            raise DomainError("EXPERT_NOT_FOUND", f"no expert {expert_id}")
        if expert.version != body.expected_version:
            raise DomainError(
                "VERSION_CONFLICT",
                f"the expert's calendar changed meanwhile (version {expert.version})",
                current_version=expert.version,
            )
        domain.check_bookings_fit(
            availability=windows, bookings=await live_bookings(session, expert.id)
        )
        await session.execute(
            delete(ExpertAvailability).where(col(ExpertAvailability.expert_id) == expert.id)
        )
        for window in windows:
            session.add(
                ExpertAvailability(
                    expert_id=expert.id, starts_on=window.starts_on, ends_on=window.ends_on
                )
            )
        expert.version += 1
        await session.flush()
        return (await _experts_public(session, [expert]))[0]


# ---------------------------------------------------------------- provider figures


class ProductUtilisation(BaseModel):
    product_code: str
    capacity: int
    active: int = Field(description="Engagements holding a slot: accepted, planning, deployed")
    utilisation: float = Field(description="active / capacity (0 when capacity is 0)")
    by_status: dict[str, int]


class UnmetDemandByProduct(BaseModel):
    product_code: str
    declined: int = Field(description="Engagements the provider declined")
    declined_by_reason: dict[str, int]
    recorded_by_desks: int = Field(description="UnmetDemandRecorded from the desks")
    recorded_by_reason: dict[str, int]
    requests: int = Field(description="Distinct requests left unserved, counted once")


@router.get("/utilisation", response_model=list[ProductUtilisation], tags=["figures"])
async def utilisation(principal: CurrentPrincipal, session: SessionDep) -> list[ProductUtilisation]:
    """Capacity and utilisation per product, with engagement counts by status."""
    scope = product_scope(principal)
    async with session.begin():
        products = (
            await session.scalars(select(Product).where(scope).order_by(col(Product.code)))
        ).all()
        counts = (
            await session.execute(
                select(Engagement.product_code, Engagement.status, func.count())
                .where(col(Engagement.product_code).in_([p.code for p in products]))
                .group_by(col(Engagement.product_code), col(Engagement.status))
            )
        ).all()
    by_product: dict[str, dict[str, int]] = {product.code: {} for product in products}
    for code, engagement_status, count in counts:
        by_product[code][engagement_status] = int(count)
    figures = []
    for product in products:
        active, share = domain.utilisation(product.capacity, by_product[product.code])
        figures.append(
            ProductUtilisation(
                product_code=product.code,
                capacity=product.capacity,
                active=active,
                utilisation=share,
                by_status=by_product[product.code],
            )
        )
    return figures


@router.get("/unmet-demand", response_model=list[UnmetDemandByProduct], tags=["figures"])
async def unmet_demand(
    principal: CurrentPrincipal, session: SessionDep
) -> list[UnmetDemandByProduct]:
    """What clients needed and did not get, per product: the provider's declines and the
    desks' records of unmet demand. A request both declined and recorded counts once in
    `requests`."""
    scope = product_scope(principal)
    async with session.begin():
        codes = list(
            (
                await session.scalars(select(Product.code).where(scope).order_by(col(Product.code)))
            ).all()
        )
        declines = (
            await session.execute(
                select(
                    Engagement.product_code, Engagement.request_id, Engagement.decline_reason_code
                ).where(
                    col(Engagement.product_code).in_(codes),
                    Engagement.status == EngagementStatus.declined.value,
                )
            )
        ).all()
        recorded = (
            await session.execute(
                select(
                    UnmetDemand.product_code, UnmetDemand.request_id, UnmetDemand.reason_code
                ).where(col(UnmetDemand.product_code).in_(codes))
            )
        ).all()
    figures = domain.unmet_demand(
        codes,
        [
            domain.Unserved(code, request, reason or DeclineReason.other.value)
            for code, request, reason in declines
        ],
        [domain.Unserved(code, request, reason) for code, request, reason in recorded],
    )
    return [
        UnmetDemandByProduct(
            product_code=code,
            declined=figures[code].declined_by_reason.total(),
            declined_by_reason=dict(figures[code].declined_by_reason),
            recorded_by_desks=figures[code].recorded_by_reason.total(),
            recorded_by_reason=dict(figures[code].recorded_by_reason),
            requests=len(figures[code].requests),
        )
        for code in codes
    ]
