"""The partnerships part of the schema: joint assessments with partners, their division of
labour, partners and frameworks, and the webhook delivery log for admins.

Partners call the same door with the `partner` role; the partnerships service decides
(in its SQL) that they see only the assessments they take part in.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Any

import strawberry

from gateway.clients import ServiceClient, service_path
from gateway.context import GatewayContext, group_by
from gateway.schema.common import (
    GatewayInfo,
    IdempotencyKey,
    ProductCode,
    bad_input,
    code_arg,
    context_of,
    idempotency_headers,
    optional_date,
    optional_time,
    uuid_arg,
)


@strawberry.enum
class AssessmentStatus(Enum):
    PROPOSED = "proposed"
    ACTIVE = "active"
    CONCLUDED = "concluded"
    CANCELLED = "cancelled"


@strawberry.enum
class AssessmentTaskStatus(Enum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    DONE = "done"


@strawberry.enum
class WebhookDeliveryStatus(Enum):
    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"


@strawberry.type
class Partner:
    code: str
    name: str
    webhook_url: str | None
    active: bool

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> Partner:
        return cls(
            code=data["code"],
            name=data["name"],
            webhook_url=data["webhook_url"],
            active=data["active"],
        )


@strawberry.type(description="Shown once: the shared secret that signs the partner's webhooks")
class PartnerSecret:
    code: str
    webhook_secret: str


@strawberry.type
class Framework:
    id: strawberry.ID
    name: str
    partners: list[str]
    scope: str
    valid_from: date
    valid_to: date
    version: int

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> Framework:
        return cls(
            id=strawberry.ID(data["id"]),
            name=data["name"],
            partners=data["partners"],
            scope=data["scope"],
            valid_from=date.fromisoformat(data["valid_from"]),
            valid_to=date.fromisoformat(data["valid_to"]),
            version=data["version"],
        )


@strawberry.type(description="One piece of the division of labour and who leads it")
class AssessmentTask:
    id: strawberry.ID
    assessment_id: strawberry.ID
    title: str
    lead: str = strawberry.field(description="A partner code, or UN")
    due_on: date | None
    status: AssessmentTaskStatus
    decline_reason: str | None
    findings: str | None
    answered_by: str | None
    updated_at: datetime

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> AssessmentTask:
        return cls(
            id=strawberry.ID(data["id"]),
            assessment_id=strawberry.ID(data["assessment_id"]),
            title=data["title"],
            lead=data["lead"],
            due_on=optional_date(data["due_on"]),
            status=AssessmentTaskStatus(data["status"]),
            decline_reason=data["decline_reason"],
            findings=data["findings"],
            answered_by=data["answered_by"],
            updated_at=datetime.fromisoformat(data["updated_at"]),
        )


@strawberry.type
class AssessmentHistoryEntry:
    at: datetime
    kind: str
    actor: str
    summary: str


@strawberry.type
class JointAssessment:
    id: strawberry.ID
    request_id: strawberry.ID
    desk_code: str
    partners: list[str]
    scope: str
    framework_id: strawberry.ID | None
    status: AssessmentStatus
    due_on: date | None
    opened_by: str
    summary: str | None
    recommended_products: list[ProductCode]
    concluded_on: date | None
    concluded_by: str | None
    cancel_reason: str | None
    created_at: datetime
    updated_at: datetime
    version: int
    tasks: list[AssessmentTask]

    @strawberry.field(description="Every move of the assessment, task-level ones included")
    async def history(self, info: GatewayInfo) -> list[AssessmentHistoryEntry]:
        context = context_of(info)
        items = await _service(context).get_list(
            service_path("assessments", uuid_arg(self.id), "history"), context.authorization
        )
        return [
            AssessmentHistoryEntry(
                at=datetime.fromisoformat(item["at"]),
                kind=item["kind"],
                actor=item["actor"],
                summary=item["summary"],
            )
            for item in items
        ]

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> JointAssessment:
        framework_id = data["framework_id"]
        return cls(
            id=strawberry.ID(data["id"]),
            request_id=strawberry.ID(data["request_id"]),
            desk_code=data["desk_code"],
            partners=data["partners"],
            scope=data["scope"],
            framework_id=strawberry.ID(framework_id) if framework_id else None,
            status=AssessmentStatus(data["status"]),
            due_on=optional_date(data["due_on"]),
            opened_by=data["opened_by"],
            summary=data["summary"],
            recommended_products=[ProductCode(code) for code in data["recommended_products"]],
            concluded_on=optional_date(data["concluded_on"]),
            concluded_by=data["concluded_by"],
            cancel_reason=data["cancel_reason"],
            created_at=datetime.fromisoformat(data["created_at"]),
            updated_at=datetime.fromisoformat(data["updated_at"]),
            version=data["version"],
            tasks=[AssessmentTask.from_service(task) for task in data["tasks"]],
        )


@strawberry.type
class WebhookAttempt:
    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: float


@strawberry.type
class WebhookDelivery:
    id: strawberry.ID
    partner_code: str
    assessment_id: strawberry.ID
    event: str
    status: WebhookDeliveryStatus
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    log: list[WebhookAttempt]

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> WebhookDelivery:
        return cls(
            id=strawberry.ID(data["id"]),
            partner_code=data["partner_code"],
            assessment_id=strawberry.ID(data["assessment_id"]),
            event=data["event"],
            status=WebhookDeliveryStatus(data["status"]),
            attempts=data["attempts"],
            next_attempt_at=datetime.fromisoformat(data["next_attempt_at"]),
            last_error=data["last_error"],
            created_at=datetime.fromisoformat(data["created_at"]),
            delivered_at=optional_time(data["delivered_at"]),
            log=[
                WebhookAttempt(
                    attempted_at=datetime.fromisoformat(item["attempted_at"]),
                    status_code=item["status_code"],
                    error=item["error"],
                    duration_ms=item["duration_ms"],
                )
                for item in data["log"]
            ],
        )


def _service(context: GatewayContext) -> ServiceClient:
    return context.clients.by_name["partnerships"]


async def assessments_by_request(
    context: GatewayContext, request_ids: list[str]
) -> list[list[dict[str, Any]]]:
    items = await _service(context).get_list(
        service_path("assessments"),
        context.authorization,
        params={"request_id": request_ids, "limit": 1000},
    )
    return group_by(items, request_ids, "request_id")


async def assessments_of(info: GatewayInfo, request_id: str) -> list[JointAssessment]:
    """The joint assessments of a request the caller may see (for `ServiceRequest`)."""
    items = await context_of(info).loader(assessments_by_request).load(request_id)
    return [JointAssessment.from_service(item) for item in items]


@strawberry.input
class AssessmentTaskInput:
    title: str
    lead: str = strawberry.field(description="A partner code, or UN")
    due_on: date | None = None


@strawberry.input
class OpenAssessmentInput:
    request_id: strawberry.ID
    partners: list[str]
    scope: str
    framework_id: strawberry.ID | None = None
    due_on: date | None = None
    tasks: list[AssessmentTaskInput] = strawberry.field(default_factory=list)


@strawberry.input
class PartnerInput:
    name: str
    webhook_url: str | None = None
    active: bool = True


@strawberry.input
class FrameworkInput:
    name: str
    partners: list[str]
    scope: str
    valid_from: date
    valid_to: date


def _task_body(task: AssessmentTaskInput) -> dict[str, Any]:
    return {
        "title": task.title,
        "lead": task.lead,
        "due_on": task.due_on.isoformat() if task.due_on else None,
    }


def _framework_body(input: FrameworkInput, expected_version: int | None) -> dict[str, Any]:
    return {
        "name": input.name,
        "partners": input.partners,
        "scope": input.scope,
        "valid_from": input.valid_from.isoformat(),
        "valid_to": input.valid_to.isoformat(),
        "expected_version": expected_version,
    }


@strawberry.type
class PartnershipsQuery:
    @strawberry.field(description="One joint assessment, if the caller may see it")
    async def assessment(self, info: GatewayInfo, id: strawberry.ID) -> JointAssessment:
        context = context_of(info)
        data = await _service(context).get(
            service_path("assessments", uuid_arg(id)), context.authorization
        )
        return JointAssessment.from_service(data)

    @strawberry.field(
        description="Joint assessments the caller may see, newest first; a partner sees "
        "only those it takes part in"
    )
    async def assessments(
        self,
        info: GatewayInfo,
        request_id: strawberry.ID | None = None,
        partner: str | None = None,
        status: list[AssessmentStatus] | None = None,
        first: int = 100,
    ) -> list[JointAssessment]:
        if not 1 <= first <= 1000:
            raise bad_input("first must be between 1 and 1000")
        context = context_of(info)
        params: dict[str, Any] = {"limit": first}
        if request_id:
            params["request_id"] = [uuid_arg(request_id, "requestId")]
        if partner:
            params["partner"] = code_arg(partner, name="partner")
        if status:
            params["status"] = [value.value for value in status]
        items = await _service(context).get_list(
            service_path("assessments"), context.authorization, params=params
        )
        return [JointAssessment.from_service(item) for item in items]

    @strawberry.field(description="Tasks past their due date in open assessments")
    async def overdue_assessment_tasks(self, info: GatewayInfo) -> list[AssessmentTask]:
        context = context_of(info)
        items = await _service(context).get_list(
            service_path("tasks", "overdue"), context.authorization
        )
        return [AssessmentTask.from_service(item) for item in items]

    @strawberry.field
    async def partners(self, info: GatewayInfo) -> list[Partner]:
        context = context_of(info)
        items = await _service(context).get_list(service_path("partners"), context.authorization)
        return [Partner.from_service(item) for item in items]

    @strawberry.field
    async def frameworks(self, info: GatewayInfo) -> list[Framework]:
        context = context_of(info)
        items = await _service(context).get_list(service_path("frameworks"), context.authorization)
        return [Framework.from_service(item) for item in items]

    @strawberry.field(description="Admins: the webhook delivery log (status DEAD: dead letters)")
    async def webhook_deliveries(
        self,
        info: GatewayInfo,
        status: list[WebhookDeliveryStatus] | None = None,
        partner: str | None = None,
    ) -> list[WebhookDelivery]:
        context = context_of(info)
        params: dict[str, Any] = {}
        if status:
            params["status"] = [value.value for value in status]
        if partner:
            params["partner"] = code_arg(partner, name="partner")
        items = await _service(context).get_list(
            service_path("webhook-deliveries"), context.authorization, params=params
        )
        return [WebhookDelivery.from_service(item) for item in items]


async def _change(
    info: GatewayInfo, assessment_id: strawberry.ID, action: tuple[str, ...], body: dict[str, Any]
) -> JointAssessment:
    context = context_of(info)
    path = service_path("assessments", uuid_arg(assessment_id))
    if body.get("expected_version") is None:
        # The service requires the version; a GraphQL caller that leaves the (optional,
        # for compatibility) argument out acts on the version it would read now.
        current = await _service(context).get(path, context.authorization)
        body = {**body, "expected_version": current["version"]}
    data = await _service(context).post(
        service_path("assessments", uuid_arg(assessment_id), *action),
        context.authorization,
        body,
    )
    return JointAssessment.from_service(data)


@strawberry.type
class PartnershipsMutation:
    @strawberry.mutation(description="Propose a joint assessment for a request")
    async def open_assessment(
        self, info: GatewayInfo, input: OpenAssessmentInput, idempotency_key: IdempotencyKey = None
    ) -> JointAssessment:
        context = context_of(info)
        body = {
            "request_id": str(input.request_id),
            "partners": input.partners,
            "scope": input.scope,
            "framework_id": str(input.framework_id) if input.framework_id else None,
            "due_on": input.due_on.isoformat() if input.due_on else None,
            "tasks": [_task_body(task) for task in input.tasks],
        }
        data = await _service(context).post(
            service_path("assessments"),
            context.authorization,
            body,
            headers=idempotency_headers(idempotency_key),
        )
        return JointAssessment.from_service(data)

    @strawberry.mutation
    async def invite_assessment_partner(
        self,
        info: GatewayInfo,
        id: strawberry.ID,
        partner: str,
        expected_version: int | None = None,
    ) -> JointAssessment:
        body = {"partner": partner, "expected_version": expected_version}
        return await _change(info, id, ("partners",), body)

    @strawberry.mutation
    async def add_assessment_task(
        self,
        info: GatewayInfo,
        id: strawberry.ID,
        task: AssessmentTaskInput,
        expected_version: int | None = None,
    ) -> JointAssessment:
        return await _change(
            info, id, ("tasks",), {**_task_body(task), "expected_version": expected_version}
        )

    @strawberry.mutation(description="The task's lead takes it on")
    async def accept_assessment_task(
        self,
        info: GatewayInfo,
        id: strawberry.ID,
        task_id: strawberry.ID,
        expected_version: int | None = None,
    ) -> JointAssessment:
        body = {"expected_version": expected_version}
        return await _change(info, id, ("tasks", uuid_arg(task_id, "taskId"), "accept"), body)

    @strawberry.mutation
    async def decline_assessment_task(
        self,
        info: GatewayInfo,
        id: strawberry.ID,
        task_id: strawberry.ID,
        reason: str,
        expected_version: int | None = None,
    ) -> JointAssessment:
        body = {"reason": reason, "expected_version": expected_version}
        return await _change(info, id, ("tasks", uuid_arg(task_id, "taskId"), "decline"), body)

    @strawberry.mutation
    async def post_assessment_findings(
        self,
        info: GatewayInfo,
        id: strawberry.ID,
        task_id: strawberry.ID,
        findings: str,
        expected_version: int | None = None,
    ) -> JointAssessment:
        body = {"findings": findings, "expected_version": expected_version}
        return await _change(info, id, ("tasks", uuid_arg(task_id, "taskId"), "findings"), body)

    @strawberry.mutation
    async def activate_assessment(
        self, info: GatewayInfo, id: strawberry.ID, expected_version: int | None = None
    ) -> JointAssessment:
        return await _change(info, id, ("activate",), {"expected_version": expected_version})

    @strawberry.mutation(description="Conclude; the conclusion flows back to the request")
    async def conclude_assessment(
        self,
        info: GatewayInfo,
        id: strawberry.ID,
        summary: str,
        recommended_products: list[ProductCode] | None = None,
        expected_version: int | None = None,
    ) -> JointAssessment:
        body = {
            "summary": summary,
            "recommended_products": [str(code) for code in recommended_products or []],
            "expected_version": expected_version,
        }
        return await _change(info, id, ("conclude",), body)

    @strawberry.mutation
    async def cancel_assessment(
        self,
        info: GatewayInfo,
        id: strawberry.ID,
        reason: str,
        expected_version: int | None = None,
    ) -> JointAssessment:
        body = {"reason": reason, "expected_version": expected_version}
        return await _change(info, id, ("cancel",), body)

    @strawberry.mutation(description="Admins: add a partner; returns its webhook secret once")
    async def create_partner(
        self, info: GatewayInfo, code: str, input: PartnerInput
    ) -> PartnerSecret:
        context = context_of(info)
        body = {"code": code, "name": input.name, "webhook_url": input.webhook_url}
        data = await _service(context).post(service_path("partners"), context.authorization, body)
        return PartnerSecret(code=data["code"], webhook_secret=data["webhook_secret"])

    @strawberry.mutation(description="Admins: change a partner's name, webhook URL or status")
    async def update_partner(self, info: GatewayInfo, code: str, input: PartnerInput) -> Partner:
        context = context_of(info)
        body = {"name": input.name, "webhook_url": input.webhook_url, "active": input.active}
        data = await _service(context).put(
            service_path("partners", code_arg(code)), context.authorization, body
        )
        return Partner.from_service(data)

    @strawberry.mutation(description="Admins: a new webhook secret, returned once")
    async def rotate_partner_secret(self, info: GatewayInfo, code: str) -> PartnerSecret:
        context = context_of(info)
        data = await _service(context).post(
            service_path("partners", code_arg(code), "secret"), context.authorization, {}
        )
        return PartnerSecret(code=data["code"], webhook_secret=data["webhook_secret"])

    @strawberry.mutation
    async def create_framework(self, info: GatewayInfo, input: FrameworkInput) -> Framework:
        context = context_of(info)
        body = _framework_body(input, None)
        data = await _service(context).post(service_path("frameworks"), context.authorization, body)
        return Framework.from_service(data)

    @strawberry.mutation
    async def update_framework(
        self,
        info: GatewayInfo,
        id: strawberry.ID,
        input: FrameworkInput,
        expected_version: int | None = None,
    ) -> Framework:
        context = context_of(info)
        body = _framework_body(input, expected_version)
        data = await _service(context).put(
            service_path("frameworks", uuid_arg(id)), context.authorization, body
        )
        return Framework.from_service(data)

    @strawberry.mutation(description="Admins: send a dead webhook delivery again")
    async def retry_webhook_delivery(self, info: GatewayInfo, id: strawberry.ID) -> WebhookDelivery:
        context = context_of(info)
        data = await _service(context).post(
            service_path("webhook-deliveries", uuid_arg(id), "retry"), context.authorization, {}
        )
        return WebhookDelivery.from_service(data)
