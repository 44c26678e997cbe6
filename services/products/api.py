"""HTTP routes of the products service: the catalog and engagements."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import ColumnElement, false, select, true
from sqlmodel import col

from services.products.models import Engagement, Product
from shared.auth import CurrentPrincipal, Principal, Role
from shared.errors import DomainError
from shared.service import SessionDep

router = APIRouter()


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


class EngagementPublic(BaseModel):
    id: str
    request_id: str
    routing_id: str
    product_code: str
    client_code: str
    desk_code: str
    country: str
    title: str
    urgency: str
    status: str
    decline_reason_code: str | None
    decline_reason: str | None
    created_at: datetime
    updated_at: datetime


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


def engagement_visibility(principal: Principal) -> ColumnElement[bool]:
    """A provider sees its products' engagements; clients and desks see their own requests'."""
    if principal.role in (Role.admin, Role.hq_analyst):
        return true()
    if principal.role is Role.provider:
        return col(Engagement.product_code).in_(principal.products)
    if principal.role is Role.client:
        return col(Engagement.client_code) == principal.client
    if principal.role is Role.desk_officer:
        return col(Engagement.desk_code) == principal.desk
    return false()


@router.get("/engagements", response_model=list[EngagementPublic], tags=["engagements"])
async def list_engagements(
    principal: CurrentPrincipal,
    session: SessionDep,
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
        engagements = (await session.scalars(query)).all()
    return [EngagementPublic(**engagement.model_dump()) for engagement in engagements]


@router.get("/engagements/{engagement_id}", response_model=EngagementPublic, tags=["engagements"])
async def get_engagement(
    engagement_id: str, principal: CurrentPrincipal, session: SessionDep
) -> EngagementPublic:
    query = select(Engagement).where(
        Engagement.id == engagement_id, engagement_visibility(principal)
    )
    async with session.begin():
        engagement = (await session.scalars(query)).first()
    if engagement is None:
        raise DomainError("NOT_FOUND", f"no engagement {engagement_id}")
    return EngagementPublic(**engagement.model_dump())
