"""The catalog: products and their request forms; admins add and edit them, and every
change is published as ProductCataloged. A product counts its changes as `revision`
(the number replicas compare), and an edit names the revision it saw as
`expected_version`, like every other command."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlmodel import col

from contracts.http.products.responses import (
    ProductPublic,
)
from services.products import domain
from services.products.models import Product
from services.products.seed import cataloged
from services.products.store import may_change_product
from shared.auth import CurrentPrincipal, Role
from shared.commands import Aggregate, CommandsDep, ExpectedVersion
from shared.errors import DomainError
from shared.service import SessionDep

router = APIRouter()

PRODUCT = Aggregate(
    Product, name="the product", not_found="NOT_FOUND", key="code", version_field="revision"
)


PRODUCT_CODE = r"^[A-Z][A-Z0-9_]{1,63}$"


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


class ProductChange(ExpectedVersion):
    """The fields to change; the rest stay as they are."""

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
    body: ProductCreate, principal: CurrentPrincipal, commands: CommandsDep
) -> ProductPublic:
    """Add a product to the catalog (admins). Desks learn of it from ProductCataloged."""
    principal.require(Role.admin)
    domain.check_request_form(body.request_form)
    domain.check_sla_targets(body.sla_targets)
    async with commands.begin() as work:
        if await work.session.get(Product, body.code) is not None:
            raise DomainError("CONFLICT", f"product {body.code} exists already")
        product = Product(**body.model_dump(), revision=1, updated_by=principal.actor)
        work.session.add(product)
        work.publish(cataloged(product))
    return ProductPublic(**product.model_dump())


@router.patch("/products/{code}", response_model=ProductPublic, tags=["catalog"])
async def change_product(
    code: str,
    body: ProductChange,
    principal: CurrentPrincipal,
    commands: CommandsDep,
) -> ProductPublic:
    """Edit a product (admins, or the provider serving it): every edit is a new revision."""
    if not may_change_product(principal, code):
        raise DomainError("FORBIDDEN", f"only an admin or the provider of {code} may edit it")
    changes = body.model_dump(exclude_unset=True, exclude={"expected_version"})
    if changes.get("request_form") is not None:
        domain.check_request_form(changes["request_form"])
    if changes.get("sla_targets") is not None:
        domain.check_sla_targets(changes["sla_targets"])
    changes = {name: value for name, value in changes.items() if value is not None}
    async with commands.change(PRODUCT, code, expected_version=body.expected_version) as change:
        product = change.aggregate
        for name, value in changes.items():
            setattr(product, name, value)
        product.updated_by = principal.actor
        change.publish(cataloged(product))
    return ProductPublic(**product.model_dump())
