"""Linked requests: a desk splits a programme request into children, lets the parent's
status follow them, and merges a duplicate into the request it duplicates (the desks
service decides; docs/desks.md). The links themselves are fields of ServiceRequest."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from contracts.enums import Urgency
from contracts.http.desks.requests import (
    ChildLinkBody,
    ChildRequestBody,
    MergeBody,
    StatusDerivationBody,
)
from gateway.schema.common import GatewayInfo, ProductCode, uuid_arg
from gateway.schema.requests import ServiceRequest, act, request_details


@strawberry.input(description="A child request, for the parent's client")
class ChildRequestInput:
    title: str
    description: str = ""
    products: list[ProductCode] = strawberry.field(default_factory=list)
    urgency: Urgency = Urgency.routine
    details: JSON | None = strawberry.field(
        default=None, description="Per product code, the details its request form asks for"
    )


@strawberry.type
class LinksMutation:
    @strawberry.mutation(
        description="Desk: split a request: a new child for its client, taken in like any "
        "request; answers the parent (expectedVersion: the parent's)"
    )
    async def create_child_request(
        self, info: GatewayInfo, id: strawberry.ID, expected_version: int, input: ChildRequestInput
    ) -> ServiceRequest:
        body = ChildRequestBody(
            expected_version=expected_version,
            title=input.title,
            description=input.description,
            products=[str(code) for code in input.products],
            urgency=input.urgency,
            details=request_details(input.details),
        )
        return await act(info, id, "children", body)

    @strawberry.mutation(
        description="Desk: link an existing request of the same client as a child; answers "
        "the parent (expectedVersion: the parent's)"
    )
    async def link_child_request(
        self, info: GatewayInfo, id: strawberry.ID, expected_version: int, child_id: strawberry.ID
    ) -> ServiceRequest:
        body = ChildLinkBody(
            expected_version=expected_version, child_id=uuid_arg(child_id, "childId")
        )
        return await act(info, id, "link-child", body)

    @strawberry.mutation(description="Desk: take a child out of its parent; answers the parent")
    async def unlink_child_request(
        self, info: GatewayInfo, id: strawberry.ID, expected_version: int, child_id: strawberry.ID
    ) -> ServiceRequest:
        body = ChildLinkBody(
            expected_version=expected_version, child_id=uuid_arg(child_id, "childId")
        )
        return await act(info, id, "unlink-child", body)

    @strawberry.mutation(
        description="Desk: the request's status follows its children (delivered when all "
        "are done, in progress when one is), or no longer"
    )
    async def set_status_derived_from_children(
        self, info: GatewayInfo, id: strawberry.ID, expected_version: int, derived: bool
    ) -> ServiceRequest:
        body = StatusDerivationBody(expected_version=expected_version, derived=derived)
        return await act(info, id, "status-derivation", body)

    @strawberry.mutation(
        description="Desk: merge this request, flagged as overlapping, into the request it "
        "duplicates; it is closed as MERGED (expectedVersion: this request's)"
    )
    async def merge_request(
        self, info: GatewayInfo, id: strawberry.ID, expected_version: int, into_id: strawberry.ID
    ) -> ServiceRequest:
        body = MergeBody(
            expected_version=expected_version, into_request_id=uuid_arg(into_id, "intoId")
        )
        return await act(info, id, "merge", body)
