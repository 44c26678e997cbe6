"""The desks part of the schema: service requests, their desks and timelines."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import date, datetime
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
from gateway.clients import service_path
from gateway.context import GatewayContext, group_by
from gateway.schema.common import (
    COUNTRY,
    GatewayInfo,
    IdempotencyKey,
    PageInfo,
    ProductCode,
    Urgency,
    bad_input,
    check_page_size,
    code_arg,
    context_of,
    idempotency_headers,
    optional_date,
    optional_time,
    uuid_arg,
)
from gateway.schema.lessons import LessonSuggestion, suggestions_of
from gateway.schema.partnerships import JointAssessment, assessments_of
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
    engagement_status: str | None
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
            engagement_status=data.get("engagement_status"),
            decline_reason=data["decline_reason"],
            routed_at=datetime.fromisoformat(data["routed_at"]),
        )


@strawberry.type(description="One SLA clock of a request (acknowledge, triage, deliver)")
class SlaClockState:
    clock: str
    due_at: datetime
    stopped_at: datetime | None
    breached_at: datetime | None
    escalated_to: str | None

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> SlaClockState:
        return cls(
            clock=data["clock"],
            due_at=datetime.fromisoformat(data["due_at"]),
            stopped_at=optional_time(data["stopped_at"]),
            breached_at=optional_time(data["breached_at"]),
            escalated_to=data["escalated_to"],
        )


@strawberry.type(description="A joint assessment with partners opened for the request")
class RequestAssessment:
    id: strawberry.ID
    partners: list[str]
    scope: str
    status: str
    summary: str | None
    recommended_products: list[ProductCode] = strawberry.field(
        description="Route them with routeRequest(products: ...)"
    )
    opened_at: datetime
    concluded_on: date | None

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> RequestAssessment:
        return cls(
            id=strawberry.ID(data["id"]),
            partners=data["partners"],
            scope=data["scope"],
            status=data["status"],
            summary=data["summary"],
            recommended_products=[ProductCode(code) for code in data["recommended_products"]],
            opened_at=datetime.fromisoformat(data["opened_at"]),
            concluded_on=optional_date(data["concluded_on"]),
        )


@strawberry.type
class Comment:
    id: strawberry.ID
    author: str
    author_role: str
    body: str
    internal: bool
    created_at: datetime

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> Comment:
        return cls(
            id=strawberry.ID(data["id"]),
            author=data["author"],
            author_role=data["author_role"],
            body=data["body"],
            internal=data["internal"],
            created_at=datetime.fromisoformat(data["created_at"]),
        )


@strawberry.type(description="A document attached by reference")
class Attachment:
    id: strawberry.ID
    name: str
    media_type: str
    size_bytes: int
    url: str
    added_by: str
    added_at: datetime

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> Attachment:
        return cls(
            id=strawberry.ID(data["id"]),
            name=data["name"],
            media_type=data["media_type"],
            size_bytes=data["size_bytes"],
            url=data["url"],
            added_by=data["added_by"],
            added_at=datetime.fromisoformat(data["added_at"]),
        )


@strawberry.type(
    description="A possible overlap with another open request of the same country. "
    "Desks see the other request; a client only when it is its own."
)
class RequestOverlap:
    other_request_id: strawberry.ID | None
    other_title: str | None
    other_client_code: str | None
    other_desk_code: str | None
    other_status: str | None
    shared_products: list[ProductCode]
    similarity: float
    flagged_at: datetime

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> RequestOverlap:
        other = data["other_request_id"]
        return cls(
            other_request_id=strawberry.ID(other) if other else None,
            other_title=data["other_title"],
            other_client_code=data["other_client_code"],
            other_desk_code=data["other_desk_code"],
            other_status=data["other_status"],
            shared_products=[ProductCode(code) for code in data["shared_products"]],
            similarity=data["similarity"],
            flagged_at=datetime.fromisoformat(data["flagged_at"]),
        )


@strawberry.type
class TimeInStatus:
    status: str
    seconds: float


@strawberry.type(description="How much coordination a request took")
class RequestMetrics:
    time_in_status: list[TimeInStatus]
    hand_offs: int = strawberry.field(
        description="Desk → provider (each routing), provider → desk (each decline), "
        "officer → officer (each re-assignment)"
    )
    entities_involved: list[str]
    routings: int
    declines: int
    breaches: int

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> RequestMetrics:
        return cls(
            time_in_status=[
                TimeInStatus(status=status, seconds=seconds)
                for status, seconds in data["seconds_in_status"].items()
            ],
            hand_offs=data["hand_offs"],
            entities_involved=data["entities_involved"],
            routings=data["routings"],
            declines=data["declines"],
            breaches=data["breaches"],
        )


@strawberry.type
class TimelineEntry:
    at: datetime
    event_type: str
    actor: str
    summary: str


def timeline_entry(item: dict[str, Any]) -> TimelineEntry:
    return TimelineEntry(
        at=datetime.fromisoformat(item["at"]),
        event_type=item["event_type"],
        actor=item["actor"],
        summary=item["summary"],
    )


async def timelines_by_request(
    context: GatewayContext, request_ids: list[str]
) -> list[list[dict[str, Any]]]:
    items = await context.clients.desks.get_list(
        service_path("timelines"), context.authorization, params={"request_id": request_ids}
    )
    return group_by(items, request_ids, "request_id")


async def comments_by_request(
    context: GatewayContext, request_ids: list[str]
) -> list[list[dict[str, Any]]]:
    items = await context.clients.desks.get_list(
        service_path("comments"), context.authorization, params={"request_id": request_ids}
    )
    return group_by(items, request_ids, "request_id")


async def attachments_by_request(
    context: GatewayContext, request_ids: list[str]
) -> list[list[dict[str, Any]]]:
    items = await context.clients.desks.get_list(
        service_path("attachments"), context.authorization, params={"request_id": request_ids}
    )
    return group_by(items, request_ids, "request_id")


async def overlaps_by_request(
    context: GatewayContext, request_ids: list[str]
) -> list[list[dict[str, Any]]]:
    items = await context.clients.desks.get_list(
        service_path("overlaps"), context.authorization, params={"request_id": request_ids}
    )
    return group_by(items, request_ids, "request_id")


async def metrics_by_request(
    context: GatewayContext, request_ids: list[str]
) -> list[dict[str, Any] | None]:
    items = await context.clients.desks.get_list(
        service_path("request-metrics"), context.authorization, params={"request_id": request_ids}
    )
    by_id = {item["request_id"]: item for item in items}
    return [by_id.get(request_id) for request_id in request_ids]


async def desks_by_code(context: GatewayContext, codes: list[str]) -> list[dict[str, Any] | None]:
    desks = await context.clients.desks.get_list(service_path("desks"), context.authorization)
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
    version: int = strawberry.field(description="Pass it as expectedVersion to act on the request")
    routings: list[Routing]
    owner: str | None
    status_reason: str | None
    satisfaction_score: int | None
    satisfaction_comment: str | None
    breached: bool = strawberry.field(description="Whether any SLA clock ran out")
    sla_clocks: list[SlaClockState]
    overlap_count: int
    assessments: list[RequestAssessment]

    @strawberry.field(
        description="Published lessons suggested for this request, best first, with why"
    )
    async def suggestions(self, info: GatewayInfo) -> list[LessonSuggestion]:
        return await suggestions_of(info, str(self.id))

    @strawberry.field(
        description="The joint assessments in full (tasks, leads, partners' findings), "
        "as the partnerships service shows them to the caller"
    )
    async def joint_assessments(self, info: GatewayInfo) -> list[JointAssessment]:
        return await assessments_of(info, str(self.id))

    @strawberry.field(description="The conversation; a client never sees internal notes")
    async def comments(self, info: GatewayInfo) -> list[Comment]:
        items = await context_of(info).loader(comments_by_request).load(str(self.id))
        return [Comment.from_service(item) for item in items]

    @strawberry.field
    async def attachments(self, info: GatewayInfo) -> list[Attachment]:
        items = await context_of(info).loader(attachments_by_request).load(str(self.id))
        return [Attachment.from_service(item) for item in items]

    @strawberry.field(description="Possible duplicates among open requests of the country")
    async def overlaps(self, info: GatewayInfo) -> list[RequestOverlap]:
        items = await context_of(info).loader(overlaps_by_request).load(str(self.id))
        return [RequestOverlap.from_service(item) for item in items]

    @strawberry.field
    async def metrics(self, info: GatewayInfo) -> RequestMetrics | None:
        data = await context_of(info).loader(metrics_by_request).load(str(self.id))
        return RequestMetrics.from_service(data) if data else None

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
        return [timeline_entry(item) for item in items]

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
            owner=data.get("owner"),
            status_reason=data.get("status_reason"),
            satisfaction_score=data.get("satisfaction_score"),
            satisfaction_comment=data.get("satisfaction_comment"),
            breached=data.get("breached", False),
            sla_clocks=[SlaClockState.from_service(item) for item in data.get("sla", [])],
            overlap_count=data.get("overlap_count", 0),
            assessments=[
                RequestAssessment.from_service(item) for item in data.get("assessments", [])
            ],
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
    data = await context.clients.desks.get(
        service_path("requests", uuid_arg(request_id)), context.authorization
    )
    return ServiceRequest.from_service(data)


@strawberry.enum
class RequestSort(Enum):
    NEWEST = "newest"
    OLDEST = "oldest"
    RECENTLY_UPDATED = "recently_updated"


@strawberry.input(description="Narrow a queue; every given condition must hold")
class RequestFilter:
    status: list[RequestStatus] | None = None
    urgency: list[Urgency] | None = None
    products: list[ProductCode] | None = None
    client_code: str | None = None
    owner: str | None = None
    breached: bool | None = strawberry.field(default=None, description="An SLA clock ran out")
    overlapping: bool | None = strawberry.field(
        default=None, description="Flagged as overlapping another open request"
    )


@strawberry.type
class DeskStatusCount:
    status: RequestStatus
    count: int


@strawberry.type(description="How a desk is doing")
class DeskMetrics:
    desk_code: str
    requests: int
    by_status: list[DeskStatusCount]
    open: int
    open_breached: int
    awaiting_triage: int
    overlapping_open: int
    unmet_demand: int
    average_hours_to_route: float | None
    average_satisfaction: float | None


@strawberry.type(description="A product a client needed and nobody could provide")
class UnmetDemandRecord:
    id: strawberry.ID
    request_id: strawberry.ID
    product_code: ProductCode
    client_code: str
    country: str
    region: str
    desk_code: str
    reason_code: str
    note: str
    recorded_by: str
    recorded_at: datetime


@strawberry.type
class DeskWithCountries:
    code: str
    name: str
    region: str
    countries: list[str]


async def request_page(
    context: GatewayContext,
    first: int,
    after: str | None,
    filter: RequestFilter | None,
    sort: RequestSort,
) -> ServiceRequestConnection:
    check_page_size(first)
    params: dict[str, Any] = {"first": first, "sort": sort.value}
    if after:
        params["after"] = after
    if filter is not None:
        params.update(_filter_params(filter))
    page = await context.clients.desks.get(
        service_path("requests"), context.authorization, params=params
    )
    edges = [
        ServiceRequestEdge(cursor=edge["cursor"], node=ServiceRequest.from_service(edge["node"]))
        for edge in page["edges"]
    ]
    return ServiceRequestConnection(
        edges=edges,
        page_info=PageInfo(has_next_page=page["has_next_page"], end_cursor=page["end_cursor"]),
    )


def _filter_params(filter: RequestFilter) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if filter.status:
        params["status"] = [value.value for value in filter.status]
    if filter.urgency:
        params["urgency"] = [value.value for value in filter.urgency]
    if filter.products:
        params["product"] = [str(code) for code in filter.products]
    if filter.client_code:
        params["client"] = filter.client_code
    if filter.owner:
        params["owner"] = filter.owner
    for flag in ("breached", "overlapping"):
        value = getattr(filter, flag)
        if value is not None:
            params[flag] = "true" if value else "false"
    return params


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
        return await request_page(
            context_of(info), first, after, RequestFilter(status=status), RequestSort.NEWEST
        )

    @strawberry.field(
        description="A desk officer's queue (admins and HQ: every desk's), filtered and sorted"
    )
    async def desk_queue(
        self,
        info: GatewayInfo,
        first: int = 20,
        after: str | None = None,
        filter: RequestFilter | None = None,
        sort: RequestSort = RequestSort.NEWEST,
    ) -> ServiceRequestConnection:
        return await request_page(context_of(info), first, after, filter, sort)

    @strawberry.field(description="A request's timeline, oldest first")
    async def request_timeline(self, info: GatewayInfo, id: strawberry.ID) -> list[TimelineEntry]:
        context = context_of(info)
        items = await context.clients.desks.get_list(
            service_path("requests", uuid_arg(id), "timeline"), context.authorization
        )
        return [timeline_entry(item) for item in items]

    @strawberry.field(description="Status counts, breaches, unmet demand and more for a desk")
    async def desk_metrics(self, info: GatewayInfo, desk_code: str) -> DeskMetrics:
        context = context_of(info)
        data = await context.clients.desks.get(
            service_path("desks", code_arg(desk_code, name="deskCode"), "metrics"),
            context.authorization,
        )
        return DeskMetrics(
            desk_code=data["desk_code"],
            requests=data["requests"],
            by_status=[
                DeskStatusCount(status=RequestStatus(status), count=count)
                for status, count in sorted(data["by_status"].items())
            ],
            open=data["open"],
            open_breached=data["open_breached"],
            awaiting_triage=data["awaiting_triage"],
            overlapping_open=data["overlapping_open"],
            unmet_demand=data["unmet_demand"],
            average_hours_to_route=data["average_hours_to_route"],
            average_satisfaction=data["average_satisfaction"],
        )

    @strawberry.field(
        description="The desks' records of demand nobody could meet, newest first "
        "(per product totals: unmetDemand)"
    )
    async def unmet_demand_records(
        self,
        info: GatewayInfo,
        product: ProductCode | None = None,
        desk_code: str | None = None,
        country: str | None = None,
        limit: int = 100,
    ) -> list[UnmetDemandRecord]:
        check_page_size(limit, 500)
        context = context_of(info)
        params: dict[str, Any] = {"limit": limit}
        for name, value in (("product", product), ("desk", desk_code), ("country", country)):
            if value:
                params[name] = str(value)
        items = await context.clients.desks.get_list(
            service_path("unmet-demand"), context.authorization, params=params
        )
        return [
            UnmetDemandRecord(
                id=strawberry.ID(item["id"]),
                request_id=strawberry.ID(item["request_id"]),
                product_code=ProductCode(item["product_code"]),
                client_code=item["client_code"],
                country=item["country"],
                region=item["region"],
                desk_code=item["desk_code"],
                reason_code=item["reason_code"],
                note=item["note"],
                recorded_by=item["recorded_by"],
                recorded_at=datetime.fromisoformat(item["recorded_at"]),
            )
            for item in items
        ]

    @strawberry.field(description="The regional desks and the countries each serves")
    async def desks(self, info: GatewayInfo) -> list[DeskWithCountries]:
        context = context_of(info)
        items = await context.clients.desks.get_list(service_path("desks"), context.authorization)
        return [
            DeskWithCountries(
                code=item["code"],
                name=item["name"],
                region=item["region"],
                countries=item["countries"],
            )
            for item in items
        ]


@strawberry.input
class RouteRequestInput:
    products: list[ProductCode]
    details: JSON | None = strawberry.field(
        default=None, description="Per product code, the details its request form asks for"
    )
    owner: str | None = None


@strawberry.input
class AttachmentInput:
    name: str
    media_type: str
    size_bytes: int
    url: str


async def act(
    info: GatewayInfo, request_id: strawberry.ID, action: str, body: dict[str, Any]
) -> ServiceRequest:
    context = context_of(info)
    data = await context.clients.desks.post(
        service_path("requests", uuid_arg(request_id), action), context.authorization, body
    )
    return ServiceRequest.from_service(data)


def _details(details: Any) -> dict[str, Any]:
    if details is not None and not isinstance(details, dict):
        raise bad_input("details must be an object keyed by product code", "INVALID_DETAILS")
    return details or {}


@strawberry.type
class RequestsMutation:
    @strawberry.mutation(description="Knock on the one door: submit a request to your desk")
    async def submit_request(
        self,
        info: GatewayInfo,
        input: SubmitRequestInput,
        idempotency_key: IdempotencyKey = None,
    ) -> ServiceRequest:
        context = context_of(info)
        body = {
            "title": input.title,
            "description": input.description,
            "products": [str(code) for code in input.products],
            "urgency": input.urgency.value,
            "details": _details(input.details),
            "client_code": input.client_code,
        }
        data = await context.clients.desks.post(
            service_path("requests"),
            context.authorization,
            body,
            headers=idempotency_headers(idempotency_key),
        )
        return ServiceRequest.from_service(data)

    @strawberry.mutation(description="Desk: take a submitted request into triage")
    async def triage_request(
        self,
        info: GatewayInfo,
        id: strawberry.ID,
        expected_version: int,
        owner: str | None = None,
        note: str | None = None,
    ) -> ServiceRequest:
        body = {"expected_version": expected_version, "owner": owner, "note": note}
        return await act(info, id, "triage", body)

    @strawberry.mutation(
        description="Desk: route products (each its own engagement), with details and an owner"
    )
    async def route_request(
        self, info: GatewayInfo, id: strawberry.ID, expected_version: int, input: RouteRequestInput
    ) -> ServiceRequest:
        body = {
            "expected_version": expected_version,
            "products": [str(code) for code in input.products],
            "details": _details(input.details),
            "owner": input.owner,
        }
        return await act(info, id, "route", body)

    @strawberry.mutation(description="Desk: give the request an owner")
    async def assign_request(
        self, info: GatewayInfo, id: strawberry.ID, expected_version: int, owner: str
    ) -> ServiceRequest:
        return await act(info, id, "assign", {"expected_version": expected_version, "owner": owner})

    @strawberry.mutation(description="Desk: put on hold (SLA clocks pause)")
    async def hold_request(
        self, info: GatewayInfo, id: strawberry.ID, expected_version: int, reason: str
    ) -> ServiceRequest:
        return await act(info, id, "hold", {"expected_version": expected_version, "reason": reason})

    @strawberry.mutation(description="Desk: resume a held request where it was")
    async def resume_request(
        self, info: GatewayInfo, id: strawberry.ID, expected_version: int
    ) -> ServiceRequest:
        return await act(info, id, "resume", {"expected_version": expected_version})

    @strawberry.mutation(description="Desk: refuse the request, with the reason")
    async def reject_request(
        self, info: GatewayInfo, id: strawberry.ID, expected_version: int, reason: str
    ) -> ServiceRequest:
        body = {"expected_version": expected_version, "reason": reason}
        return await act(info, id, "reject", body)

    @strawberry.mutation(description="Client: withdraw your request")
    async def withdraw_request(
        self,
        info: GatewayInfo,
        id: strawberry.ID,
        expected_version: int,
        reason: str | None = None,
    ) -> ServiceRequest:
        body = {"expected_version": expected_version, "reason": reason}
        return await act(info, id, "withdraw", body)

    @strawberry.mutation(description="Client: confirm delivery and close, with satisfaction 1-5")
    async def confirm_request(
        self,
        info: GatewayInfo,
        id: strawberry.ID,
        expected_version: int,
        satisfaction_score: int | None = None,
        comment: str | None = None,
    ) -> ServiceRequest:
        body = {
            "expected_version": expected_version,
            "satisfaction_score": satisfaction_score,
            "satisfaction_comment": comment,
        }
        return await act(info, id, "confirm", body)

    @strawberry.mutation(
        description="Desk: after a decline, route again (the same or another product)"
    )
    async def reroute_request(
        self,
        info: GatewayInfo,
        id: strawberry.ID,
        expected_version: int,
        routing_id: strawberry.ID,
        product_code: ProductCode | None = None,
        details: JSON | None = None,
    ) -> ServiceRequest:
        if details is not None and not isinstance(details, dict):
            raise bad_input("details must be an object", "INVALID_DETAILS")
        body = {
            "expected_version": expected_version,
            "routing_id": str(routing_id),
            "product_code": str(product_code) if product_code else None,
            "details": details,
        }
        return await act(info, id, "reroute", body)

    @strawberry.mutation(description="Desk: after a decline nobody can take, record unmet demand")
    async def record_unmet_demand(
        self,
        info: GatewayInfo,
        id: strawberry.ID,
        expected_version: int,
        routing_id: strawberry.ID,
        note: str,
    ) -> ServiceRequest:
        body = {"expected_version": expected_version, "routing_id": str(routing_id), "note": note}
        return await act(info, id, "unmet-demand", body)

    @strawberry.mutation(description="Say something on a request; desks may keep it internal")
    async def comment_on_request(
        self, info: GatewayInfo, id: strawberry.ID, body: str, internal: bool = False
    ) -> Comment:
        context = context_of(info)
        data = await context.clients.desks.post(
            service_path("requests", uuid_arg(id), "comments"),
            context.authorization,
            {"body": body, "internal": internal},
        )
        return Comment.from_service(data)

    @strawberry.mutation(description="Attach a document by reference")
    async def attach_to_request(
        self, info: GatewayInfo, id: strawberry.ID, input: AttachmentInput
    ) -> Attachment:
        context = context_of(info)
        body = {
            "name": input.name,
            "media_type": input.media_type,
            "size_bytes": input.size_bytes,
            "url": input.url,
        }
        data = await context.clients.desks.post(
            service_path("requests", uuid_arg(id), "attachments"), context.authorization, body
        )
        return Attachment.from_service(data)

    @strawberry.mutation(description="Admin: create or rename a desk")
    async def upsert_desk(self, info: GatewayInfo, code: str, name: str, region: str) -> Desk:
        context = context_of(info)
        data = await context.clients.desks.put(
            service_path("desks", code_arg(code)),
            context.authorization,
            {"name": name, "region": region},
        )
        return Desk(code=data["code"], name=data["name"], region=data["region"])

    @strawberry.mutation(description="Admin: map a country (ISO alpha-3) to its desk")
    async def map_country_to_desk(self, info: GatewayInfo, country: str, desk_code: str) -> Desk:
        context = context_of(info)
        await context.clients.desks.put(
            service_path("country-desks", code_arg(country, COUNTRY, "country")),
            context.authorization,
            {"desk_code": code_arg(desk_code, name="deskCode")},
        )
        data = await context.loader(desks_by_code).load(desk_code)
        if data is None:
            raise bad_input(f"no desk {desk_code}", "NOT_FOUND")
        return Desk(code=data["code"], name=data["name"], region=data["region"])


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
        request_id = uuid_arg(id)
        async with context.live_events().subscribe(
            REQUEST_UPDATES, lambda event: event.key() == request_id
        ) as updates:
            # Fetched with the caller's token after subscribing: the desks service refuses
            # a request the caller may not see, and no change slips in between.
            await fetch_request(context, request_id)
            async for _update in updates:
                # The desks service decides again on every push what the caller may see.
                yield await fetch_request(context, request_id)
