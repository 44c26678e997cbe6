"""The partnerships part of the schema: joint assessments with partners, their division of
labour, partners and frameworks, and the webhook delivery log for admins.

Partners call the same door with the `partner` role; the partnerships service decides
(in its SQL) that they see only the assessments they take part in.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry
from pydantic import HttpUrl

from contracts.enums import AssessmentStatus, DeliveryStatus
from contracts.http.common import ExpectedVersion
from contracts.http.partnerships.requests import (
    AssessmentCreate,
    CancelBody,
    ConcludeBody,
    DeclineBody,
    FindingsBody,
    FrameworkBody,
    FrameworkChange,
    InviteBody,
    PartnerCreate,
    PartnerUpdate,
    TaskBody,
    TaskCreate,
)
from contracts.http.partnerships.responses import (
    AssessmentPublic,
    AttemptPublic,
    DeliveryPublic,
    EntryPublic,
    FrameworkPublic,
    PartnerPublic,
    TaskPublic,
)
from contracts.http.partnerships.responses import PartnerSecret as PartnerSecretPublic
from gateway.clients import ServiceClient, service_path
from gateway.context import GatewayContext, group_by_request
from gateway.schema.common import (
    GatewayInfo,
    IdempotencyKey,
    ProductCode,
    all_from_contract,
    bad_input,
    code_arg,
    context_of,
    derived,
    from_contract,
    idempotency_headers,
    uuid_arg,
)


@derived(PartnerPublic)
class Partner:
    pass


@derived(
    PartnerSecretPublic,
    description="Shown once: the shared secret that signs the partner's webhooks",
)
class PartnerSecret:
    pass


@derived(FrameworkPublic)
class Framework:
    id: strawberry.ID


@derived(TaskPublic, description="One piece of the division of labour and who leads it")
class AssessmentTask:
    id: strawberry.ID
    assessment_id: strawberry.ID


@derived(EntryPublic)
class AssessmentHistoryEntry:
    pass


@derived(AssessmentPublic)
class JointAssessment:
    id: strawberry.ID
    request_id: strawberry.ID
    framework_id: strawberry.ID | None
    recommended_products: list[ProductCode]

    @strawberry.field(description="Every move of the assessment, task-level ones included")
    async def history(self, info: GatewayInfo) -> list[AssessmentHistoryEntry]:
        context = context_of(info)
        items = await _service(context).get(
            service_path("assessments", uuid_arg(self.id), "history"),
            context.authorization,
            list[EntryPublic],
        )
        return all_from_contract(AssessmentHistoryEntry, items)


@derived(AttemptPublic)
class WebhookAttempt:
    pass


@derived(DeliveryPublic)
class WebhookDelivery:
    id: strawberry.ID
    assessment_id: strawberry.ID


def _service(context: GatewayContext) -> ServiceClient:
    return context.clients.by_name["partnerships"]


async def assessments_by_request(
    context: GatewayContext, request_ids: list[str]
) -> list[list[AssessmentPublic]]:
    items = await _service(context).get(
        service_path("assessments"),
        context.authorization,
        list[AssessmentPublic],
        params={"request_id": request_ids, "limit": 1000},
    )
    return group_by_request(items, request_ids)


async def assessments_of(info: GatewayInfo, request_id: str) -> list[JointAssessment]:
    """The joint assessments of a request the caller may see (for `ServiceRequest`)."""
    items = await context_of(info).loader(assessments_by_request).load(request_id)
    return all_from_contract(JointAssessment, items)


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


def _task(task: AssessmentTaskInput) -> TaskCreate:
    return TaskCreate(title=task.title, lead=task.lead, due_on=task.due_on)


def _framework_body(input: FrameworkInput) -> FrameworkBody:
    return FrameworkBody(
        name=input.name,
        partners=input.partners,
        scope=input.scope,
        valid_from=input.valid_from,
        valid_to=input.valid_to,
    )


def _url(url: str | None) -> HttpUrl | None:
    return HttpUrl(url) if url is not None else None


@strawberry.type
class PartnershipsQuery:
    @strawberry.field(description="One joint assessment, if the caller may see it")
    async def assessment(self, info: GatewayInfo, id: strawberry.ID) -> JointAssessment:
        context = context_of(info)
        answer = await _service(context).get(
            service_path("assessments", uuid_arg(id)), context.authorization, AssessmentPublic
        )
        return from_contract(JointAssessment, answer)

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
        items = await _service(context).get(
            service_path("assessments"),
            context.authorization,
            list[AssessmentPublic],
            params=params,
        )
        return all_from_contract(JointAssessment, items)

    @strawberry.field(description="Tasks past their due date in open assessments")
    async def overdue_assessment_tasks(self, info: GatewayInfo) -> list[AssessmentTask]:
        context = context_of(info)
        items = await _service(context).get(
            service_path("tasks", "overdue"), context.authorization, list[TaskPublic]
        )
        return all_from_contract(AssessmentTask, items)

    @strawberry.field
    async def partners(self, info: GatewayInfo) -> list[Partner]:
        context = context_of(info)
        items = await _service(context).get(
            service_path("partners"), context.authorization, list[PartnerPublic]
        )
        return all_from_contract(Partner, items)

    @strawberry.field
    async def frameworks(self, info: GatewayInfo) -> list[Framework]:
        context = context_of(info)
        items = await _service(context).get(
            service_path("frameworks"), context.authorization, list[FrameworkPublic]
        )
        return all_from_contract(Framework, items)

    @strawberry.field(description="Admins: the webhook delivery log (status DEAD: dead letters)")
    async def webhook_deliveries(
        self,
        info: GatewayInfo,
        status: list[DeliveryStatus] | None = None,
        partner: str | None = None,
    ) -> list[WebhookDelivery]:
        context = context_of(info)
        params: dict[str, Any] = {}
        if status:
            params["status"] = [value.value for value in status]
        if partner:
            params["partner"] = code_arg(partner, name="partner")
        items = await _service(context).get(
            service_path("webhook-deliveries"),
            context.authorization,
            list[DeliveryPublic],
            params=params,
        )
        return all_from_contract(WebhookDelivery, items)


async def _change(
    info: GatewayInfo, assessment_id: strawberry.ID, action: tuple[str, ...], body: ExpectedVersion
) -> JointAssessment:
    context = context_of(info)
    answer = await _service(context).post(
        service_path("assessments", uuid_arg(assessment_id), *action),
        context.authorization,
        body,
        AssessmentPublic,
    )
    return from_contract(JointAssessment, answer)


@strawberry.type
class PartnershipsMutation:
    @strawberry.mutation(description="Propose a joint assessment for a request")
    async def open_assessment(
        self, info: GatewayInfo, input: OpenAssessmentInput, idempotency_key: IdempotencyKey = None
    ) -> JointAssessment:
        context = context_of(info)
        body = AssessmentCreate(
            request_id=str(input.request_id),
            partners=input.partners,
            scope=input.scope,
            framework_id=str(input.framework_id) if input.framework_id else None,
            due_on=input.due_on,
            tasks=[_task(task) for task in input.tasks],
        )
        answer = await _service(context).post(
            service_path("assessments"),
            context.authorization,
            body,
            AssessmentPublic,
            headers=idempotency_headers(idempotency_key),
        )
        return from_contract(JointAssessment, answer)

    @strawberry.mutation
    async def invite_assessment_partner(
        self,
        info: GatewayInfo,
        id: strawberry.ID,
        partner: str,
        expected_version: int,
    ) -> JointAssessment:
        body = InviteBody(partner=partner, expected_version=expected_version)
        return await _change(info, id, ("partners",), body)

    @strawberry.mutation
    async def add_assessment_task(
        self,
        info: GatewayInfo,
        id: strawberry.ID,
        task: AssessmentTaskInput,
        expected_version: int,
    ) -> JointAssessment:
        body = TaskBody(**_task(task).model_dump(), expected_version=expected_version)
        return await _change(info, id, ("tasks",), body)

    @strawberry.mutation(description="The task's lead takes it on")
    async def accept_assessment_task(
        self,
        info: GatewayInfo,
        id: strawberry.ID,
        task_id: strawberry.ID,
        expected_version: int,
    ) -> JointAssessment:
        body = ExpectedVersion(expected_version=expected_version)
        return await _change(info, id, ("tasks", uuid_arg(task_id, "taskId"), "accept"), body)

    @strawberry.mutation
    async def decline_assessment_task(
        self,
        info: GatewayInfo,
        id: strawberry.ID,
        task_id: strawberry.ID,
        reason: str,
        expected_version: int,
    ) -> JointAssessment:
        body = DeclineBody(reason=reason, expected_version=expected_version)
        return await _change(info, id, ("tasks", uuid_arg(task_id, "taskId"), "decline"), body)

    @strawberry.mutation
    async def post_assessment_findings(
        self,
        info: GatewayInfo,
        id: strawberry.ID,
        task_id: strawberry.ID,
        findings: str,
        expected_version: int,
    ) -> JointAssessment:
        body = FindingsBody(findings=findings, expected_version=expected_version)
        return await _change(info, id, ("tasks", uuid_arg(task_id, "taskId"), "findings"), body)

    @strawberry.mutation
    async def activate_assessment(
        self, info: GatewayInfo, id: strawberry.ID, expected_version: int
    ) -> JointAssessment:
        body = ExpectedVersion(expected_version=expected_version)
        return await _change(info, id, ("activate",), body)

    @strawberry.mutation(description="Conclude; the conclusion flows back to the request")
    async def conclude_assessment(
        self,
        info: GatewayInfo,
        id: strawberry.ID,
        summary: str,
        expected_version: int,
        recommended_products: list[ProductCode] | None = None,
    ) -> JointAssessment:
        body = ConcludeBody(
            summary=summary,
            recommended_products=[str(code) for code in recommended_products or []],
            expected_version=expected_version,
        )
        return await _change(info, id, ("conclude",), body)

    @strawberry.mutation
    async def cancel_assessment(
        self,
        info: GatewayInfo,
        id: strawberry.ID,
        reason: str,
        expected_version: int,
    ) -> JointAssessment:
        body = CancelBody(reason=reason, expected_version=expected_version)
        return await _change(info, id, ("cancel",), body)

    @strawberry.mutation(description="Admins: add a partner; returns its webhook secret once")
    async def create_partner(
        self, info: GatewayInfo, code: str, input: PartnerInput
    ) -> PartnerSecret:
        context = context_of(info)
        body = PartnerCreate(code=code, name=input.name, webhook_url=_url(input.webhook_url))
        answer = await _service(context).post(
            service_path("partners"), context.authorization, body, PartnerSecretPublic
        )
        return from_contract(PartnerSecret, answer)

    @strawberry.mutation(description="Admins: change a partner's name, webhook URL or status")
    async def update_partner(self, info: GatewayInfo, code: str, input: PartnerInput) -> Partner:
        context = context_of(info)
        body = PartnerUpdate(
            name=input.name, webhook_url=_url(input.webhook_url), active=input.active
        )
        answer = await _service(context).put(
            service_path("partners", code_arg(code)), context.authorization, body, PartnerPublic
        )
        return from_contract(Partner, answer)

    @strawberry.mutation(description="Admins: a new webhook secret, returned once")
    async def rotate_partner_secret(self, info: GatewayInfo, code: str) -> PartnerSecret:
        context = context_of(info)
        answer = await _service(context).post(
            service_path("partners", code_arg(code), "secret"),
            context.authorization,
            None,
            PartnerSecretPublic,
        )
        return from_contract(PartnerSecret, answer)

    @strawberry.mutation
    async def create_framework(self, info: GatewayInfo, input: FrameworkInput) -> Framework:
        context = context_of(info)
        body = _framework_body(input)
        answer = await _service(context).post(
            service_path("frameworks"), context.authorization, body, FrameworkPublic
        )
        return from_contract(Framework, answer)

    @strawberry.mutation
    async def update_framework(
        self,
        info: GatewayInfo,
        id: strawberry.ID,
        input: FrameworkInput,
        expected_version: int,
    ) -> Framework:
        context = context_of(info)
        body = FrameworkChange(
            **_framework_body(input).model_dump(), expected_version=expected_version
        )
        answer = await _service(context).put(
            service_path("frameworks", uuid_arg(id)), context.authorization, body, FrameworkPublic
        )
        return from_contract(Framework, answer)

    @strawberry.mutation(description="Admins: send a dead webhook delivery again")
    async def retry_webhook_delivery(self, info: GatewayInfo, id: strawberry.ID) -> WebhookDelivery:
        context = context_of(info)
        answer = await _service(context).post(
            service_path("webhook-deliveries", uuid_arg(id), "retry"),
            context.authorization,
            None,
            DeliveryPublic,
        )
        return from_contract(WebhookDelivery, answer)
