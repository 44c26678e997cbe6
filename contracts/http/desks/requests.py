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


class ChildRequestBody(ExpectedVersion):
    """A child made from its parent (`expected_version`: the parent's), for the parent's
    client; it is taken in like any new request."""

    title: str = Field(max_length=MAX_TITLE * 4)
    description: str = Field(default="", max_length=MAX_DESCRIPTION * 4)
    products: list[str] = Field(default_factory=list, max_length=50)
    urgency: Urgency = Urgency.routine
    details: dict[str, dict[str, Any]] = Field(default_factory=dict)


class ChildLinkBody(ExpectedVersion):
    """An existing request of the parent's client linked under it, or taken out of it
    (`expected_version`: the parent's)."""

    child_id: str = Field(max_length=36)


class StatusDerivationBody(ExpectedVersion):
    derived: bool = Field(description="The parent's status follows its children")


class MergeBody(ExpectedVersion):
    """Merge this request (the duplicate; `expected_version` is its version) into the
    request it duplicates."""

    into_request_id: str = Field(max_length=36)


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


class WorkingPeriodIn(BaseModel):
    """One working period of a weekday, local time of the desk ("08:00"-"12:30")."""

    weekday: str = Field(max_length=20, description="monday ... sunday")
    start: str = Field(max_length=10, description="HH:MM")
    end: str = Field(max_length=10, description="HH:MM; 24:00 is the end of the day")


class HolidayIn(BaseModel):
    date: str = Field(max_length=40, description="YYYY-MM-DD, a local date of the desk")
    name: str | None = Field(default=None, max_length=480)


class DeskCalendarUpdate(ExpectedVersion):
    """A desk's business calendar (services/desks/calendars.py checks it, with a precise
    refusal): the whole calendar, replacing the one before."""

    time_zone: str = Field(max_length=100, description="IANA time zone, e.g. Africa/Bamako")
    working_hours: list[WorkingPeriodIn] = Field(max_length=200)
    holidays: list[HolidayIn] = Field(default_factory=list, max_length=2000)
    around_the_clock: list[Urgency] = Field(
        default_factory=list, description="Urgencies whose clocks count every hour"
    )
