"""Intake: a client (or a desk on its behalf) knocks on the one door."""

from __future__ import annotations

import json
import uuid
from typing import Any

from fastapi import APIRouter, status
from sqlalchemy import bindparam
from sqlmodel import col, select

from contracts.enums import ClientKind, RequestStatus
from contracts.events import RequestSubmitted
from contracts.http.desks.requests import RequestCreate
from contracts.http.desks.responses import RequestPublic
from services.desks import domain, search
from services.desks.clocks import start_clocks
from services.desks.models import Client, CountryDesk, Desk, ServiceRequest
from services.desks.reference import reference_data, revision_column
from services.desks.settings import DesksSettings, SettingsDep
from services.desks.store import (
    add_routing,
    add_timeline,
    await_approval,
    change_status,
    find_overlaps,
    link_overlaps,
    request_approval,
    rules_met,
)
from services.desks.views import present, present_new
from shared.auth import CurrentPrincipal, Principal, Role
from shared.commands import CommandsDep, UnitOfWork
from shared.db import AsyncSession
from shared.errors import DomainError
from shared.idempotency import IdempotencyKeyDep, create_once

router = APIRouter(tags=["requests"])


@router.post("/requests", status_code=status.HTTP_201_CREATED, response_model=RequestPublic)
async def submit_request(
    body: RequestCreate,
    principal: CurrentPrincipal,
    commands: CommandsDep,
    settings: SettingsDep,
    idempotency_key: IdempotencyKeyDep = None,
) -> RequestPublic:
    """Take in a client's request: assign its desk, start its SLA clocks, route each
    named product, and flag open requests it overlaps. A retry with the same
    `Idempotency-Key` answers with the request the first attempt stored."""
    principal.require(Role.client, Role.desk_officer, Role.admin)

    async def find(key: str) -> RequestPublic | None:
        async with commands.begin() as work:
            session = work.session
            stored = await session.scalar(
                select(ServiceRequest).where(
                    col(ServiceRequest.submitted_by) == principal.actor,
                    col(ServiceRequest.idempotency_key) == key,
                )
            )
            return (await present(session, [stored]))[0] if stored else None

    async def create() -> RequestPublic:
        async with commands.begin() as work:
            return await take_in(body, principal, work, settings, idempotency_key)

    return await create_once(idempotency_key, find, create)


async def take_in(
    body: RequestCreate,
    principal: Principal,
    work: UnitOfWork,
    settings: DesksSettings,
    idempotency_key: str | None,
    parent_id: str | None = None,
) -> RequestPublic:
    """Take a new request in; `parent_id`: a child a desk made from its parent
    (routes/links.py), never flagged as overlapping that parent."""
    session = work.session
    client, desk, revision = await _client_and_desk(body, principal, session)
    if principal.role is Role.desk_officer and desk.code != principal.desk:
        raise DomainError("FORBIDDEN", f"client {client.code} is served by desk {desk.code}")
    reference = await reference_data(session, revision)
    catalog = reference.catalog_of(body.products)
    domain.validate_intake(
        title=body.title,
        description=body.description,
        products=body.products,
        details=body.details,
        catalog=catalog,
        details_size=len(json.dumps(body.details)),
    )
    now = work.now
    request = ServiceRequest(
        id=str(uuid.uuid4()),
        client_code=client.code,
        client_kind=client.kind,
        country=client.country,
        region=desk.region,
        desk_code=desk.code,
        title=body.title.strip(),
        description=body.description,
        urgency=body.urgency.value,
        status=RequestStatus.submitted.value,
        products=body.products,
        details=body.details,
        submitted_by=principal.actor,
        created_at=now,
        updated_at=now,
        match_words=domain.match_words(body.title, body.description),
        idempotency_key=idempotency_key,
        parent_id=parent_id,
        language=body.language,
    )
    # What the new request is checked against is read first (overlap candidates too),
    # so its history rows are written together at the commit (services/desks/journal.py)
    # rather than between the reads.
    rules = rules_met(reference.active_rules, request)
    working = reference.working_time_of(request.desk_code)
    overlaps = await find_overlaps(session, request, **settings.overlap_thresholds())
    session.add(request)
    submitted = RequestSubmitted(
        request_id=request.id,
        client_code=client.code,
        client_kind=ClientKind(client.kind),
        country=client.country,
        region=desk.region,
        desk_code=desk.code,
        title=request.title,
        description=request.description,
        products=request.products,
        urgency=body.urgency,
        submitted_by=principal.actor,
        submitted_at=now,
        language=request.language,
    )
    work.publish(submitted)
    add_timeline(
        session,
        request.id,
        at=now,
        event_type=submitted.type,
        actor=principal.actor,
        summary=f"submitted to desk {desk.code}",
    )
    # The request's intake moves come before its INSERT, so it is inserted at the status
    # intake leaves it in (no UPDATE after); the rows that refer to it come after.
    if rules:
        await_approval(session, request, rules, at=now, actor=_intake(request), publisher=work)
    else:
        _triage_named_products(work, request)
    await session.flush()
    search.index_request(session, request)
    # A request that meets an approval rule waits for its approver before any routing.
    approvals = (
        [request_approval(session, request, rules, at=now, actor=_intake(request), publisher=work)]
        if rules
        else []
    )
    routings = [] if rules else _route_named_products(work, request)
    clocks = start_clocks(session, request, settings.sla_targets_hours, working)
    overlap_count = link_overlaps(session, request, overlaps, at=now, publisher=work)
    # A new request's answer needs no query: everything about it is at hand.
    return present_new(request, routings, clocks, overlap_count, approvals)


def _intake(request: ServiceRequest) -> str:
    return f"desk:{request.desk_code}:intake"


def _triage_named_products(work: UnitOfWork, request: ServiceRequest) -> None:
    """With products named, the desk's triage is automatic and the request goes out at
    once: triaged by the client's own choice, then routed, each its own event and entry.
    (Clocks start after this, already stopped where this path stops them.)"""
    if not request.products:
        return
    actor = _intake(request)
    for target, reason in (
        (RequestStatus.triaged, "products named by the client"),
        (RequestStatus.routed, None),
    ):
        change_status(
            work.session, request, target, at=work.now, actor=actor, publisher=work, reason=reason
        )


def _route_named_products(work: UnitOfWork, request: ServiceRequest) -> list[dict[str, Any]]:
    """Each named product of a request `_triage_named_products` moved: its routing row."""
    actor = _intake(request)
    return [
        add_routing(
            work.session,
            request,
            code,
            request.details.get(code, {}),
            at=work.now,
            actor=actor,
            publisher=work,
        )
        for code in request.products
    ]


async def _client_and_desk(
    body: RequestCreate, principal: Principal, session: AsyncSession
) -> tuple[Client, Desk, int]:
    """Whom the request is for, the desk that serves its country, and the revision of
    the reference data (services/desks/reference.py), in one query."""
    if principal.role is Role.client:
        if body.client_code and body.client_code != principal.client:
            raise DomainError("FORBIDDEN", "a client may only submit requests for itself")
        code = principal.client
    else:
        code = body.client_code
        if not code:
            raise DomainError("BAD_USER_INPUT", "client_code is required", field="client_code")
    found = (await session.execute(_CLIENT_AND_DESK, {"code": code})).first()
    if found is None:
        raise DomainError("UNKNOWN_CLIENT", f"unknown client {code}")
    client, desk, revision = found
    if desk is None:
        raise DomainError(
            "CONFLICT", f"no desk serves country {client.country}; an admin must map it"
        )
    return client, desk, revision


# Built once: each submit only binds its client's code (building the statement and its
# cache key cost about as much as the database's work on it).
_CLIENT_AND_DESK = (
    select(Client, Desk, revision_column())
    .outerjoin(CountryDesk, col(CountryDesk.country) == col(Client.country))
    .outerjoin(Desk, col(Desk.code) == col(CountryDesk.desk_code))
    .where(col(Client.code) == bindparam("code"))
)
