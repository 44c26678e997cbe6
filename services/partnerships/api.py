"""HTTP routes of the partnerships service: the partners (admin and HQ, or a partner itself)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import select
from sqlmodel import col

from services.partnerships.models import Partner
from shared.auth import CurrentPrincipal, Role
from shared.service import SessionDep

router = APIRouter(tags=["partners"])


class PartnerPublic(BaseModel):
    code: str
    name: str
    webhook_url: str | None
    active: bool


@router.get("/partners", response_model=list[PartnerPublic])
async def list_partners(principal: CurrentPrincipal, session: SessionDep) -> list[PartnerPublic]:
    principal.require(Role.admin, Role.hq_analyst, Role.desk_officer, Role.provider, Role.partner)
    query = select(Partner).order_by(col(Partner.code))
    if principal.role is Role.partner:
        query = query.where(Partner.code == principal.partner)
    async with session.begin():
        partners = (await session.scalars(query)).all()
    return [PartnerPublic(**partner.model_dump()) for partner in partners]
