"""The products part of the schema: the catalog and engagements."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from gateway.context import GatewayContext, group_by
from gateway.schema.common import GatewayInfo, ProductCode, context_of


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
class Engagement:
    id: strawberry.ID
    product_code: ProductCode
    status: str
    decline_reason_code: str | None
    decline_reason: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> Engagement:
        return cls(
            id=strawberry.ID(data["id"]),
            product_code=ProductCode(data["product_code"]),
            status=data["status"],
            decline_reason_code=data["decline_reason_code"],
            decline_reason=data["decline_reason"],
            created_at=datetime.fromisoformat(data["created_at"]),
            updated_at=datetime.fromisoformat(data["updated_at"]),
        )


async def engagements_by_request(
    context: GatewayContext, request_ids: list[str]
) -> list[list[dict[str, Any]]]:
    items = await context.clients.products.get(
        "/engagements",
        context.authorization,
        params={"request_id": request_ids, "limit": 1000},
    )
    return group_by(items, request_ids, "request_id")


async def engagements_of(info: GatewayInfo, request_id: str) -> list[Engagement]:
    items = await context_of(info).loader(engagements_by_request).load(request_id)
    return [Engagement.from_service(item) for item in items]


@strawberry.type
class ProductsQuery:
    @strawberry.field(description="The service catalog")
    async def products(self, info: GatewayInfo) -> list[Product]:
        context = context_of(info)
        items = await context.clients.products.get("/products", context.authorization)
        return [Product.from_service(item) for item in items]
