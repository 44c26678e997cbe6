"""The approval step before routing: approvers' decisions, their queue, and the rules.

A new request that meets an active approval rule waits in `awaiting_approval` (intake
does that, store.request_approval). Its desk chief (ONEDOOR_DESK_CHIEFS) or an HQ admin
approves it (back to `submitted`, and on to its providers at once when the client named
products, as intake would have done) or rejects it (closed as `rejected`, the comment its
reason). The wait pauses the SLA clocks: on the decision, running clocks are due later by
the time it took. Rules are data an admin edits here (`/approval-rules`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from fastapi import APIRouter, Query
from sqlmodel import col, select

from contracts.enums import ApprovalDecision, RequestStatus
from contracts.events import RequestApprovalDecided
from contracts.http.desks.requests import ApprovalDecisionBody, ApprovalRuleBody, ApprovalRuleUpdate
from contracts.http.desks.responses import ApprovalRulePublic, RequestPublic
from services.desks import domain
from services.desks.clocks import resume_clocks
from services.desks.models import ApprovalRule, Desk, RequestApproval, ServiceRequest
from services.desks.routes.commands import REQUEST, present_request
from services.desks.settings import DesksSettings, SettingsDep
from services.desks.store import (
    acknowledge,
    add_routing,
    add_timeline,
    catalog_of,
    move,
    pending_approval,
    rule_spec,
    visibility,
)
from services.desks.views import present_to
from shared.auth import CurrentPrincipal, Principal, Role
from shared.commands import Aggregate, Change, CommandsDep
from shared.db import AsyncSession
from shared.errors import DomainError
from shared.service import SessionDep

router = APIRouter(tags=["approvals"])

RULE = Aggregate(ApprovalRule, name="the approval rule", not_found="APPROVAL_RULE_NOT_FOUND")
MAX_QUEUE = 200


def _approves_for(principal: Principal, settings: DesksSettings, desk_code: str) -> bool:
    return domain.is_approver(
        role=principal.role.value,
        desk=principal.desk,
        subject=principal.subject,
        request_desk=desk_code,
        desk_chiefs=settings.desk_chiefs,
    )


def _approver(principal: Principal, settings: DesksSettings) -> Callable[[ServiceRequest], None]:
    """The pipeline's `authorise` step: only an approver of the request's desk decides
    (checked before the version, so a non-approver learns nothing of it)."""

    def authorise(request: ServiceRequest) -> None:
        if not _approves_for(principal, settings, request.desk_code):
            raise DomainError(
                "FORBIDDEN", f"only the chief of desk {request.desk_code} or an admin decides"
            )

    return authorise


@router.post("/requests/{request_id}/approve", response_model=RequestPublic)
async def approve_request(
    request_id: str,
    body: ApprovalDecisionBody,
    principal: CurrentPrincipal,
    commands: CommandsDep,
    settings: SettingsDep,
) -> RequestPublic:
    """Approve a request awaiting approval: it goes on where intake would have taken it."""
    principal.require(Role.desk_officer, Role.admin)
    async with commands.change(
        REQUEST,
        request_id,
        visibility(principal),
        expected_version=body.expected_version,
        authorise=_approver(principal, settings),
    ) as change:
        request, session, now = change.aggregate, change.session, change.now
        approval = await pending_approval(session, request)
        comment = domain.require_decision_comment(body.comment, ApprovalDecision.approved)
        _decide(change, approval, ApprovalDecision.approved, comment, principal)
        await move(
            session,
            request,
            RequestStatus.submitted,
            at=now,
            actor=principal.actor,
            publisher=change,
            reason="approved" + (f": {comment}" if comment else ""),
        )
        await resume_clocks(session, request, paused_since=approval.requested_at, at=now)
        await acknowledge(session, request, now)
        await _route_named_products(change)
        return await change.present(present_request)


@router.post("/requests/{request_id}/reject-approval", response_model=RequestPublic)
async def reject_approval(
    request_id: str,
    body: ApprovalDecisionBody,
    principal: CurrentPrincipal,
    commands: CommandsDep,
    settings: SettingsDep,
) -> RequestPublic:
    """Reject a request awaiting approval: it is closed as rejected, the comment its
    reason (the client reads it)."""
    principal.require(Role.desk_officer, Role.admin)
    async with commands.change(
        REQUEST,
        request_id,
        visibility(principal),
        expected_version=body.expected_version,
        authorise=_approver(principal, settings),
    ) as change:
        request = change.aggregate
        approval = await pending_approval(change.session, request)
        comment = domain.require_decision_comment(body.comment, ApprovalDecision.rejected)
        assert comment is not None  # a rejection always has one
        _decide(change, approval, ApprovalDecision.rejected, comment, principal)
        await move(
            change.session,
            request,
            RequestStatus.rejected,
            at=change.now,
            actor=principal.actor,
            publisher=change,
            reason=f"approval rejected: {comment}",
        )
        request.status_reason = comment
        return await change.present(present_request)


def _decide(
    change: Change[ServiceRequest],
    approval: RequestApproval,
    decision: ApprovalDecision,
    comment: str | None,
    principal: Principal,
) -> None:
    """Record the decision on the approval, its event and its timeline entry."""
    request, now = change.aggregate, change.now
    approval.decision, approval.decided_by = decision.value, principal.actor
    approval.decided_at, approval.comment = now, comment
    change.session.add(approval)
    decided = RequestApprovalDecided(
        request_id=request.id,
        approval_id=approval.id,
        client_code=request.client_code,
        desk_code=request.desk_code,
        decision=decision,
        comment=comment,
        decided_by=principal.actor,
        decided_at=now,
    )
    change.publish(decided)
    add_timeline(
        change.session,
        request.id,
        at=now,
        event_type=decided.type,
        actor=principal.actor,
        summary=f"approval decision: {decision.value}" + (f" ({comment})" if comment else ""),
    )


async def _route_named_products(change: Change[ServiceRequest]) -> None:
    """Approved with products named: triaged and routed at once, as intake does without
    an approval step (each product still active in the catalog; the others wait for the
    desk, which routes or rejects them)."""
    request, session, now = change.aggregate, change.session, change.now
    catalog = await catalog_of(session, request.products)
    products = [code for code in request.products if code in catalog and catalog[code].active]
    if not products:
        return
    actor = f"desk:{request.desk_code}:intake"
    for target, reason in (
        (RequestStatus.triaged, "approved; products named by the client"),
        (RequestStatus.routed, None),
    ):
        await move(session, request, target, at=now, actor=actor, publisher=change, reason=reason)
    for code in products:
        details = request.details.get(code, {})
        add_routing(session, request, code, details, at=now, actor=actor, publisher=change)


@router.get("/approvals", response_model=list[RequestPublic])
async def approval_queue(
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    limit: int = Query(default=50, ge=1, le=MAX_QUEUE),
) -> list[RequestPublic]:
    """The requests awaiting the caller's decision, oldest first: a desk chief's desk's,
    every desk's for an admin; empty for another officer."""
    principal.require(Role.desk_officer, Role.admin)
    if principal.role is Role.desk_officer and not _approves_for(
        principal, settings, principal.desk or ""
    ):
        return []
    async with session.begin():
        requests = (
            await session.scalars(
                select(ServiceRequest)
                .where(
                    col(ServiceRequest.status) == RequestStatus.awaiting_approval.value,
                    visibility(principal),
                )
                .order_by(col(ServiceRequest.created_at), col(ServiceRequest.id))
                .limit(limit)
            )
        ).all()
        return await present_to(session, principal, requests)


# --- The rules, an admin's data -------------------------------------------------------


def _rule_public(rule: ApprovalRule) -> ApprovalRulePublic:
    return ApprovalRulePublic(**rule.model_dump())


@router.get("/approval-rules", response_model=list[ApprovalRulePublic])
async def list_approval_rules(
    principal: CurrentPrincipal, session: SessionDep
) -> list[ApprovalRulePublic]:
    """Every approval rule, active or not, by name (desks and HQ read them too)."""
    principal.require(Role.admin, Role.hq_analyst, Role.desk_officer)
    async with session.begin():
        rules = (
            await session.scalars(
                select(ApprovalRule).order_by(col(ApprovalRule.name), col(ApprovalRule.id))
            )
        ).all()
        return [_rule_public(rule) for rule in rules]


@router.post("/approval-rules", status_code=201, response_model=ApprovalRulePublic)
async def create_approval_rule(
    body: ApprovalRuleBody, principal: CurrentPrincipal, commands: CommandsDep
) -> ApprovalRulePublic:
    """A new rule; it applies to requests taken in from now on."""
    principal.require(Role.admin)
    async with commands.begin() as work:
        rule = ApprovalRule(id=str(uuid.uuid4()), name="", updated_at=work.now, updated_by="")
        await _apply(work.session, rule, body, principal, work.now)
        return _rule_public(rule)


@router.put("/approval-rules/{rule_id}", response_model=ApprovalRulePublic)
async def update_approval_rule(
    rule_id: str, body: ApprovalRuleUpdate, principal: CurrentPrincipal, commands: CommandsDep
) -> ApprovalRulePublic:
    """Change a rule's conditions, or turn it off (`active: false`). Requests already
    waiting keep waiting: the rule asked when they came in."""
    principal.require(Role.admin)
    async with commands.change(RULE, rule_id, expected_version=body.expected_version) as change:
        await _apply(change.session, change.aggregate, body, principal, change.now)
        return _rule_public(change.aggregate)


async def _apply(
    session: AsyncSession,
    rule: ApprovalRule,
    body: ApprovalRuleBody,
    principal: Principal,
    now: datetime,
) -> None:
    """Check the conditions (a known desk and product, at least one condition) and set them."""
    rule.name = body.name.strip()
    rule.desk_code, rule.product_code = body.desk_code or None, body.product_code or None
    rule.urgency = body.urgency.value if body.urgency else None
    rule.client_kind = body.client_kind.value if body.client_kind else None
    rule.active, rule.updated_at, rule.updated_by = body.active, now, principal.actor
    domain.check_rule(rule_spec(rule))
    if rule.desk_code and await session.get(Desk, rule.desk_code) is None:
        raise DomainError("BAD_USER_INPUT", f"no desk {rule.desk_code}", field="desk_code")
    if rule.product_code and rule.product_code not in await catalog_of(
        session, [rule.product_code]
    ):
        raise DomainError(
            "UNKNOWN_PRODUCT", f"unknown product: {rule.product_code}", field="product_code"
        )
    session.add(rule)
