"""Saved filters and their feeds, for people who live in feed readers.

A saved filter belongs to the user who saved it. Saving it mints a secret feed
token (shown once; only its SHA-256 is stored); whoever holds the token reads the
filter's newest published lessons with the owner's role applied, without sending
credentials, because feed readers cannot. Revoking the filter kills the token.
The gateway serves the feed as Atom at `/feeds/lessons/<token>`.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, status
from sqlalchemy import select
from sqlmodel import col

from contracts.http.lessons.requests import FilterCriteria, SavedFilterCreate
from contracts.http.lessons.responses import (
    FeedPublic,
    SavedFilterCreated,
    SavedFilterPublic,
)
from services.lessons.domain import visible_sensitivities
from services.lessons.models import Lesson, SavedFilter
from services.lessons.search import LessonFilter, published_and_visible
from services.lessons.views import public
from shared.auth import CurrentPrincipal, Principal, Role
from shared.errors import DomainError
from shared.service import ClockDep, SessionDep

router = APIRouter(tags=["feeds"])

FEED_SIZE = 50


def _as_filter(criteria: FilterCriteria) -> LessonFilter:
    return LessonFilter(
        themes=tuple(criteria.themes),
        countries=tuple(criteria.countries),
        regions=tuple(criteria.regions),
        client_kinds=tuple(criteria.client_kinds),
        languages=tuple(criteria.languages),
    )


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _public(saved: SavedFilter) -> dict[str, Any]:
    return {
        "id": saved.id,
        "name": saved.name,
        "criteria": FilterCriteria(**saved.criteria).model_dump(),
        "created_at": saved.created_at,
        "revoked_at": saved.revoked_at,
    }


def _owner(saved: SavedFilter) -> Principal:
    """Who reads a feed: the filter's owner, as their token named them when they saved it."""
    claims = saved.owner_claims
    return Principal(
        subject=saved.owner_subject,
        role=Role(saved.owner_role),
        client=claims.get("client"),
        desk=claims.get("desk"),
        products=tuple(claims.get("products") or ()),
        partner=claims.get("partner"),
    )


@router.post(
    "/saved-filters", status_code=status.HTTP_201_CREATED, response_model=SavedFilterCreated
)
async def save_filter(
    body: SavedFilterCreate, principal: CurrentPrincipal, session: SessionDep, clock: ClockDep
) -> SavedFilterCreated:
    token = secrets.token_urlsafe(32)
    saved = SavedFilter(
        id=str(uuid.uuid4()),
        owner_subject=principal.subject,
        owner_role=principal.role.value,
        owner_claims={
            "client": principal.client,
            "desk": principal.desk,
            "products": list(principal.products),
            "partner": principal.partner,
        },
        name=body.name.strip(),
        criteria=body.criteria.model_dump(),
        token_hash=token_hash(token),
        created_at=clock.now(),
    )
    async with session.begin():
        session.add(saved)
    return SavedFilterCreated(**_public(saved), feed_token=token)


@router.get("/saved-filters", response_model=list[SavedFilterPublic])
async def my_saved_filters(
    principal: CurrentPrincipal, session: SessionDep
) -> list[SavedFilterPublic]:
    query = (
        select(SavedFilter)
        .where(
            col(SavedFilter.owner_subject) == principal.subject,
            col(SavedFilter.revoked_at).is_(None),
        )
        .order_by(col(SavedFilter.created_at), col(SavedFilter.id))
    )
    async with session.begin():
        return [SavedFilterPublic(**_public(row)) for row in (await session.scalars(query)).all()]


@router.delete("/saved-filters/{filter_id}", response_model=SavedFilterPublic)
async def revoke_filter(
    filter_id: str, principal: CurrentPrincipal, session: SessionDep, clock: ClockDep
) -> SavedFilterPublic:
    """Delete the saved filter; its feed URL stops working at once."""
    async with session.begin():
        saved = await session.get(SavedFilter, filter_id)
        if saved is None or saved.owner_subject != principal.subject or saved.revoked_at:
            raise DomainError("NOT_FOUND", f"no saved filter {filter_id}")
        saved.revoked_at = clock.now()
        session.add(saved)
    return SavedFilterPublic(**_public(saved))


@router.get("/feeds/{token}", response_model=FeedPublic)
async def read_feed(
    token: Annotated[str, Path(min_length=16, max_length=200)], session: SessionDep
) -> FeedPublic:
    """A saved filter's newest published lessons, as its owner's role may see them.
    The token is the credential (feed readers send no headers)."""
    async with session.begin():
        saved = (
            await session.scalars(
                select(SavedFilter).where(
                    col(SavedFilter.token_hash) == token_hash(token),
                    col(SavedFilter.revoked_at).is_(None),
                )
            )
        ).first()
        if saved is None:
            raise DomainError("NOT_FOUND", "no such feed")
        criteria = _as_filter(FilterCriteria(**saved.criteria))
        reader = _owner(saved)
        sensitivities = visible_sensitivities(reader.role)
        lessons = (
            await session.scalars(
                select(Lesson)
                .where(*published_and_visible(sensitivities, criteria))
                .order_by(col(Lesson.published_at).desc(), col(Lesson.id).desc())
                .limit(FEED_SIZE)
            )
        ).all()
    updated = lessons[0].published_at if lessons else None
    return FeedPublic(
        id=saved.id,
        name=saved.name,
        updated=updated or saved.created_at,
        entries=[public(row, reader) for row in lessons],
    )
