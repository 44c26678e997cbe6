"""A provider's figures: capacity and utilisation, and unmet demand, per product."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import func, select
from sqlmodel import col

from contracts.events import DeclineReason
from contracts.http.products.responses import (
    ProductUtilisation,
    UnmetDemandByProduct,
)
from services.products import domain
from services.products.domain import EngagementStatus
from services.products.models import Engagement, Product, UnmetDemand
from services.products.store import product_scope
from shared.auth import CurrentPrincipal
from shared.service import SessionDep

router = APIRouter()


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
