"""Follow routes: the themes, countries and regions the caller follows.

A follow is a member of the caller's set of terms, not an aggregate with a version:
adding a term (POST) or removing one (DELETE) is idempotent, so two tabs or a retried
request agree whatever their order, and there is no lost update to guard against."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from contracts.enums import FollowKind
from contracts.http.notifications.responses import FollowPublic
from services.notifications.domain import check_term
from services.notifications.models import Person
from services.notifications.settings import SettingsDep
from services.notifications.store import follow, follows_of, register, unfollow
from shared.auth import CurrentPrincipal
from shared.commands import CommandsDep
from shared.db import AsyncSession

router = APIRouter(tags=["follows"])

Code = Annotated[str, Path(min_length=1, max_length=200)]
# `{code:path}`: a region's name may hold a `/`. The gateway sends it as `%2F`, which
# the server decodes before routing, so a one-segment route would never match it.
TERM = "/follows/{kind}/{code:path}"


async def _public(session: AsyncSession, person: Person) -> list[FollowPublic]:
    await session.flush()
    return [
        FollowPublic(kind=FollowKind(found.kind), code=found.code, created_at=found.created_at)
        for found in await follows_of(session, person)
    ]


@router.get("/follows", response_model=list[FollowPublic])
async def list_follows(
    principal: CurrentPrincipal, commands: CommandsDep, settings: SettingsDep
) -> list[FollowPublic]:
    async with commands.begin() as work:
        reader = await register(work.session, principal, settings, work.now)
        return await _public(work.session, reader.person)


@router.post(TERM, response_model=list[FollowPublic])
async def follow_term(
    kind: FollowKind,
    code: Code,
    principal: CurrentPrincipal,
    commands: CommandsDep,
    settings: SettingsDep,
) -> list[FollowPublic]:
    """Follow a term the platform uses (BAD_USER_INPUT for an unknown one, or past the
    limit); the caller's follows after it."""
    check_term(kind, code)
    async with commands.begin() as work:
        reader = await register(work.session, principal, settings, work.now)
        await follow(work.session, reader.person, kind, code, work.now)
        return await _public(work.session, reader.person)


@router.delete(TERM, response_model=list[FollowPublic])
async def unfollow_term(
    kind: FollowKind,
    code: Code,
    principal: CurrentPrincipal,
    commands: CommandsDep,
    settings: SettingsDep,
) -> list[FollowPublic]:
    check_term(kind, code)
    async with commands.begin() as work:
        reader = await register(work.session, principal, settings, work.now)
        await unfollow(work.session, reader.person, kind, code)
        return await _public(work.session, reader.person)
