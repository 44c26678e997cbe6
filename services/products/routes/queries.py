"""Query routes of the products service: engagements (one, a request's, a provider's
queue across every desk and client), the catalog, the expert roster and a provider's
figures (capacity and utilisation, unmet demand, per product)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy import Select, func, select
from sqlmodel import col

from contracts.enums import DeclineReason, Urgency
from contracts.http.products.responses import (
    EngagementEdge,
    EngagementPage,
    EngagementPublic,
    ExpertPublic,
    ProductPublic,
    ProductUtilisation,
    UnmetDemandByProduct,
)
from services.products import domain
from services.products.domain import EngagementStatus, Period
from services.products.models import Engagement, Expert, Product, UnmetDemand
from services.products.store import engagement_visibility, product_scope
from services.products.views import _experts_public, public_engagements
from shared.auth import CurrentPrincipal, Principal, Role
from shared.errors import DomainError
from shared.queries import Keyset
from shared.service import ClockDep, SessionDep

router = APIRouter()
# A provider's queue: first come, first served.
FIRST_COME = Keyset(col(Engagement.created_at), col(Engagement.id))


HQ_READERS = (Role.provider, Role.desk_officer, Role.hq_analyst, Role.admin)


@router.get("/engagements", response_model=list[EngagementPublic], tags=["engagements"])
async def list_engagements(
    principal: CurrentPrincipal,
    session: SessionDep,
    clock: ClockDep,
    request_id: Annotated[list[str] | None, Query(max_length=200)] = None,
    status: Annotated[list[str] | None, Query(max_length=20)] = None,
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
        return await public_engagements(session, engagements, clock, principal)


@router.get("/engagements/{engagement_id}", response_model=EngagementPublic, tags=["engagements"])
async def get_engagement(
    engagement_id: str, principal: CurrentPrincipal, session: SessionDep, clock: ClockDep
) -> EngagementPublic:
    query = select(Engagement).where(
        col(Engagement.id) == engagement_id, engagement_visibility(principal)
    )
    async with session.begin():
        engagement = (await session.scalars(query)).first()
        if engagement is None:
            raise DomainError("ENGAGEMENT_NOT_FOUND", f"no engagement {engagement_id}")
        return (await public_engagements(session, [engagement], clock, principal))[0]


@dataclass(frozen=True)
class EngagementFilter:
    """The provider queue's filters, as the queue and its CSV export take them."""

    status: Annotated[list[EngagementStatus] | None, Query(max_length=20)] = None
    product: Annotated[list[str] | None, Query(max_length=50)] = None
    urgency: Annotated[list[Urgency] | None, Query(max_length=20)] = None
    desk: Annotated[list[str] | None, Query(max_length=50)] = None
    client: Annotated[list[str] | None, Query(max_length=50)] = None

    def query(self, principal: Principal) -> Select[Any]:
        """The engagements the caller may see that pass every given filter."""
        query = select(Engagement).where(engagement_visibility(principal))
        filters = [
            (Engagement.status, [value.value for value in self.status or []]),
            (Engagement.product_code, self.product or []),
            (Engagement.urgency, [value.value for value in self.urgency or []]),
            (Engagement.desk_code, self.desk or []),
            (Engagement.client_code, self.client or []),
        ]
        for column, values in filters:
            if values:
                query = query.where(col(column).in_(values))
        return query


EngagementFilterDep = Annotated[EngagementFilter, Depends()]


@router.get("/queue", response_model=EngagementPage, tags=["engagements"])
async def provider_queue(
    principal: CurrentPrincipal,
    session: SessionDep,
    clock: ClockDep,
    engagements: EngagementFilterDep,
    first: Annotated[int, Query(ge=1, le=100)] = 20,
    after: Annotated[str | None, Query(max_length=200)] = None,
) -> EngagementPage:
    """A provider's work across every desk and client, oldest first (first come, first
    served), filterable; a cursor page. Each caller sees only what it may see."""
    query = engagements.query(principal)
    query = FIRST_COME.page(query, first, after)
    async with session.begin():
        rows = list((await session.scalars(query)).all())
        page = rows[:first]
        nodes = await public_engagements(session, page, clock, principal)
    return EngagementPage(
        edges=[
            EngagementEdge(cursor=FIRST_COME.cursor(row), node=node)
            for row, node in zip(page, nodes, strict=True)
        ],
        end_cursor=FIRST_COME.cursor(page[-1]) if page else None,
        has_next_page=len(rows) > first,
    )


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
                select(col(Engagement.product_code), col(Engagement.status), func.count())
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
                await session.scalars(
                    select(col(Product.code)).where(scope).order_by(col(Product.code))
                )
            ).all()
        )
        declines = (
            await session.execute(
                select(
                    col(Engagement.product_code),
                    col(Engagement.request_id),
                    col(Engagement.decline_reason_code),
                ).where(
                    col(Engagement.product_code).in_(codes),
                    col(Engagement.status) == EngagementStatus.declined.value,
                )
            )
        ).all()
        recorded = (
            await session.execute(
                select(
                    col(UnmetDemand.product_code),
                    col(UnmetDemand.request_id),
                    col(UnmetDemand.reason_code),
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
