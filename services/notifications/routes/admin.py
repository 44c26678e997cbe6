"""Admin routes: the mail sender's queue, and a fresh round of attempts for a dead
e-mail once the SMTP relay or the address is mended. Admins only: the queue holds
people's addresses."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select
from sqlmodel import col

from contracts.enums import MailStatus
from contracts.http.notifications.responses import MailPublic
from services.notifications.models import MAIL_DEAD, MailMessage
from shared.auth import CurrentPrincipal, Role
from shared.errors import DomainError
from shared.service import ClockDep, SessionDep
from shared.workers import revive

router = APIRouter(tags=["mail"])


@router.get("/mail", response_model=list[MailPublic])
async def list_mail(
    principal: CurrentPrincipal,
    session: SessionDep,
    status_in: Annotated[list[MailStatus] | None, Query(alias="status", max_length=3)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[MailPublic]:
    """The mail queue, newest first; `status=dead` lists what needs an admin."""
    principal.require(Role.admin)
    query = select(MailMessage)
    if status_in:
        query = query.where(col(MailMessage.status).in_([status.value for status in status_in]))
    query = query.order_by(col(MailMessage.created_at).desc(), col(MailMessage.id)).limit(limit)
    async with session.begin():
        return [MailPublic(**mail.model_dump()) for mail in await session.scalars(query)]


@router.post("/mail/{mail_id}/retry", response_model=MailPublic)
async def retry_mail(
    mail_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep, clock: ClockDep
) -> MailPublic:
    """Give a dead e-mail a fresh round of attempts; the sender's next tick sends it."""
    principal.require(Role.admin)
    async with session.begin():
        mail = await session.get(MailMessage, str(mail_id))
        if mail is None:
            raise DomainError("NOT_FOUND", f"no e-mail {mail_id}")
        if mail.status != MAIL_DEAD:
            raise DomainError(
                "ILLEGAL_TRANSITION", f"only a dead e-mail is retried (this one is {mail.status})"
            )
        revive(mail, clock.now())
        session.add(mail)
    return MailPublic(**mail.model_dump())
