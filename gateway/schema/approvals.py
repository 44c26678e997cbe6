"""The approval step before routing: an approver's queue and decisions, and the rules
an admin edits (the desks service decides who may do what; docs/desks.md)."""

from __future__ import annotations

import strawberry

from contracts.enums import ClientKind, Urgency
from contracts.http.desks.requests import (
    ApprovalDecisionBody,
    ApprovalRuleBody,
    ApprovalRuleUpdate,
)
from contracts.http.desks.responses import ApprovalRulePublic, RequestPublic
from gateway.clients import service_path
from gateway.schema.common import (
    GatewayInfo,
    ProductCode,
    all_from_contract,
    check_page_size,
    code_arg,
    context_of,
    derived,
    from_contract,
    uuid_arg,
)
from gateway.schema.requests import ServiceRequest, act


@derived(
    ApprovalRulePublic,
    description="A new request meeting every given condition (null: any) waits for its "
    "desk chief's approval before routing",
)
class ApprovalRule:
    id: strawberry.ID
    product_code: ProductCode | None


@strawberry.input(description="An approval rule's conditions; give at least one")
class ApprovalRuleInput:
    name: str
    desk_code: str | None = None
    product_code: ProductCode | None = None
    urgency: Urgency | None = None
    client_kind: ClientKind | None = None
    active: bool = True

    def conditions(self) -> dict[str, object]:
        return {
            "name": self.name,
            "desk_code": code_arg(self.desk_code, name="deskCode") if self.desk_code else None,
            "product_code": code_arg(self.product_code, name="productCode")
            if self.product_code
            else None,
            "urgency": self.urgency,
            "client_kind": self.client_kind,
            "active": self.active,
        }


@strawberry.type
class ApprovalsQuery:
    @strawberry.field(
        description="Requests awaiting the caller's approval, oldest first (a desk chief: "
        "the desk's; an admin: every desk's)"
    )
    async def approval_queue(self, info: GatewayInfo, limit: int = 50) -> list[ServiceRequest]:
        check_page_size(limit, 200)
        context = context_of(info)
        items = await context.clients.desks.get(
            service_path("approvals"),
            context.authorization,
            list[RequestPublic],
            params={"limit": limit},
        )
        return all_from_contract(ServiceRequest, items)

    @strawberry.field(description="Every approval rule, active or not")
    async def approval_rules(self, info: GatewayInfo) -> list[ApprovalRule]:
        context = context_of(info)
        items = await context.clients.desks.get(
            service_path("approval-rules"), context.authorization, list[ApprovalRulePublic]
        )
        return all_from_contract(ApprovalRule, items)


@strawberry.type
class ApprovalsMutation:
    @strawberry.mutation(
        description="Approver: approve a request awaiting approval; it goes on to routing"
    )
    async def approve_request(
        self,
        info: GatewayInfo,
        id: strawberry.ID,
        expected_version: int,
        comment: str | None = None,
    ) -> ServiceRequest:
        body = ApprovalDecisionBody(expected_version=expected_version, comment=comment)
        return await act(info, id, "approve", body)

    @strawberry.mutation(
        description="Approver: reject a request awaiting approval; it is closed as rejected, "
        "the comment its reason (the client reads it)"
    )
    async def reject_approval(
        self, info: GatewayInfo, id: strawberry.ID, expected_version: int, comment: str
    ) -> ServiceRequest:
        body = ApprovalDecisionBody(expected_version=expected_version, comment=comment)
        return await act(info, id, "reject-approval", body)

    @strawberry.mutation(description="Admin: a new approval rule (for requests from now on)")
    async def create_approval_rule(
        self, info: GatewayInfo, input: ApprovalRuleInput
    ) -> ApprovalRule:
        context = context_of(info)
        answer = await context.clients.desks.post(
            service_path("approval-rules"),
            context.authorization,
            ApprovalRuleBody.model_validate(input.conditions()),
            ApprovalRulePublic,
        )
        return from_contract(ApprovalRule, answer)

    @strawberry.mutation(description="Admin: change an approval rule, or turn it off")
    async def update_approval_rule(
        self,
        info: GatewayInfo,
        id: strawberry.ID,
        expected_version: int,
        input: ApprovalRuleInput,
    ) -> ApprovalRule:
        context = context_of(info)
        body = ApprovalRuleUpdate.model_validate(
            {**input.conditions(), "expected_version": expected_version}
        )
        answer = await context.clients.desks.put(
            service_path("approval-rules", uuid_arg(id)),
            context.authorization,
            body,
            ApprovalRulePublic,
        )
        return from_contract(ApprovalRule, answer)
