"""The desks part of the schema: service requests, their desks and timelines."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.scalars import JSON

from contracts.events import (
    RequestAssigned,
    RequestOverlapFlagged,
    RequestSlaBreached,
    RequestStatusChanged,
)
from gateway.context import GatewayContext, group_by
from gateway.schema.common import (
    GatewayInfo,
    PageInfo,
    ProductCode,
    Urgency,
    bad_input,
    check_page_size,
    context_of,
)
from gateway.schema.products import Engagement, engagements_of


@strawberry.enum
class RequestStatus(Enum):
    SUBMITTED = "submitted"
    TRIAGED = "triaged"
    ROUTED = "routed"
    IN_PROGRESS = "in_progress"
    DELIVERED = "delivered"
    CLOSED = "closed"
    ON_HOLD = "on_hold"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


@strawberry.type
class Desk:
    code: str
    name: str
    region: str


@strawberry.type
class Routing:
    id: strawberry.ID
    product_code: ProductCode
    status: str
    engagement_id: strawberry.ID | None
    decline_reason: str | None
    routed_at: datetime

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> Routing:
        engagement_id = data["engagement_id"]
        return cls(
            id=strawberry.ID(data["id"]),
            product_code=ProductCode(data["product_code"]),
            status=data["status"],
            engagement_id=strawberry.ID(engagement_id) if engagement_id else None,
            decline_reason=data["decline_reason"],
            routed_at=datetime.fromisoformat(data["routed_at"]),
        )


@strawberry.type
class TimelineEntry:
    at: datetime
    event_type: str
    actor: str
    summary: str


async def timelines_by_request(
    context: GatewayContext, request_ids: list[str]
) -> list[list[dict[str, Any]]]:
    items = await context.clients.desks.get(
        "/timelines", context.authorization, params={"request_id": request_ids}
    )
    return group_by(items, request_ids, "request_id")


async def desks_by_code(context: GatewayContext, codes: list[str]) -> list[dict[str, Any] | None]:
    desks = await context.clients.desks.get("/desks", context.authorization)
    by_code = {desk["code"]: desk for desk in desks}
    return [by_code.get(code) for code in codes]


@strawberry.type
class ServiceRequest:
    id: strawberry.ID
    title: str
    description: str
    status: RequestStatus
    urgency: Urgency
    client_code: str
    country: str
    region: str
    desk_code: str
    products: list[ProductCode]
    details: JSON
    submitted_by: str
    created_at: datetime
    updated_at: datetime
    version: int
    routings: list[Routing]

    @strawberry.field
    async def desk(self, info: GatewayInfo) -> Desk | None:
        data = await context_of(info).loader(desks_by_code).load(self.desk_code)
        return Desk(code=data["code"], name=data["name"], region=data["region"]) if data else None

    @strawberry.field(description="The products service's engagements for this request")
    async def engagements(self, info: GatewayInfo) -> list[Engagement]:
        return await engagements_of(info, str(self.id))

    @strawberry.field(description="What happened to the request, oldest first")
    async def timeline(self, info: GatewayInfo) -> list[TimelineEntry]:
        items = await context_of(info).loader(timelines_by_request).load(str(self.id))
        return [
            TimelineEntry(
                at=datetime.fromisoformat(item["at"]),
                event_type=item["event_type"],
                actor=item["actor"],
                summary=item["summary"],
            )
            for item in items
        ]

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> ServiceRequest:
        return cls(
            id=strawberry.ID(data["id"]),
            title=data["title"],
            description=data["description"],
            status=RequestStatus(data["status"]),
            urgency=Urgency(data["urgency"]),
            client_code=data["client_code"],
            country=data["country"],
            region=data["region"],
            desk_code=data["desk_code"],
            products=[ProductCode(code) for code in data["products"]],
            details=data["details"],
            submitted_by=data["submitted_by"],
            created_at=datetime.fromisoformat(data["created_at"]),
            updated_at=datetime.fromisoformat(data["updated_at"]),
            version=data["version"],
            routings=[Routing.from_service(item) for item in data["routings"]],
        )


@strawberry.type
class ServiceRequestEdge:
    cursor: str
    node: ServiceRequest


@strawberry.type
class ServiceRequestConnection:
    edges: list[ServiceRequestEdge]
    page_info: PageInfo


@strawberry.input
class SubmitRequestInput:
    title: str
    description: str = ""
    products: list[ProductCode] = strawberry.field(default_factory=list)
    urgency: Urgency = Urgency.ROUTINE
    details: JSON | None = strawberry.field(
        default=None, description="Per product code, the details its request form asks for"
    )
    client_code: str | None = strawberry.field(
        default=None, description="Desk officers and admins submit on behalf of a client"
    )


async def fetch_request(context: GatewayContext, request_id: str) -> ServiceRequest:
    data = await context.clients.desks.get(f"/requests/{request_id}", context.authorization)
    return ServiceRequest.from_service(data)


@strawberry.type
class RequestsQuery:
    @strawberry.field(description="One request, if the caller may see it")
    async def request(self, info: GatewayInfo, id: strawberry.ID) -> ServiceRequest:
        return await fetch_request(context_of(info), str(id))

    @strawberry.field(
        description="The caller's requests (a desk officer: the desk's), newest first"
    )
    async def my_requests(
        self,
        info: GatewayInfo,
        first: int = 20,
        after: str | None = None,
        status: list[RequestStatus] | None = None,
    ) -> ServiceRequestConnection:
        check_page_size(first)
        context = context_of(info)
        params: dict[str, Any] = {"first": first}
        if after:
            params["after"] = after
        if status:
            params["status"] = [value.value for value in status]
        page = await context.clients.desks.get("/requests", context.authorization, params=params)
        edges = [
            ServiceRequestEdge(
                cursor=edge["cursor"], node=ServiceRequest.from_service(edge["node"])
            )
            for edge in page["edges"]
        ]
        return ServiceRequestConnection(
            edges=edges,
            page_info=PageInfo(has_next_page=page["has_next_page"], end_cursor=page["end_cursor"]),
        )


@strawberry.type
class RequestsMutation:
    @strawberry.mutation(description="Knock on the one door: submit a request to your desk")
    async def submit_request(self, info: GatewayInfo, input: SubmitRequestInput) -> ServiceRequest:
        if input.details is not None and not isinstance(input.details, dict):
            raise bad_input("details must be an object keyed by product code", "INVALID_DETAILS")
        context = context_of(info)
        body = {
            "title": input.title,
            "description": input.description,
            "products": [str(code) for code in input.products],
            "urgency": input.urgency.value,
            "details": input.details or {},
            "client_code": input.client_code,
        }
        data = await context.clients.desks.post("/requests", context.authorization, body)
        return ServiceRequest.from_service(data)


# The events after which a subscriber is sent the request's new state.
REQUEST_UPDATES = (RequestStatusChanged, RequestAssigned, RequestSlaBreached, RequestOverlapFlagged)


@strawberry.type
class RequestsSubscription:
    @strawberry.subscription(
        description="The request's latest state each time it changes (status, owner, SLA)"
    )
    async def request_updated(
        self, info: GatewayInfo, id: strawberry.ID
    ) -> AsyncGenerator[ServiceRequest, None]:
        context = context_of(info)
        request_id = str(id)
        async with context.live_events().subscribe(
            REQUEST_UPDATES, lambda event: event.key() == request_id
        ) as updates:
            # Fetched with the caller's token after subscribing: the desks service refuses
            # a request the caller may not see, and no change slips in between.
            await fetch_request(context, request_id)
            async for _update in updates:
                # The desks service decides again on every push what the caller may see.
                yield await fetch_request(context, request_id)
