"""Admin routes of the products service: the catalog (products and their request forms;
admins add and edit them) and the expert roster (experts and their availability). Every
catalog change is published as ProductCataloged. A product counts its changes as `revision`
(the number replicas compare), and an edit names the revision it saw as
`expected_version`, like every other command."""

from __future__ import annotations

from fastapi import APIRouter, status
from sqlalchemy import delete
from sqlmodel import col

from contracts.http.products.requests import (
    AvailabilityChange,
    ExpertCreate,
    ProductChange,
    ProductCreate,
)
from contracts.http.products.responses import ExpertPublic, ProductPublic
from services.products import domain
from services.products.domain import Period
from services.products.models import Expert, ExpertAvailability, Product
from services.products.seed import cataloged
from services.products.store import live_bookings, may_change_product
from services.products.views import _expert_public
from shared.auth import CurrentPrincipal, Role
from shared.commands import Aggregate, CommandsDep
from shared.errors import DomainError

router = APIRouter()

PRODUCT = Aggregate(
    Product, name="the product", not_found="NOT_FOUND", key="code", version_field="revision"
)


EXPERT = Aggregate(Expert, name="the expert", not_found="EXPERT_NOT_FOUND")


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


@router.post(
    "/experts",
    status_code=status.HTTP_201_CREATED,
    response_model=ExpertPublic,
    tags=["roster"],
)
async def add_expert(
    body: ExpertCreate, principal: CurrentPrincipal, commands: CommandsDep
) -> ExpertPublic:
    """Add an expert to the roster (admins)."""
    principal.require(Role.admin)
    domain.check_languages(body.languages)
    for window in body.availability:
        domain.check_period(Period(window.starts_on, window.ends_on), field="availability")
    async with commands.begin() as work:
        if await work.session.get(Expert, body.id) is not None:
            raise DomainError("CONFLICT", f"expert {body.id} exists already")
        expert = Expert(id=body.id, name=body.name, skills=body.skills, languages=body.languages)
        work.session.add(expert)
        await work.session.flush()
        for window in body.availability:
            work.session.add(
                ExpertAvailability(
                    expert_id=expert.id, starts_on=window.starts_on, ends_on=window.ends_on
                )
            )
        return await work.answer(_expert_public, expert)


@router.put("/experts/{expert_id}/availability", response_model=ExpertPublic, tags=["roster"])
async def set_availability(
    expert_id: str, body: AvailabilityChange, principal: CurrentPrincipal, commands: CommandsDep
) -> ExpertPublic:
    """Replace the expert's availability windows (admins); live bookings must still fit."""
    principal.require(Role.admin)
    windows = [Period(w.starts_on, w.ends_on) for w in body.availability]
    for window in windows:
        domain.check_period(window, field="availability")
    async with commands.change(EXPERT, expert_id, expected_version=body.expected_version) as change:
        expert, session = change.aggregate, change.session
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
        return await change.present(_expert_public)
