"""The desks part of the schema: service requests, their desks and timelines."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from enum import Enum
from typing import Annotated, Any, cast

import strawberry
from pydantic import HttpUrl
from strawberry.scalars import JSON

from contracts.enums import RequestStatus, Urgency
from contracts.events import (
    RequestAssigned,
    RequestChildLinked,
    RequestChildUnlinked,
    RequestOverlapFlagged,
    RequestSlaBreached,
    RequestStatusChanged,
    RequestStatusDerivationChanged,
)
from contracts.http.common import ExpectedVersion
from contracts.http.desks.requests import (
    AssignBody,
    AttachmentBody,
    CommentBody,
    ConfirmBody,
    CountryDeskBody,
    DeskBody,
    ReasonBody,
    RequestCreate,
    RerouteBody,
    RouteBody,
    TriageBody,
    UnmetDemandBody,
)
from contracts.http.desks.responses import (
    ApprovalPublic,
    AssessmentPublic,
    AttachmentPublic,
    CommentPublic,
    CountryDeskOut,
    DeskOut,
    DeskPublic,
    LinkedRequestPublic,
    LinkRelation,
    OverlapPublic,
    RequestPage,
    RequestPublic,
    RoutingPublic,
    SlaClockPublic,
    TimelineEntryPublic,
    UnmetDemandPublic,
)
from contracts.http.desks.responses import DeskMetrics as DeskMetricsPublic
from contracts.http.desks.responses import RequestMetrics as RequestMetricsPublic
from gateway.clients import service_path
from gateway.context import BatchLoad, GatewayContext, Item, group_by_request
from gateway.schema.calendars import SlaClockTimeLeft, clock_times_of
from gateway.schema.common import (
    COUNTRY,
    GatewayInfo,
    IdempotencyKey,
    PageInfo,
    ProductCode,
    all_from_contract,
    bad_input,
    check_page_size,
    code_arg,
    context_of,
    derived,
    from_contract,
    idempotency_headers,
    uuid_arg,
)
from gateway.schema.lessons import LessonSuggestion, suggestions_of
from gateway.schema.partnerships import JointAssessment, assessments_of
from gateway.schema.products import Engagement, engagements_of


@derived(DeskOut)
class Desk:
    pass


@derived(RoutingPublic)
class Routing:
    id: strawberry.ID
    product_code: ProductCode
    engagement_id: strawberry.ID | None


@derived(SlaClockPublic, description="One SLA clock of a request (acknowledge, triage, deliver)")
class SlaClockState:
    pass


@derived(AssessmentPublic, description="A joint assessment with partners opened for the request")
class RequestAssessment:
    id: strawberry.ID
    recommended_products: list[ProductCode]


@derived(ApprovalPublic, description="One approval step of a request, and its decision")
class RequestApproval:
    id: strawberry.ID


@derived(CommentPublic)
class Comment:
    id: strawberry.ID
    request_id: strawberry.ID
    from_request_id: strawberry.ID | None


@derived(
    AttachmentPublic,
    description="A document of a request: attached by reference, or uploaded through "
    "POST /requests/{id}/attachments and downloaded from its `url`",
)
class Attachment:
    id: strawberry.ID
    request_id: strawberry.ID
    from_request_id: strawberry.ID | None


@derived(
    OverlapPublic,
    description="A possible overlap with another open request of the same country. "
    "Desks see the other request; a client only when it is its own.",
)
class RequestOverlap:
    other_request_id: strawberry.ID | None
    shared_products: list[ProductCode]
    request_id: strawberry.ID


@strawberry.type
class TimeInStatus:
    status: str
    seconds: float


@derived(RequestMetricsPublic, description="How much coordination a request took")
class RequestMetrics:
    request_id: strawberry.ID
    seconds_in_status: JSON

    @strawberry.field
    def time_in_status(self) -> list[TimeInStatus]:
        seconds_in_status = cast(dict[str, float], self.seconds_in_status)
        return [
            TimeInStatus(status=status, seconds=seconds)
            for status, seconds in seconds_in_status.items()
        ]


@derived(TimelineEntryPublic)
class TimelineEntry:
    request_id: strawberry.ID


def _listed_by_request(resource: str, item: type[Item]) -> BatchLoad[str, list[Item]]:
    """A batch load of the desks' `/<resource>?request_id=…` list, grouped per request:
    one call for every request of the operation."""

    async def load(context: GatewayContext, request_ids: list[str]) -> list[list[Item]]:
        answer: type[list[Item]] = list[item]  # type: ignore[valid-type]
        items = await context.clients.desks.get(
            service_path(resource),
            context.authorization,
            answer,
            params={"request_id": request_ids},
        )
        return group_by_request(items, request_ids)

    return load


timelines_by_request = _listed_by_request("timelines", TimelineEntryPublic)
comments_by_request = _listed_by_request("comments", CommentPublic)
attachments_by_request = _listed_by_request("attachments", AttachmentPublic)
overlaps_by_request = _listed_by_request("overlaps", OverlapPublic)
linked_by_request = _listed_by_request("linked", LinkedRequestPublic)


async def metrics_by_request(
    context: GatewayContext, request_ids: list[str]
) -> list[RequestMetricsPublic | None]:
    items = await context.clients.desks.get(
        service_path("request-metrics"),
        context.authorization,
        list[RequestMetricsPublic],
        params={"request_id": request_ids},
    )
    by_id = {item.request_id: item for item in items}
    return [by_id.get(request_id) for request_id in request_ids]


async def desks_by_code(context: GatewayContext, codes: list[str]) -> list[DeskPublic | None]:
    desks = await context.clients.desks.get(
        service_path("desks"), context.authorization, list[DeskPublic]
    )
    by_code = {desk.code: desk for desk in desks}
    return [by_code.get(code) for code in codes]


async def linked_of(
    info: GatewayInfo, request_id: str, relation: LinkRelation
) -> list[ServiceRequest]:
    """The requests linked to one as `relation` that the caller may see (desks decides)."""
    items = await context_of(info).loader(linked_by_request).load(request_id)
    return [
        from_contract(ServiceRequest, item.request) for item in items if item.relation is relation
    ]


# A request's links are requests: named lazily, as the type is complete only once built.
LinkedRequest = Annotated["ServiceRequest", strawberry.lazy("gateway.schema.requests")]


@derived(RequestPublic)
class ServiceRequest:
    id: strawberry.ID
    desk_code: str
    products: list[ProductCode]
    details: JSON
    sla: list[SlaClockState] = strawberry.field(name="slaClocks")
    parent_id: strawberry.ID | None

    @strawberry.field(description="The request this one is a child of, if the caller may see it")
    async def parent(self, info: GatewayInfo) -> LinkedRequest | None:
        found = await linked_of(info, str(self.id), LinkRelation.parent)
        return found[0] if found else None

    @strawberry.field(description="Its children (a programme split by its desk), oldest first")
    async def children(self, info: GatewayInfo) -> list[LinkedRequest]:
        return await linked_of(info, str(self.id), LinkRelation.child)

    @strawberry.field(
        description="The request it was merged into, when the caller may see that one "
        "(a client: only its own)"
    )
    async def merged_into(self, info: GatewayInfo) -> LinkedRequest | None:
        found = await linked_of(info, str(self.id), LinkRelation.merged_into)
        return found[0] if found else None

    @strawberry.field(description="The duplicates merged into it that the caller may see")
    async def merged_requests(self, info: GatewayInfo) -> list[LinkedRequest]:
        return await linked_of(info, str(self.id), LinkRelation.merged_from)

    @strawberry.field(
        description="Each SLA clock's due time and the working time it has left now, on "
        "the desk's business calendar"
    )
    async def sla_time_left(self, info: GatewayInfo) -> list[SlaClockTimeLeft]:
        return await clock_times_of(info, str(self.id))

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
        return all_from_contract(Comment, items)

    @strawberry.field
    async def attachments(self, info: GatewayInfo) -> list[Attachment]:
        items = await context_of(info).loader(attachments_by_request).load(str(self.id))
        return all_from_contract(Attachment, items)

    @strawberry.field(description="Possible duplicates among open requests of the country")
    async def overlaps(self, info: GatewayInfo) -> list[RequestOverlap]:
        items = await context_of(info).loader(overlaps_by_request).load(str(self.id))
        return all_from_contract(RequestOverlap, items)

    @strawberry.field
    async def metrics(self, info: GatewayInfo) -> RequestMetrics | None:
        answer = await context_of(info).loader(metrics_by_request).load(str(self.id))
        return from_contract(RequestMetrics, answer) if answer else None

    @strawberry.field
    async def desk(self, info: GatewayInfo) -> Desk | None:
        answer = await context_of(info).loader(desks_by_code).load(self.desk_code)
        return from_contract(Desk, answer) if answer else None

    @strawberry.field(description="The products service's engagements for this request")
    async def engagements(self, info: GatewayInfo) -> list[Engagement]:
        return await engagements_of(info, str(self.id))

    @strawberry.field(description="What happened to the request, oldest first")
    async def timeline(self, info: GatewayInfo) -> list[TimelineEntry]:
        items = await context_of(info).loader(timelines_by_request).load(str(self.id))
        return all_from_contract(TimelineEntry, items)


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
    urgency: Urgency = Urgency.routine
    details: JSON | None = strawberry.field(
        default=None, description="Per product code, the details its request form asks for"
    )
    client_code: str | None = strawberry.field(
        default=None, description="Desk officers and admins submit on behalf of a client"
    )
    language: str = strawberry.field(
        default="en", description="The language it is written in (BCP-47): ar, en, es, fr, ru, zh"
    )


async def fetch_request(context: GatewayContext, request_id: str) -> ServiceRequest:
    answer = await context.clients.desks.get(
        service_path("requests", uuid_arg(request_id)), context.authorization, RequestPublic
    )
    return from_contract(ServiceRequest, answer)


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
    reopened: bool | None = strawberry.field(default=None, description="Reopened by its client")
    disputed: bool | None = strawberry.field(
        default=None, description="Its client disputed a delivery"
    )
    language: list[str] | None = strawberry.field(
        default=None, description="Written in one of these languages (BCP-47)"
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
    awaiting_approval: int
    average_hours_awaiting_approval: float | None
    reopenings: int
    disputes: int

    @classmethod
    def of(cls, metrics: DeskMetricsPublic) -> DeskMetrics:
        """The service's counts by status (a mapping) as a list of typed pairs."""
        fields = metrics.model_dump(exclude={"by_status"})
        by_status = [
            DeskStatusCount(status=RequestStatus(status), count=count)
            for status, count in sorted(metrics.by_status.items())
        ]
        return cls(**fields, by_status=by_status)


@derived(UnmetDemandPublic, description="A product a client needed and nobody could provide")
class UnmetDemandRecord:
    id: strawberry.ID
    request_id: strawberry.ID
    product_code: ProductCode
    routing_id: strawberry.ID


@derived(DeskPublic)
class DeskWithCountries:
    pass


async def request_page(
    context: GatewayContext,
    first: int,
    after: str | None,
    filter: RequestFilter | None,
    sort: RequestSort,
    search: str | None = None,
) -> ServiceRequestConnection:
    check_page_size(first)
    params: dict[str, Any] = {"first": first, "sort": sort.value}
    if after:
        params["after"] = after
    if search is not None:
        params["search"] = search
    if filter is not None:
        params.update(_filter_params(filter))
    page = await context.clients.desks.get(
        service_path("requests"), context.authorization, RequestPage, params=params
    )
    edges = [
        ServiceRequestEdge(cursor=edge.cursor, node=from_contract(ServiceRequest, edge.node))
        for edge in page.edges
    ]
    return ServiceRequestConnection(edges=edges, page_info=PageInfo.of(page))


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
    if filter.language:
        params["language"] = filter.language
    for flag in ("breached", "overlapping", "reopened", "disputed"):
        value = getattr(filter, flag)
        if value is not None:
            params[flag] = "true" if value else "false"
    return params


QueueSearch = Annotated[
    str | None,
    strawberry.argument(
        description="Only requests whose title, description or comments (those the caller "
        "may read) hold every word; at most 200 characters"
    ),
]


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
        search: QueueSearch = None,
    ) -> ServiceRequestConnection:
        return await request_page(context_of(info), first, after, filter, sort, search)

    @strawberry.field(description="A request's timeline, oldest first")
    async def request_timeline(self, info: GatewayInfo, id: strawberry.ID) -> list[TimelineEntry]:
        context = context_of(info)
        items = await context.clients.desks.get(
            service_path("requests", uuid_arg(id), "timeline"),
            context.authorization,
            list[TimelineEntryPublic],
        )
        return all_from_contract(TimelineEntry, items)

    @strawberry.field(description="Status counts, breaches, unmet demand and more for a desk")
    async def desk_metrics(self, info: GatewayInfo, desk_code: str) -> DeskMetrics:
        context = context_of(info)
        metrics = await context.clients.desks.get(
            service_path("desks", code_arg(desk_code, name="deskCode"), "metrics"),
            context.authorization,
            DeskMetricsPublic,
        )
        return DeskMetrics.of(metrics)

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
        items = await context.clients.desks.get(
            service_path("unmet-demand"),
            context.authorization,
            list[UnmetDemandPublic],
            params=params,
        )
        return all_from_contract(UnmetDemandRecord, items)

    @strawberry.field(description="The regional desks and the countries each serves")
    async def desks(self, info: GatewayInfo) -> list[DeskWithCountries]:
        context = context_of(info)
        items = await context.clients.desks.get(
            service_path("desks"), context.authorization, list[DeskPublic]
        )
        return all_from_contract(DeskWithCountries, items)


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
    info: GatewayInfo, request_id: strawberry.ID, action: str, body: ExpectedVersion
) -> ServiceRequest:
    context = context_of(info)
    answer = await context.clients.desks.post(
        service_path("requests", uuid_arg(request_id), action),
        context.authorization,
        body,
        RequestPublic,
    )
    return from_contract(ServiceRequest, answer)


def request_details(details: Any) -> dict[str, Any]:
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
        body = RequestCreate(
            title=input.title,
            description=input.description,
            products=[str(code) for code in input.products],
            urgency=input.urgency,
            details=request_details(input.details),
            client_code=input.client_code,
            language=input.language,
        )
        answer = await context.clients.desks.post(
            service_path("requests"),
            context.authorization,
            body,
            RequestPublic,
            headers=idempotency_headers(idempotency_key),
        )
        return from_contract(ServiceRequest, answer)

    @strawberry.mutation(description="Desk: take a submitted request into triage")
    async def triage_request(
        self,
        info: GatewayInfo,
        id: strawberry.ID,
        expected_version: int,
        owner: str | None = None,
        note: str | None = None,
    ) -> ServiceRequest:
        body = TriageBody(expected_version=expected_version, owner=owner, note=note)
        return await act(info, id, "triage", body)

    @strawberry.mutation(
        description="Desk: route products (each its own engagement), with details and an owner"
    )
    async def route_request(
        self, info: GatewayInfo, id: strawberry.ID, expected_version: int, input: RouteRequestInput
    ) -> ServiceRequest:
        body = RouteBody(
            expected_version=expected_version,
            products=[str(code) for code in input.products],
            details=request_details(input.details),
            owner=input.owner,
        )
        return await act(info, id, "route", body)

    @strawberry.mutation(description="Desk: give the request an owner")
    async def assign_request(
        self, info: GatewayInfo, id: strawberry.ID, expected_version: int, owner: str
    ) -> ServiceRequest:
        return await act(
            info, id, "assign", AssignBody(expected_version=expected_version, owner=owner)
        )

    @strawberry.mutation(description="Desk: put on hold (SLA clocks pause)")
    async def hold_request(
        self, info: GatewayInfo, id: strawberry.ID, expected_version: int, reason: str
    ) -> ServiceRequest:
        body = ReasonBody(expected_version=expected_version, reason=reason)
        return await act(info, id, "hold", body)

    @strawberry.mutation(description="Desk: resume a held request where it was")
    async def resume_request(
        self, info: GatewayInfo, id: strawberry.ID, expected_version: int
    ) -> ServiceRequest:
        return await act(info, id, "resume", ExpectedVersion(expected_version=expected_version))

    @strawberry.mutation(description="Desk: refuse the request, with the reason")
    async def reject_request(
        self, info: GatewayInfo, id: strawberry.ID, expected_version: int, reason: str
    ) -> ServiceRequest:
        body = ReasonBody(expected_version=expected_version, reason=reason)
        return await act(info, id, "reject", body)

    @strawberry.mutation(description="Client: withdraw your request")
    async def withdraw_request(
        self,
        info: GatewayInfo,
        id: strawberry.ID,
        expected_version: int,
        reason: str | None = None,
    ) -> ServiceRequest:
        body = ReasonBody(expected_version=expected_version, reason=reason)
        return await act(info, id, "withdraw", body)

    @strawberry.mutation(
        description="Client: reopen your delivered or closed request (within the desks' "
        "window): it goes back to its desk"
    )
    async def reopen_request(
        self,
        info: GatewayInfo,
        id: strawberry.ID,
        expected_version: int,
        reason: str | None = None,
    ) -> ServiceRequest:
        body = ReasonBody(expected_version=expected_version, reason=reason)
        return await act(info, id, "reopen", body)

    @strawberry.mutation(
        description="Client: dispute the delivery of your request, saying why (within the "
        "desks' window): it goes back to its desk"
    )
    async def dispute_request(
        self, info: GatewayInfo, id: strawberry.ID, expected_version: int, reason: str
    ) -> ServiceRequest:
        body = ReasonBody(expected_version=expected_version, reason=reason)
        return await act(info, id, "dispute", body)

    @strawberry.mutation(description="Client: confirm delivery and close, with satisfaction 1-5")
    async def confirm_request(
        self,
        info: GatewayInfo,
        id: strawberry.ID,
        expected_version: int,
        satisfaction_score: int | None = None,
        comment: str | None = None,
    ) -> ServiceRequest:
        body = ConfirmBody(
            expected_version=expected_version,
            satisfaction_score=satisfaction_score,
            satisfaction_comment=comment,
        )
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
        body = RerouteBody(
            expected_version=expected_version,
            routing_id=str(routing_id),
            product_code=str(product_code) if product_code else None,
            details=details,
        )
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
        body = UnmetDemandBody(
            expected_version=expected_version, routing_id=str(routing_id), note=note
        )
        return await act(info, id, "unmet-demand", body)

    @strawberry.mutation(description="Say something on a request; desks may keep it internal")
    async def comment_on_request(
        self, info: GatewayInfo, id: strawberry.ID, body: str, internal: bool = False
    ) -> Comment:
        context = context_of(info)
        answer = await context.clients.desks.post(
            service_path("requests", uuid_arg(id), "comments"),
            context.authorization,
            CommentBody(body=body, internal=internal),
            CommentPublic,
        )
        return from_contract(Comment, answer)

    @strawberry.mutation(description="Attach a document by reference")
    async def attach_to_request(
        self, info: GatewayInfo, id: strawberry.ID, input: AttachmentInput
    ) -> Attachment:
        context = context_of(info)
        body = AttachmentBody(
            name=input.name,
            media_type=input.media_type,
            size_bytes=input.size_bytes,
            url=HttpUrl(input.url),
        )
        answer = await context.clients.desks.post(
            service_path("requests", uuid_arg(id), "attachments"),
            context.authorization,
            body,
            AttachmentPublic,
        )
        return from_contract(Attachment, answer)

    @strawberry.mutation(description="Admin: create or rename a desk")
    async def upsert_desk(self, info: GatewayInfo, code: str, name: str, region: str) -> Desk:
        context = context_of(info)
        answer = await context.clients.desks.put(
            service_path("desks", code_arg(code)),
            context.authorization,
            DeskBody(name=name, region=region),
            DeskOut,
        )
        return from_contract(Desk, answer)

    @strawberry.mutation(description="Admin: map a country (ISO alpha-3) to its desk")
    async def map_country_to_desk(self, info: GatewayInfo, country: str, desk_code: str) -> Desk:
        context = context_of(info)
        await context.clients.desks.put(
            service_path("country-desks", code_arg(country, COUNTRY, "country")),
            context.authorization,
            CountryDeskBody(desk_code=code_arg(desk_code, name="deskCode")),
            CountryDeskOut,
        )
        desk = await context.loader(desks_by_code).load(desk_code)
        if desk is None:
            raise bad_input(f"no desk {desk_code}", "NOT_FOUND")
        return from_contract(Desk, desk)


# The events after which a subscriber is sent the request's new state.
# (A parent's links are keyed by the parent: its page follows its children being added.)
REQUEST_UPDATES = (
    RequestStatusChanged,
    RequestAssigned,
    RequestSlaBreached,
    RequestOverlapFlagged,
    RequestChildLinked,
    RequestChildUnlinked,
    RequestStatusDerivationChanged,
)


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
