"""The products part of the schema: the catalog, engagements, the expert roster and the
provider's figures; provider officers' actions as mutations."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import date, datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.scalars import JSON

from contracts.events import (
    EngagementAccepted,
    EngagementDeclined,
    EngagementDelivered,
    EngagementProposed,
    EngagementStatusChanged,
    Event,
)
from gateway.clients import ServiceError, service_path
from gateway.context import GatewayContext, group_by
from gateway.schema.common import (
    EXPERT_ID,
    GatewayInfo,
    PageInfo,
    ProductCode,
    Urgency,
    bad_input,
    check_page_size,
    code_arg,
    context_of,
    optional_time,
    uuid_arg,
)
from shared.auth import Role


@strawberry.type
class Product:
    code: ProductCode
    name: str
    provider_unit: str
    description: str
    request_form: JSON
    capacity: int
    auto_accept: bool
    sla_targets: JSON = strawberry.field(description="Target days per stage, e.g. deploy: 45")
    active: bool
    revision: int

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> Product:
        return cls(
            code=ProductCode(data["code"]),
            name=data["name"],
            provider_unit=data["provider_unit"],
            description=data["description"],
            request_form=data["request_form"],
            capacity=data["capacity"],
            auto_accept=data["auto_accept"],
            sla_targets=data["sla_targets"],
            active=data["active"],
            revision=data["revision"],
        )


@strawberry.type
class Deliverable:
    id: strawberry.ID
    title: str
    kind: str
    reference: str
    delivered_on: date
    recorded_by: str
    recorded_at: datetime

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> Deliverable:
        return cls(
            id=strawberry.ID(data["id"]),
            title=data["title"],
            kind=data["kind"],
            reference=data["reference"],
            delivered_on=date.fromisoformat(data["delivered_on"]),
            recorded_by=data["recorded_by"],
            recorded_at=datetime.fromisoformat(data["recorded_at"]),
        )


@strawberry.type
class ExpertAssignment:
    id: strawberry.ID
    expert_id: str
    expert_name: str
    starts_on: date
    ends_on: date
    assigned_by: str

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> ExpertAssignment:
        return cls(
            id=strawberry.ID(data["id"]),
            expert_id=data["expert_id"],
            expert_name=data["expert_name"],
            starts_on=date.fromisoformat(data["starts_on"]),
            ends_on=date.fromisoformat(data["ends_on"]),
            assigned_by=data["assigned_by"],
        )


@strawberry.type
class Engagement:
    id: strawberry.ID
    request_id: strawberry.ID
    product_code: ProductCode
    status: str = strawberry.field(
        description="proposed, accepted, declined, planning, deployed, delivered, closed "
        "or withdrawn"
    )
    client_code: str
    client_kind: str
    desk_code: str
    country: str
    region: str
    title: str
    description: str
    urgency: Urgency
    details: JSON = strawberry.field(description="The request's details for this product")
    decline_reason_code: str | None
    decline_reason: str | None
    decided_by: str | None
    accepted_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int = strawberry.field(description="Pass as expectedVersion when acting on it")
    due_at: datetime | None = strawberry.field(
        description="When the next step is due under the product's SLA targets"
    )
    overdue: bool
    deliverables: list[Deliverable]
    assignments: list[ExpertAssignment]

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> Engagement:
        return cls(
            id=strawberry.ID(data["id"]),
            request_id=strawberry.ID(data["request_id"]),
            product_code=ProductCode(data["product_code"]),
            status=data["status"],
            client_code=data["client_code"],
            client_kind=data["client_kind"],
            desk_code=data["desk_code"],
            country=data["country"],
            region=data["region"],
            title=data["title"],
            description=data["description"],
            urgency=Urgency(data["urgency"]),
            details=data["details"],
            decline_reason_code=data["decline_reason_code"],
            decline_reason=data["decline_reason"],
            decided_by=data["decided_by"],
            accepted_at=optional_time(data["accepted_at"]),
            delivered_at=optional_time(data["delivered_at"]),
            created_at=datetime.fromisoformat(data["created_at"]),
            updated_at=datetime.fromisoformat(data["updated_at"]),
            version=data["version"],
            due_at=optional_time(data["due_at"]),
            overdue=data["overdue"],
            deliverables=[Deliverable.from_service(item) for item in data["deliverables"]],
            assignments=[ExpertAssignment.from_service(item) for item in data["assignments"]],
        )


@strawberry.type
class EngagementEdge:
    cursor: str
    node: Engagement


@strawberry.type
class EngagementConnection:
    edges: list[EngagementEdge]
    page_info: PageInfo


@strawberry.type
class AvailabilityWindow:
    starts_on: date
    ends_on: date


@strawberry.type
class ExpertBooking:
    engagement_id: strawberry.ID
    starts_on: date
    ends_on: date


@strawberry.type
class Expert:
    id: strawberry.ID
    name: str
    skills: list[str]
    languages: list[str] = strawberry.field(description="UN official languages: ar zh en fr ru es")
    availability: list[AvailabilityWindow]
    bookings: list[ExpertBooking]
    version: int = strawberry.field(description="Pass as expectedVersion to change availability")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> Expert:
        return cls(
            id=strawberry.ID(data["id"]),
            version=data["version"],
            name=data["name"],
            skills=data["skills"],
            languages=data["languages"],
            availability=[
                AvailabilityWindow(
                    starts_on=date.fromisoformat(w["starts_on"]),
                    ends_on=date.fromisoformat(w["ends_on"]),
                )
                for w in data["availability"]
            ],
            bookings=[
                ExpertBooking(
                    engagement_id=strawberry.ID(b["engagement_id"]),
                    starts_on=date.fromisoformat(b["starts_on"]),
                    ends_on=date.fromisoformat(b["ends_on"]),
                )
                for b in data["bookings"]
            ],
        )


@strawberry.type
class ProductUtilisation:
    product_code: ProductCode
    capacity: int
    active: int = strawberry.field(description="Engagements holding a slot")
    utilisation: float = strawberry.field(description="active / capacity")
    by_status: JSON = strawberry.field(description="Engagement counts by status")


@strawberry.type
class UnmetDemand:
    product_code: ProductCode
    declined: int
    declined_by_reason: JSON
    recorded_by_desks: int
    recorded_by_reason: JSON
    requests: int = strawberry.field(description="Distinct requests left unserved")


@strawberry.enum
class DeclineReason(Enum):
    CAPACITY = "capacity"
    OUT_OF_MANDATE = "out_of_mandate"
    NEEDS_PARTNER = "needs_partner"
    INSUFFICIENT_INFORMATION = "insufficient_information"
    OTHER = "other"


@strawberry.input
class DeliverableInput:
    title: str
    kind: str = strawberry.field(description="report, assessment, training, advisory_note, …")
    reference: str = strawberry.field(description="URL or document symbol")
    delivered_on: date


@strawberry.input
class ProductInput:
    code: ProductCode
    name: str
    provider_unit: str
    description: str = ""
    request_form: JSON
    capacity: int
    auto_accept: bool = True
    sla_targets: JSON | None = None
    active: bool = True


@strawberry.input
class ProductChangeInput:
    expected_revision: int
    name: str | None = None
    provider_unit: str | None = None
    description: str | None = None
    request_form: JSON | None = None
    capacity: int | None = None
    auto_accept: bool | None = None
    sla_targets: JSON | None = None
    active: bool | None = None


@strawberry.input
class AvailabilityInput:
    starts_on: date
    ends_on: date


@strawberry.input
class ExpertInput:
    id: str
    name: str
    skills: list[str] = strawberry.field(default_factory=list)
    languages: list[str]
    availability: list[AvailabilityInput] = strawberry.field(default_factory=list)


async def engagements_by_request(
    context: GatewayContext, request_ids: list[str]
) -> list[list[dict[str, Any]]]:
    items = await context.clients.products.get_list(
        service_path("engagements"),
        context.authorization,
        params={"request_id": request_ids, "limit": 1000},
    )
    return group_by(items, request_ids, "request_id")


async def engagements_of(info: GatewayInfo, request_id: str) -> list[Engagement]:
    items = await context_of(info).loader(engagements_by_request).load(request_id)
    return [Engagement.from_service(item) for item in items]


def _dict_or_refuse(value: Any, name: str) -> dict[str, Any] | None:
    if value is not None and not isinstance(value, dict):
        raise bad_input(f"{name} must be an object")
    return value


@strawberry.type
class ProductsQuery:
    @strawberry.field(description="The service catalog, with each product's request form")
    async def products(self, info: GatewayInfo) -> list[Product]:
        context = context_of(info)
        items = await context.clients.products.get_list(
            service_path("products"), context.authorization
        )
        return [Product.from_service(item) for item in items]

    @strawberry.field(description="One product of the catalog")
    async def product(self, info: GatewayInfo, code: ProductCode) -> Product:
        context = context_of(info)
        data = await context.clients.products.get(
            service_path("products", code_arg(code)), context.authorization
        )
        return Product.from_service(data)

    @strawberry.field(description="One engagement, if the caller may see it")
    async def engagement(self, info: GatewayInfo, id: strawberry.ID) -> Engagement:
        context = context_of(info)
        data = await context.clients.products.get(
            service_path("engagements", uuid_arg(id)), context.authorization
        )
        return Engagement.from_service(data)

    @strawberry.field(
        description="A provider's engagements across every desk and client, oldest first"
    )
    async def provider_queue(
        self,
        info: GatewayInfo,
        first: int = 20,
        after: str | None = None,
        status: list[str] | None = None,
        product: list[ProductCode] | None = None,
        urgency: list[Urgency] | None = None,
        desk: list[str] | None = None,
        client: list[str] | None = None,
    ) -> EngagementConnection:
        check_page_size(first)
        context = context_of(info)
        params: dict[str, Any] = {"first": first}
        filters: dict[str, Any] = {
            "after": after,
            "status": status,
            "product": [str(code) for code in product] if product else None,
            "urgency": [value.value for value in urgency] if urgency else None,
            "desk": desk,
            "client": client,
        }
        params.update({name: value for name, value in filters.items() if value})
        page = await context.clients.products.get(
            service_path("queue"), context.authorization, params=params
        )
        return EngagementConnection(
            edges=[
                EngagementEdge(cursor=edge["cursor"], node=Engagement.from_service(edge["node"]))
                for edge in page["edges"]
            ],
            page_info=PageInfo(has_next_page=page["has_next_page"], end_cursor=page["end_cursor"]),
        )

    @strawberry.field(description="Capacity and utilisation per product")
    async def product_utilisation(self, info: GatewayInfo) -> list[ProductUtilisation]:
        context = context_of(info)
        items = await context.clients.products.get_list(
            service_path("utilisation"), context.authorization
        )
        return [
            ProductUtilisation(
                product_code=ProductCode(item["product_code"]),
                capacity=item["capacity"],
                active=item["active"],
                utilisation=item["utilisation"],
                by_status=item["by_status"],
            )
            for item in items
        ]

    @strawberry.field(description="Demand no provider met, per product")
    async def unmet_demand(self, info: GatewayInfo) -> list[UnmetDemand]:
        context = context_of(info)
        items = await context.clients.products.get_list(
            service_path("unmet-demand"), context.authorization
        )
        return [
            UnmetDemand(
                product_code=ProductCode(item["product_code"]),
                declined=item["declined"],
                declined_by_reason=item["declined_by_reason"],
                recorded_by_desks=item["recorded_by_desks"],
                recorded_by_reason=item["recorded_by_reason"],
                requests=item["requests"],
            )
            for item in items
        ]

    @strawberry.field(description="The expert roster; with freeFrom/freeTo, who could go then")
    async def experts(
        self,
        info: GatewayInfo,
        skill: str | None = None,
        language: str | None = None,
        free_from: date | None = None,
        free_to: date | None = None,
    ) -> list[Expert]:
        context = context_of(info)
        filters = {
            "skill": skill,
            "language": language,
            "free_from": free_from.isoformat() if free_from else None,
            "free_to": free_to.isoformat() if free_to else None,
        }
        params = {name: value for name, value in filters.items() if value}
        items = await context.clients.products.get_list(
            service_path("experts"), context.authorization, params=params
        )
        return [Expert.from_service(item) for item in items]


async def _act(
    info: GatewayInfo, engagement_id: strawberry.ID, action: str, body: dict[str, Any]
) -> Engagement:
    context = context_of(info)
    data = await context.clients.products.post(
        service_path("engagements", uuid_arg(engagement_id), action), context.authorization, body
    )
    return Engagement.from_service(data)


@strawberry.type
class ProductsMutation:
    @strawberry.mutation(description="Take a proposed engagement on (needs a free slot)")
    async def accept_engagement(
        self, info: GatewayInfo, id: strawberry.ID, expected_version: int
    ) -> Engagement:
        return await _act(info, id, "accept", {"expected_version": expected_version})

    @strawberry.mutation(description="Decline a proposed engagement, with a reason code")
    async def decline_engagement(
        self,
        info: GatewayInfo,
        id: strawberry.ID,
        expected_version: int,
        reason_code: DeclineReason,
        reason: str,
    ) -> Engagement:
        body = {
            "expected_version": expected_version,
            "reason_code": reason_code.value,
            "reason": reason,
        }
        return await _act(info, id, "decline", body)

    @strawberry.mutation(description="accepted → planning")
    async def start_planning(
        self, info: GatewayInfo, id: strawberry.ID, expected_version: int
    ) -> Engagement:
        return await _act(info, id, "plan", {"expected_version": expected_version})

    @strawberry.mutation(description="planning → deployed")
    async def deploy_engagement(
        self, info: GatewayInfo, id: strawberry.ID, expected_version: int
    ) -> Engagement:
        return await _act(info, id, "deploy", {"expected_version": expected_version})

    @strawberry.mutation(description="Record a deliverable handed over on the engagement")
    async def record_deliverable(
        self,
        info: GatewayInfo,
        id: strawberry.ID,
        expected_version: int,
        deliverable: DeliverableInput,
    ) -> Engagement:
        body = {
            "expected_version": expected_version,
            "title": deliverable.title,
            "kind": deliverable.kind,
            "reference": deliverable.reference,
            "delivered_on": deliverable.delivered_on.isoformat(),
        }
        return await _act(info, id, "deliverables", body)

    @strawberry.mutation(description="deployed → delivered (needs at least one deliverable)")
    async def deliver_engagement(
        self, info: GatewayInfo, id: strawberry.ID, expected_version: int
    ) -> Engagement:
        return await _act(info, id, "deliver", {"expected_version": expected_version})

    @strawberry.mutation(description="delivered → closed")
    async def close_engagement(
        self, info: GatewayInfo, id: strawberry.ID, expected_version: int
    ) -> Engagement:
        return await _act(info, id, "close", {"expected_version": expected_version})

    @strawberry.mutation(description="Book an expert on the engagement for a range of days")
    async def assign_expert(
        self,
        info: GatewayInfo,
        id: strawberry.ID,
        expected_version: int,
        expert_id: str,
        starts_on: date,
        ends_on: date,
    ) -> Engagement:
        body = {
            "expected_version": expected_version,
            "expert_id": expert_id,
            "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat(),
        }
        return await _act(info, id, "assignments", body)

    @strawberry.mutation(description="Release an expert from the engagement")
    async def release_expert(
        self,
        info: GatewayInfo,
        id: strawberry.ID,
        expected_version: int,
        assignment_id: strawberry.ID,
    ) -> Engagement:
        context = context_of(info)
        data = await context.clients.products.delete(
            service_path(
                "engagements", uuid_arg(id), "assignments", uuid_arg(assignment_id, "assignmentId")
            ),
            context.authorization,
            params={"expected_version": expected_version},
        )
        return Engagement.from_service(data)

    @strawberry.mutation(description="Add a product to the catalog (admins)")
    async def create_product(self, info: GatewayInfo, input: ProductInput) -> Product:
        context = context_of(info)
        body = {
            "code": str(input.code),
            "name": input.name,
            "provider_unit": input.provider_unit,
            "description": input.description,
            "request_form": _dict_or_refuse(input.request_form, "requestForm"),
            "capacity": input.capacity,
            "auto_accept": input.auto_accept,
            "sla_targets": _dict_or_refuse(input.sla_targets, "slaTargets") or {},
            "active": input.active,
        }
        data = await context.clients.products.post(
            service_path("products"), context.authorization, body
        )
        return Product.from_service(data)

    @strawberry.mutation(description="Edit a product (admins, or its provider): a new revision")
    async def update_product(
        self, info: GatewayInfo, code: ProductCode, input: ProductChangeInput
    ) -> Product:
        context = context_of(info)
        fields = {
            "name": input.name,
            "provider_unit": input.provider_unit,
            "description": input.description,
            "request_form": _dict_or_refuse(input.request_form, "requestForm"),
            "capacity": input.capacity,
            "auto_accept": input.auto_accept,
            "sla_targets": _dict_or_refuse(input.sla_targets, "slaTargets"),
            "active": input.active,
        }
        body = {
            "expected_version": input.expected_revision,
            **{name: value for name, value in fields.items() if value is not None},
        }
        data = await context.clients.products.patch(
            service_path("products", code_arg(code)), context.authorization, body
        )
        return Product.from_service(data)

    @strawberry.mutation(
        description="Replace an expert's availability windows (admins); bookings must still fit"
    )
    async def set_expert_availability(
        self,
        info: GatewayInfo,
        id: strawberry.ID,
        expected_version: int,
        availability: list[AvailabilityInput],
    ) -> Expert:
        context = context_of(info)
        body = {
            "expected_version": expected_version,
            "availability": [
                {"starts_on": w.starts_on.isoformat(), "ends_on": w.ends_on.isoformat()}
                for w in availability
            ],
        }
        data = await context.clients.products.put(
            service_path("experts", code_arg(id, EXPERT_ID, "id"), "availability"),
            context.authorization,
            body,
        )
        return Expert.from_service(data)

    @strawberry.mutation(description="Add an expert to the roster (admins)")
    async def add_expert(self, info: GatewayInfo, input: ExpertInput) -> Expert:
        context = context_of(info)
        body = {
            "id": input.id,
            "name": input.name,
            "skills": input.skills,
            "languages": input.languages,
            "availability": [
                {"starts_on": w.starts_on.isoformat(), "ends_on": w.ends_on.isoformat()}
                for w in input.availability
            ],
        }
        data = await context.clients.products.post(
            service_path("experts"), context.authorization, body
        )
        return Expert.from_service(data)


# The events after which a subscriber is sent the engagement's new state.
ENGAGEMENT_UPDATES = (
    EngagementProposed,
    EngagementAccepted,
    EngagementDeclined,
    EngagementStatusChanged,
    EngagementDelivered,
)


@strawberry.type
class ProductsSubscription:
    @strawberry.subscription(
        description="Each engagement the caller may see, every time it changes: a provider's "
        "live queue (new proposals, acceptances, moves, deliveries)"
    )
    async def engagement_updated(
        self, info: GatewayInfo, product: list[ProductCode] | None = None
    ) -> AsyncGenerator[Engagement, None]:
        context = context_of(info)
        wanted = {str(code) for code in product or []}
        principal = context.principal
        # A provider's own products are known here: others' events are not even fetched.
        served = set(principal.products) if principal and principal.role is Role.provider else None

        def relevant(event: Event) -> bool:
            code = getattr(event, "product_code", None)
            return (not wanted or code in wanted) and (served is None or code in served)

        async with context.live_events().subscribe(ENGAGEMENT_UPDATES, relevant) as updates:
            async for update in updates:
                try:
                    data = await context.clients.products.get(
                        service_path("engagements", update.key()), context.authorization
                    )
                except ServiceError as refusal:
                    # The products service decides what the caller may see, on every push.
                    if refusal.code == "ENGAGEMENT_NOT_FOUND":
                        continue
                    raise
                yield Engagement.from_service(data)
