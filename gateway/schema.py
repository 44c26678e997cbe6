"""The one door: the GraphQL schema clients, desks and providers call.

Resolvers stay thin: they forward the caller's token to the owning service
and shape its answer. Every fan-out goes through a dataloader.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from enum import Enum
from typing import Any, NewType

import strawberry
from graphql import EnumValueNode, GraphQLError, StringValueNode, ValueNode
from strawberry.extensions import SchemaExtension
from strawberry.scalars import JSON
from strawberry.types import ExecutionResult, Info

from gateway.clients import ServiceError
from gateway.context import GatewayContext


def _parse_product_code(node: ValueNode, _variables: Any = None) -> str:
    # Accept both `ELECTORAL_ASSISTANCE` and "ELECTORAL_ASSISTANCE": the catalog is
    # data, so codes cannot be a static GraphQL enum, yet read like one.
    if isinstance(node, EnumValueNode | StringValueNode):
        return node.value
    raise GraphQLError("a product code is a name such as ELECTORAL_ASSISTANCE")


ProductCode = NewType("ProductCode", str)
PRODUCT_CODE_SCALAR = strawberry.scalar(
    name="ProductCode",
    description="A product code from the catalog, e.g. ELECTORAL_ASSISTANCE",
    serialize=str,
    parse_value=str,
    parse_literal=_parse_product_code,
)


@strawberry.enum
class Urgency(Enum):
    ROUTINE = "routine"
    PRIORITY = "priority"
    IMMEDIATE = "immediate"


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


def context_of(info: Info[GatewayContext, None]) -> GatewayContext:
    return info.context


def as_graphql_error(error: ServiceError) -> GraphQLError:
    return GraphQLError(error.message, extensions={"code": error.code, **error.details})


@strawberry.type
class Product:
    code: ProductCode
    name: str
    provider_unit: str
    description: str
    request_form: JSON
    capacity: int
    active: bool

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> Product:
        return cls(
            code=ProductCode(data["code"]),
            name=data["name"],
            provider_unit=data["provider_unit"],
            description=data["description"],
            request_form=data["request_form"],
            capacity=data["capacity"],
            active=data["active"],
        )


@strawberry.type
class Desk:
    code: str
    name: str
    region: str


@strawberry.type
class Engagement:
    id: strawberry.ID
    product_code: ProductCode
    status: str
    decline_reason_code: str | None
    decline_reason: str | None
    created_at: datetime
    updated_at: datetime


@strawberry.type
class Routing:
    id: strawberry.ID
    product_code: ProductCode
    status: str
    engagement_id: strawberry.ID | None
    decline_reason: str | None
    routed_at: datetime


@strawberry.type
class TimelineEntry:
    at: datetime
    event_type: str
    actor: str
    summary: str


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
    async def desk(self, info: Info[GatewayContext, None]) -> Desk | None:
        data = await context_of(info).loaders.desk_by_code.load(self.desk_code)
        return Desk(code=data["code"], name=data["name"], region=data["region"]) if data else None

    @strawberry.field(description="The products service's engagements for this request")
    async def engagements(self, info: Info[GatewayContext, None]) -> list[Engagement]:
        items = await context_of(info).loaders.engagements_by_request.load(str(self.id))
        return [
            Engagement(
                id=strawberry.ID(item["id"]),
                product_code=ProductCode(item["product_code"]),
                status=item["status"],
                decline_reason_code=item["decline_reason_code"],
                decline_reason=item["decline_reason"],
                created_at=datetime.fromisoformat(item["created_at"]),
                updated_at=datetime.fromisoformat(item["updated_at"]),
            )
            for item in items
        ]

    @strawberry.field(description="What happened to the request, oldest first")
    async def timeline(self, info: Info[GatewayContext, None]) -> list[TimelineEntry]:
        items = await context_of(info).loaders.timeline_by_request.load(str(self.id))
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
            routings=[
                Routing(
                    id=strawberry.ID(item["id"]),
                    product_code=ProductCode(item["product_code"]),
                    status=item["status"],
                    engagement_id=strawberry.ID(item["engagement_id"])
                    if item["engagement_id"]
                    else None,
                    decline_reason=item["decline_reason"],
                    routed_at=datetime.fromisoformat(item["routed_at"]),
                )
                for item in data["routings"]
            ],
        )


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


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


@strawberry.type
class Query:
    @strawberry.field(description="The service catalog")
    async def products(self, info: Info[GatewayContext, None]) -> list[Product]:
        context = context_of(info)
        items = await context.clients.products.get("/products", context.authorization)
        return [Product.from_service(item) for item in items]

    @strawberry.field(description="One request, if the caller may see it")
    async def request(self, info: Info[GatewayContext, None], id: strawberry.ID) -> ServiceRequest:
        context = context_of(info)
        data = await context.clients.desks.get(f"/requests/{id}", context.authorization)
        return ServiceRequest.from_service(data)

    @strawberry.field(
        description="The caller's requests (a desk officer: the desk's), newest first"
    )
    async def my_requests(
        self,
        info: Info[GatewayContext, None],
        first: int = 20,
        after: str | None = None,
        status: list[RequestStatus] | None = None,
    ) -> ServiceRequestConnection:
        if not 1 <= first <= 100:
            raise GraphQLError(
                "first must be between 1 and 100", extensions={"code": "BAD_USER_INPUT"}
            )
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
class Mutation:
    @strawberry.mutation(description="Knock on the one door: submit a request to your desk")
    async def submit_request(
        self, info: Info[GatewayContext, None], input: SubmitRequestInput
    ) -> ServiceRequest:
        if input.details is not None and not isinstance(input.details, dict):
            raise GraphQLError(
                "details must be an object keyed by product code",
                extensions={"code": "INVALID_DETAILS"},
            )
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


class Authenticated(SchemaExtension):
    """Refuse the whole operation, introspection included, without a valid token."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context.context
        error = getattr(context, "auth_error", None)
        if error is not None:
            self.execution_context.result = ExecutionResult(
                data=None, errors=[GraphQLError(error.message, extensions={"code": error.code})]
            )
        yield
