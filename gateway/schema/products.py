"""The products part of the schema: the catalog, engagements, the expert roster and the
provider's figures; provider officers' actions as mutations."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import date
from typing import Any

import strawberry
from strawberry.scalars import JSON

from contracts.enums import DeclineReason, Urgency
from contracts.events import (
    EngagementAccepted,
    EngagementDeclined,
    EngagementDelivered,
    EngagementProposed,
    EngagementStatusChanged,
    Event,
)
from contracts.http.common import ExpectedVersion
from contracts.http.products.requests import (
    AssignmentCreate,
    AvailabilityChange,
    Decline,
    DeliverableCreate,
    ExpertCreate,
    ProductChange,
    ProductCreate,
)
from contracts.http.products.responses import (
    AssignmentPublic,
    Booking,
    DeliverablePublic,
    EngagementPage,
    EngagementPublic,
    ExpertPublic,
    ProductPublic,
    UnmetDemandByProduct,
)
from contracts.http.products.responses import AvailabilityWindow as AvailabilityWindowPublic
from contracts.http.products.responses import ProductUtilisation as ProductUtilisationPublic
from gateway.clients import ServiceError, service_path
from gateway.context import GatewayContext, group_by_request
from gateway.schema.common import (
    EXPERT_ID,
    GatewayInfo,
    PageInfo,
    ProductCode,
    all_from_contract,
    bad_input,
    check_page_size,
    code_arg,
    context_of,
    derived,
    from_contract,
    uuid_arg,
)
from shared.auth import Role


@derived(ProductPublic)
class Product:
    code: ProductCode
    request_form: JSON
    sla_targets: JSON


@derived(DeliverablePublic)
class Deliverable:
    id: strawberry.ID


@derived(AssignmentPublic)
class ExpertAssignment:
    id: strawberry.ID


@derived(EngagementPublic)
class Engagement:
    id: strawberry.ID
    request_id: strawberry.ID
    product_code: ProductCode
    details: JSON
    routing_id: strawberry.ID


@strawberry.type
class EngagementEdge:
    cursor: str
    node: Engagement


@strawberry.type
class EngagementConnection:
    edges: list[EngagementEdge]
    page_info: PageInfo


@derived(AvailabilityWindowPublic)
class AvailabilityWindow:
    pass


@derived(Booking)
class ExpertBooking:
    engagement_id: strawberry.ID


@derived(ExpertPublic)
class Expert:
    id: strawberry.ID


@derived(ProductUtilisationPublic)
class ProductUtilisation:
    product_code: ProductCode
    by_status: JSON


@derived(UnmetDemandByProduct)
class UnmetDemand:
    product_code: ProductCode
    declined_by_reason: JSON
    recorded_by_reason: JSON


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
    expected_version: int = strawberry.field(description="The product's revision you saw")
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
) -> list[list[EngagementPublic]]:
    items = await context.clients.products.get(
        service_path("engagements"),
        context.authorization,
        list[EngagementPublic],
        params={"request_id": request_ids, "limit": 1000},
    )
    return group_by_request(items, request_ids)


async def engagements_of(info: GatewayInfo, request_id: str) -> list[Engagement]:
    items = await context_of(info).loader(engagements_by_request).load(request_id)
    return all_from_contract(Engagement, items)


def _object(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise bad_input(f"{name} must be an object")
    return value


def _dict_or_refuse(value: Any, name: str) -> dict[str, Any] | None:
    return None if value is None else _object(value, name)


def _windows(windows: list[AvailabilityInput]) -> list[AvailabilityWindowPublic]:
    return [AvailabilityWindowPublic(starts_on=w.starts_on, ends_on=w.ends_on) for w in windows]


@strawberry.type
class ProductsQuery:
    @strawberry.field(description="The service catalog, with each product's request form")
    async def products(self, info: GatewayInfo) -> list[Product]:
        context = context_of(info)
        items = await context.clients.products.get(
            service_path("products"), context.authorization, list[ProductPublic]
        )
        return all_from_contract(Product, items)

    @strawberry.field(description="One product of the catalog")
    async def product(self, info: GatewayInfo, code: ProductCode) -> Product:
        context = context_of(info)
        answer = await context.clients.products.get(
            service_path("products", code_arg(code)), context.authorization, ProductPublic
        )
        return from_contract(Product, answer)

    @strawberry.field(description="One engagement, if the caller may see it")
    async def engagement(self, info: GatewayInfo, id: strawberry.ID) -> Engagement:
        context = context_of(info)
        answer = await context.clients.products.get(
            service_path("engagements", uuid_arg(id)), context.authorization, EngagementPublic
        )
        return from_contract(Engagement, answer)

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
            service_path("queue"), context.authorization, EngagementPage, params=params
        )
        return EngagementConnection(
            edges=[
                EngagementEdge(cursor=edge.cursor, node=from_contract(Engagement, edge.node))
                for edge in page.edges
            ],
            page_info=PageInfo.of(page),
        )

    @strawberry.field(description="Capacity and utilisation per product")
    async def product_utilisation(self, info: GatewayInfo) -> list[ProductUtilisation]:
        context = context_of(info)
        items = await context.clients.products.get(
            service_path("utilisation"), context.authorization, list[ProductUtilisationPublic]
        )
        return all_from_contract(ProductUtilisation, items)

    @strawberry.field(description="Demand no provider met, per product")
    async def unmet_demand(self, info: GatewayInfo) -> list[UnmetDemand]:
        context = context_of(info)
        items = await context.clients.products.get(
            service_path("unmet-demand"), context.authorization, list[UnmetDemandByProduct]
        )
        return all_from_contract(UnmetDemand, items)

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
        items = await context.clients.products.get(
            service_path("experts"), context.authorization, list[ExpertPublic], params=params
        )
        return all_from_contract(Expert, items)


async def _act(
    info: GatewayInfo, engagement_id: strawberry.ID, action: str, body: ExpectedVersion
) -> Engagement:
    context = context_of(info)
    answer = await context.clients.products.post(
        service_path("engagements", uuid_arg(engagement_id), action),
        context.authorization,
        body,
        EngagementPublic,
    )
    return from_contract(Engagement, answer)


@strawberry.type
class ProductsMutation:
    @strawberry.mutation(description="Take a proposed engagement on (needs a free slot)")
    async def accept_engagement(
        self, info: GatewayInfo, id: strawberry.ID, expected_version: int
    ) -> Engagement:
        return await _act(info, id, "accept", ExpectedVersion(expected_version=expected_version))

    @strawberry.mutation(description="Decline a proposed engagement, with a reason code")
    async def decline_engagement(
        self,
        info: GatewayInfo,
        id: strawberry.ID,
        expected_version: int,
        reason_code: DeclineReason,
        reason: str,
    ) -> Engagement:
        body = Decline(expected_version=expected_version, reason_code=reason_code, reason=reason)
        return await _act(info, id, "decline", body)

    @strawberry.mutation(description="accepted → planning")
    async def start_planning(
        self, info: GatewayInfo, id: strawberry.ID, expected_version: int
    ) -> Engagement:
        return await _act(info, id, "plan", ExpectedVersion(expected_version=expected_version))

    @strawberry.mutation(description="planning → deployed")
    async def deploy_engagement(
        self, info: GatewayInfo, id: strawberry.ID, expected_version: int
    ) -> Engagement:
        return await _act(info, id, "deploy", ExpectedVersion(expected_version=expected_version))

    @strawberry.mutation(description="Record a deliverable handed over on the engagement")
    async def record_deliverable(
        self,
        info: GatewayInfo,
        id: strawberry.ID,
        expected_version: int,
        deliverable: DeliverableInput,
    ) -> Engagement:
        body = DeliverableCreate(
            expected_version=expected_version,
            title=deliverable.title,
            kind=deliverable.kind,
            reference=deliverable.reference,
            delivered_on=deliverable.delivered_on,
        )
        return await _act(info, id, "deliverables", body)

    @strawberry.mutation(description="deployed → delivered (needs at least one deliverable)")
    async def deliver_engagement(
        self, info: GatewayInfo, id: strawberry.ID, expected_version: int
    ) -> Engagement:
        return await _act(info, id, "deliver", ExpectedVersion(expected_version=expected_version))

    @strawberry.mutation(description="delivered → closed")
    async def close_engagement(
        self, info: GatewayInfo, id: strawberry.ID, expected_version: int
    ) -> Engagement:
        return await _act(info, id, "close", ExpectedVersion(expected_version=expected_version))

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
        body = AssignmentCreate(
            expected_version=expected_version,
            expert_id=expert_id,
            starts_on=starts_on,
            ends_on=ends_on,
        )
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
        answer = await context.clients.products.delete(
            service_path(
                "engagements", uuid_arg(id), "assignments", uuid_arg(assignment_id, "assignmentId")
            ),
            context.authorization,
            EngagementPublic,
            params={"expected_version": expected_version},
        )
        return from_contract(Engagement, answer)

    @strawberry.mutation(description="Add a product to the catalog (admins)")
    async def create_product(self, info: GatewayInfo, input: ProductInput) -> Product:
        context = context_of(info)
        body = ProductCreate(
            code=str(input.code),
            name=input.name,
            provider_unit=input.provider_unit,
            description=input.description,
            request_form=_object(input.request_form, "requestForm"),
            capacity=input.capacity,
            auto_accept=input.auto_accept,
            sla_targets=_dict_or_refuse(input.sla_targets, "slaTargets") or {},
            active=input.active,
        )
        answer = await context.clients.products.post(
            service_path("products"), context.authorization, body, ProductPublic
        )
        return from_contract(Product, answer)

    @strawberry.mutation(description="Edit a product (admins, or its provider): a new revision")
    async def update_product(
        self, info: GatewayInfo, code: ProductCode, input: ProductChangeInput
    ) -> Product:
        context = context_of(info)
        # The fields left out (None) stay as they are: the client sends no None.
        body = ProductChange(
            expected_version=input.expected_version,
            name=input.name,
            provider_unit=input.provider_unit,
            description=input.description,
            request_form=_dict_or_refuse(input.request_form, "requestForm"),
            capacity=input.capacity,
            auto_accept=input.auto_accept,
            sla_targets=_dict_or_refuse(input.sla_targets, "slaTargets"),
            active=input.active,
        )
        answer = await context.clients.products.patch(
            service_path("products", code_arg(code)), context.authorization, body, ProductPublic
        )
        return from_contract(Product, answer)

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
        body = AvailabilityChange(
            expected_version=expected_version, availability=_windows(availability)
        )
        answer = await context.clients.products.put(
            service_path("experts", code_arg(id, EXPERT_ID, "id"), "availability"),
            context.authorization,
            body,
            ExpertPublic,
        )
        return from_contract(Expert, answer)

    @strawberry.mutation(description="Add an expert to the roster (admins)")
    async def add_expert(self, info: GatewayInfo, input: ExpertInput) -> Expert:
        context = context_of(info)
        body = ExpertCreate(
            id=input.id,
            name=input.name,
            skills=input.skills,
            languages=input.languages,
            availability=_windows(input.availability),
        )
        answer = await context.clients.products.post(
            service_path("experts"), context.authorization, body, ExpertPublic
        )
        return from_contract(Expert, answer)


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
                    answer = await context.clients.products.get(
                        service_path("engagements", update.key()),
                        context.authorization,
                        EngagementPublic,
                    )
                except ServiceError as refusal:
                    # The products service decides what the caller may see, on every push.
                    if refusal.code == "ENGAGEMENT_NOT_FOUND":
                        continue
                    raise
                yield from_contract(Engagement, answer)
