"""HTTP routes of the reference data and the webhook operations: partners, frameworks,
the delivery log and its dead letters. Changes are the admin's; reading is wider."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import HttpUrl
from sqlalchemy import select
from sqlmodel import col

from contracts.enums import DeliveryStatus
from contracts.http.partnerships.requests import (
    FrameworkBody,
    FrameworkChange,
    PartnerCreate,
    PartnerUpdate,
)
from contracts.http.partnerships.responses import (
    AttemptPublic,
    DeliveryPublic,
    FrameworkPublic,
    PartnerPublic,
    PartnerSecret,
)
from services.partnerships import domain
from services.partnerships.models import Framework, Partner, WebhookAttempt, WebhookDelivery
from services.partnerships.settings import PartnershipsSettings, SettingsDep
from services.partnerships.targets import check_webhook_target
from shared.auth import CurrentPrincipal, Role
from shared.commands import bump_version
from shared.db import AsyncSession
from shared.errors import DomainError, check_version
from shared.service import ClockDep, SessionDep
from shared.workers import revive

router = APIRouter()

READERS = (Role.admin, Role.hq_analyst, Role.desk_officer, Role.provider, Role.partner)


def _partner_public(partner: Partner) -> PartnerPublic:
    return PartnerPublic(
        code=partner.code, name=partner.name, webhook_url=partner.webhook_url, active=partner.active
    )


@router.get("/partners", response_model=list[PartnerPublic], tags=["partners"])
async def list_partners(principal: CurrentPrincipal, session: SessionDep) -> list[PartnerPublic]:
    principal.require(*READERS)
    query = select(Partner).order_by(col(Partner.code))
    if principal.role is Role.partner:
        query = query.where(col(Partner.code) == principal.partner)
    async with session.begin():
        partners = (await session.scalars(query)).all()
    return [_partner_public(partner) for partner in partners]


@router.post(
    "/partners",
    status_code=status.HTTP_201_CREATED,
    response_model=PartnerSecret,
    tags=["partners"],
)
async def create_partner(
    body: PartnerCreate, principal: CurrentPrincipal, session: SessionDep, settings: SettingsDep
) -> PartnerSecret:
    principal.require(Role.admin)
    await _check_target(body.webhook_url, settings)
    async with session.begin():
        if await session.get(Partner, body.code) is not None:
            raise DomainError("CONFLICT", f"partner {body.code} exists")
        partner = Partner(
            code=body.code,
            name=body.name.strip(),
            webhook_url=str(body.webhook_url) if body.webhook_url else None,
            webhook_secret=secrets.token_urlsafe(32),
        )
        session.add(partner)
    return PartnerSecret(code=partner.code, webhook_secret=partner.webhook_secret)


@router.put("/partners/{code}", response_model=PartnerPublic, tags=["partners"])
async def update_partner(
    code: str,
    body: PartnerUpdate,
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
) -> PartnerPublic:
    principal.require(Role.admin)
    await _check_target(body.webhook_url, settings)
    async with session.begin():
        partner = await _partner(session, code)
        partner.name = body.name.strip()
        partner.webhook_url = str(body.webhook_url) if body.webhook_url else None
        partner.active = body.active
        session.add(partner)
    return _partner_public(partner)


async def _check_target(url: HttpUrl | None, settings: PartnershipsSettings) -> None:
    if url is not None:
        await check_webhook_target(str(url), allow_private=settings.webhook_allow_private_targets)


@router.post("/partners/{code}/secret", response_model=PartnerSecret, tags=["partners"])
async def rotate_secret(
    code: str, principal: CurrentPrincipal, session: SessionDep
) -> PartnerSecret:
    """A new shared secret; pending and later deliveries are signed with it."""
    principal.require(Role.admin)
    async with session.begin():
        partner = await _partner(session, code)
        partner.webhook_secret = secrets.token_urlsafe(32)
        session.add(partner)
    return PartnerSecret(code=partner.code, webhook_secret=partner.webhook_secret)


async def _partner(session: AsyncSession, code: str) -> Partner:
    partner = await session.get(Partner, code)
    if partner is None:
        raise DomainError("UNKNOWN_PARTNER", f"unknown partner {code}")
    return partner


# --- frameworks ---------------------------------------------------------------------------


@router.get("/frameworks", response_model=list[FrameworkPublic], tags=["frameworks"])
async def list_frameworks(
    principal: CurrentPrincipal, session: SessionDep
) -> list[FrameworkPublic]:
    principal.require(*READERS)
    async with session.begin():
        rows = (await session.scalars(select(Framework).order_by(col(Framework.name)))).all()
    visible = [
        row
        for row in rows
        if principal.role is not Role.partner or principal.partner in row.partners
    ]
    return [FrameworkPublic(**row.model_dump()) for row in visible]


@router.post(
    "/frameworks",
    status_code=status.HTTP_201_CREATED,
    response_model=FrameworkPublic,
    tags=["frameworks"],
)
async def create_framework(
    body: FrameworkBody, principal: CurrentPrincipal, session: SessionDep, clock: ClockDep
) -> FrameworkPublic:
    principal.require(Role.admin)
    async with session.begin():
        framework = Framework(
            id=str(uuid.uuid4()),
            name="",
            partners=[],
            scope="",
            valid_from=body.valid_from,
            valid_to=body.valid_to,
            updated_at=clock.now(),
            version=0,
        )
        await _apply_framework(session, framework, body, clock.now())
    return FrameworkPublic(**framework.model_dump())


@router.put("/frameworks/{framework_id}", response_model=FrameworkPublic, tags=["frameworks"])
async def update_framework(
    framework_id: str,
    body: FrameworkChange,
    principal: CurrentPrincipal,
    session: SessionDep,
    clock: ClockDep,
) -> FrameworkPublic:
    principal.require(Role.admin)
    async with session.begin():
        framework = (
            await session.scalars(
                select(Framework).where(col(Framework.id) == framework_id).with_for_update()
            )
        ).first()
        if framework is None:
            raise DomainError("NOT_FOUND", f"no framework {framework_id}")
        check_version("the framework", current=framework.version, expected=body.expected_version)
        await _apply_framework(session, framework, body, clock.now())
    return FrameworkPublic(**framework.model_dump())


async def _apply_framework(
    session: AsyncSession, framework: Framework, body: FrameworkBody, now: datetime
) -> None:
    known = (await session.scalars(select(col(Partner.code)))).all()
    framework.partners = domain.check_partners(body.partners, known, None)
    framework.name = domain.check_text(body.name, "name", 200)
    framework.scope = domain.check_text(body.scope, "scope", domain.MAX_SCOPE)
    domain.check_window(body.valid_from, body.valid_to)
    framework.valid_from, framework.valid_to = body.valid_from, body.valid_to
    framework.updated_at = now
    bump_version(framework)
    session.add(framework)


# --- webhook deliveries ---------------------------------------------------------------------


@router.get("/webhook-deliveries", response_model=list[DeliveryPublic], tags=["webhooks"])
async def list_deliveries(
    principal: CurrentPrincipal,
    session: SessionDep,
    status_in: Annotated[list[DeliveryStatus] | None, Query(alias="status", max_length=20)] = None,
    partner: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[DeliveryPublic]:
    """The delivery log, newest first; `status=dead` lists what needs an admin."""
    principal.require(Role.admin)
    query = select(WebhookDelivery)
    if status_in:
        query = query.where(col(WebhookDelivery.status).in_([s.value for s in status_in]))
    if partner:
        query = query.where(col(WebhookDelivery.partner_code) == partner)
    query = query.order_by(col(WebhookDelivery.created_at).desc(), col(WebhookDelivery.id)).limit(
        limit
    )
    async with session.begin():
        deliveries = (await session.scalars(query)).all()
        attempts = (
            await session.scalars(
                select(WebhookAttempt)
                .where(col(WebhookAttempt.delivery_id).in_([d.id for d in deliveries]))
                .order_by(col(WebhookAttempt.id))
            )
        ).all()
    log: dict[str, list[AttemptPublic]] = {delivery.id: [] for delivery in deliveries}
    for attempt in attempts:
        log[attempt.delivery_id].append(AttemptPublic(**attempt.model_dump()))
    return [
        DeliveryPublic(**delivery.model_dump(exclude={"body"}), log=log[delivery.id])
        for delivery in deliveries
    ]


@router.post(
    "/webhook-deliveries/{delivery_id}/retry", response_model=DeliveryPublic, tags=["webhooks"]
)
async def retry_delivery(
    delivery_id: str, principal: CurrentPrincipal, session: SessionDep, clock: ClockDep
) -> DeliveryPublic:
    """Give a dead delivery a fresh round of attempts (after the partner fixed its side)."""
    principal.require(Role.admin)
    async with session.begin():
        delivery = await session.get(WebhookDelivery, delivery_id)
        if delivery is None:
            raise DomainError("NOT_FOUND", f"no delivery {delivery_id}")
        if delivery.status != DeliveryStatus.dead:
            raise DomainError(
                "ILLEGAL_TRANSITION",
                f"only a dead delivery is retried (this one is {delivery.status})",
            )
        revive(delivery, clock.now())
        session.add(delivery)
    return DeliveryPublic(**delivery.model_dump(exclude={"body"}), log=[])
