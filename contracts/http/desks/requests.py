"""What the desks service accepts: a new request, the commands on a request, a comment,
an attachment, an approval decision, and the admin's desks, country map and approval rules.

The limits below are the desks' rules (services/desks/domain.py checks them, after
stripping, with a precise refusal); a body field allows a multiple of its limit so that
check, not a generic validation error, is what a caller meets."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, HttpUrl

from contracts.enums import DEFAULT_CONTENT_LANGUAGE, ClientKind, Urgency
from contracts.http.common import ContentLanguage, ExpectedVersion

MAX_TITLE = 200
MAX_DESCRIPTION = 10_000
MAX_REASON = 2_000
MAX_COMMENT = 5_000
MAX_OWNER = 300


class RequestCreate(BaseModel):
    title: str = Field(max_length=MAX_TITLE * 4)
    description: str = Field(default="", max_length=MAX_DESCRIPTION * 4)
    products: list[str] = Field(default_factory=list, max_length=50)
    urgency: Urgency = Urgency.routine
    details: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Per product code, the details its request form asks for"
    )
    client_code: str | None = Field(
        default=None, description="Whom the request is for; a client may only submit for itself"
    )
    language: ContentLanguage = DEFAULT_CONTENT_LANGUAGE


class TriageBody(ExpectedVersion):
    owner: str | None = Field(default=None, max_length=MAX_OWNER)
    note: str | None = Field(default=None, max_length=MAX_REASON)


class RouteBody(ExpectedVersion):
    products: list[str] = Field(max_length=50)
    details: dict[str, dict[str, Any]] = Field(default_factory=dict)
    owner: str | None = Field(default=None, max_length=MAX_OWNER)


class AssignBody(ExpectedVersion):
    owner: str = Field(min_length=1, max_length=MAX_OWNER)


class ReasonBody(ExpectedVersion):
    reason: str | None = Field(default=None, max_length=MAX_REASON * 2)


class ConfirmBody(ExpectedVersion):
    satisfaction_score: int | None = None
    satisfaction_comment: str | None = Field(default=None, max_length=MAX_COMMENT * 2)


class RerouteBody(ExpectedVersion):
    routing_id: str = Field(max_length=36)
    product_code: str | None = Field(
        default=None, max_length=64, description="Another product; the same one when absent"
    )
    details: dict[str, Any] | None = None


class UnmetDemandBody(ExpectedVersion):
    routing_id: str = Field(max_length=36)
    note: str = Field(max_length=MAX_REASON * 2)


class CommentBody(BaseModel):
    body: str = Field(max_length=MAX_COMMENT * 2)
    internal: bool = Field(default=False, description="A desk note the client never sees")


class AttachmentBody(BaseModel):
    name: str = Field(min_length=1, max_length=300)
    media_type: str = Field(pattern=r"^[\w.+-]+/[\w.+-]+$", max_length=200)
    size_bytes: int = Field(ge=0, le=10 * 1024**3)
    url: HttpUrl


class DeskBody(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    region: str = Field(min_length=1, max_length=120)


class CountryDeskBody(BaseModel):
    desk_code: str = Field(max_length=40)


class ApprovalDecisionBody(ExpectedVersion):
    comment: str | None = Field(
        default=None,
        max_length=MAX_REASON * 2,
        description="Why; required for a rejection (the client reads it as the reason)",
    )


class ApprovalRuleBody(BaseModel):
    """An approval rule's conditions; a condition left out is "any", at least one is given."""

    name: str = Field(max_length=200)
    desk_code: str | None = Field(default=None, max_length=40)
    product_code: str | None = Field(default=None, max_length=64)
    urgency: Urgency | None = None
    client_kind: ClientKind | None = None
    active: bool = True


class ApprovalRuleUpdate(ApprovalRuleBody, ExpectedVersion):
    pass
