"""What the partnerships service accepts: a joint assessment, its commands and tasks,
and the admin's partners and frameworks.

The limits below are the partnerships' rules (services/partnerships/domain.py checks
them, after stripping, with a precise refusal); a body field allows up to twice its
limit so that check, not a generic validation error, is what a caller meets."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, Field, HttpUrl

from contracts.http.common import PRODUCT_CODE, ExpectedVersion

MAX_SCOPE = 10_000
MAX_TITLE = 200
MAX_TEXT = 20_000
PARTNER_CODE = r"^[A-Z][A-Z0-9_]{1,39}$"


class TaskCreate(BaseModel):
    title: str = Field(max_length=MAX_TITLE * 2)
    lead: str = Field(max_length=40, description="A partner code, or UN")
    due_on: date | None = None


class AssessmentCreate(BaseModel):
    request_id: str = Field(max_length=36)
    partners: list[str] = Field(min_length=1, max_length=20)
    scope: str = Field(max_length=MAX_SCOPE * 2)
    framework_id: str | None = Field(default=None, max_length=36)
    due_on: date | None = None
    tasks: list[TaskCreate] = Field(default_factory=list, max_length=50)


class InviteBody(ExpectedVersion):
    partner: str = Field(max_length=40)


class TaskBody(ExpectedVersion, TaskCreate):
    pass


class DeclineBody(ExpectedVersion):
    reason: str = Field(max_length=MAX_TEXT)


class FindingsBody(ExpectedVersion):
    findings: str = Field(max_length=MAX_TEXT * 2)


class ConcludeBody(ExpectedVersion):
    summary: str = Field(max_length=MAX_TEXT * 2)
    recommended_products: list[Annotated[str, Field(pattern=PRODUCT_CODE)]] = Field(
        default_factory=list, max_length=20
    )


class CancelBody(ExpectedVersion):
    reason: str = Field(max_length=MAX_TEXT)


class PartnerCreate(BaseModel):
    code: str = Field(pattern=PARTNER_CODE)
    name: str = Field(min_length=1, max_length=200)
    webhook_url: HttpUrl | None = None


class PartnerUpdate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    webhook_url: HttpUrl | None = None
    active: bool = True


class FrameworkBody(BaseModel):
    name: str = Field(max_length=400)
    partners: list[str] = Field(min_length=1, max_length=20)
    scope: str = Field(max_length=MAX_SCOPE * 2)
    valid_from: date
    valid_to: date


class FrameworkChange(FrameworkBody, ExpectedVersion):
    pass
