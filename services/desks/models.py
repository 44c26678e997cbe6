"""Tables owned by the desks service."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Column, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from shared.db import JSONColumn, UTCDateTime


class DesksTable(SQLModel, registry=registry()):
    """Base of this database's tables: its own metadata, so each service's schema stays
    its own even when several services share one test process."""


class Desk(DesksTable, table=True):
    """A unified regional desk: the client's single counterpart at headquarters."""

    code: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=120)
    region: str = Field(max_length=120)


class CountryDesk(DesksTable, table=True):
    """The configurable country → desk map (ISO 3166 alpha-3)."""

    __tablename__ = "country_desk"

    country: str = Field(primary_key=True, max_length=3)
    desk_code: str = Field(foreign_key="desk.code", max_length=40)


class Client(DesksTable, table=True):
    """A tenant: a field mission, country team, host-country government or HQ team."""

    code: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=40)
    country: str = Field(max_length=3)


class CatalogProduct(DesksTable, table=True):
    """The desk's local copy of the products catalog, kept from catalog events so
    intake validates without a synchronous call to the products service."""

    __tablename__ = "catalog_product"

    code: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    provider_unit: str = Field(max_length=200)
    request_form: dict[str, Any] = Field(sa_type=JSONColumn)
    active: bool
    revision: int


class ServiceRequest(DesksTable, table=True):
    """A client's case: what they asked for, where it is and who has it."""

    __tablename__ = "service_request"

    id: str = Field(primary_key=True, max_length=36)
    client_code: str = Field(foreign_key="client.code", index=True, max_length=40)
    client_kind: str = Field(max_length=40)
    country: str = Field(max_length=3)
    region: str = Field(max_length=120)
    desk_code: str = Field(foreign_key="desk.code", index=True, max_length=40)
    title: str = Field(max_length=200)
    description: str = Field(sa_column=Column(Text, nullable=False))
    urgency: str = Field(max_length=20)
    status: str = Field(index=True, max_length=20)
    products: list[str] = Field(sa_type=JSONColumn)
    details: dict[str, Any] = Field(sa_type=JSONColumn)
    submitted_by: str = Field(max_length=300)
    created_at: datetime = Field(sa_type=UTCDateTime, index=True)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    version: int = Field(default=1)
    owner: str | None = Field(default=None, max_length=300)
    # Why the request is where it is, when a person said so (hold, reject, withdraw).
    status_reason: str | None = Field(default=None, sa_column=Column(Text))
    # While on hold: the status to resume to, and since when (SLA clocks pause).
    held_from: str | None = Field(default=None, max_length=20)
    held_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    satisfaction_score: int | None = Field(default=None)
    satisfaction_comment: str | None = Field(default=None, sa_column=Column(Text))
    # The words overlap detection compares (domain.match_words), kept with the request.
    match_words: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    # The client's key for this submit (shared/idempotency.py): a retry finds this request.
    idempotency_key: str | None = Field(default=None, max_length=100)
    # How often its client reopened it or disputed its delivery (the desk's queue flags).
    reopen_count: int = Field(
        default=0, sa_column=Column(Integer, nullable=False, server_default="0")
    )
    dispute_count: int = Field(
        default=0, sa_column=Column(Integer, nullable=False, server_default="0")
    )
    # Linked requests (services/desks/links.py): the parent it is a child of, whether its
    # own status follows its children's, and the request it was merged into.
    parent_id: str | None = Field(default=None, index=True, max_length=36)
    derives_status_from_children: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false())
    )
    merged_into_id: str | None = Field(default=None, index=True, max_length=36)
    # The language it is written in (contracts/enums.CONTENT_LANGUAGES); English before
    # languages were recorded.
    language: str = Field(
        default="en", sa_column=Column(String(8), nullable=False, server_default="en", index=True)
    )

    __table_args__ = (
        Index("uq_service_request_idempotency", "submitted_by", "idempotency_key", unique=True),
        # Overlap candidates: a country's newest requests, read without a sort.
        Index("ix_service_request_country_created_at", "country", "created_at"),
        # A desk's queue page, in its keyset order (routes/queries.py), read without a sort.
        Index("ix_service_request_desk_created_at", "desk_code", "created_at", "id"),
    )


class Routing(DesksTable, table=True):
    """One product of a request on its way to (and back from) its service provider.

    A declined routing stays as history; re-routing it adds a new routing (for the
    same product or another one), so a product may appear more than once."""

    id: str = Field(primary_key=True, max_length=36)
    request_id: str = Field(foreign_key="service_request.id", index=True, max_length=36)
    product_code: str = Field(max_length=64)
    # routed | accepted | declined | delivered | rerouted | unmet (domain.RoutingStatus)
    status: str = Field(max_length=20)
    engagement_id: str | None = Field(default=None, max_length=36)
    engagement_status: str | None = Field(default=None, max_length=20)
    decline_reason_code: str | None = Field(default=None, max_length=40)
    decline_reason: str | None = Field(default=None, sa_column=Column(Text))
    routed_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class TimelineEntry(DesksTable, table=True):
    """What happened to a request: time, event type, actor."""

    __tablename__ = "timeline_entry"

    id: int | None = Field(default=None, primary_key=True)
    request_id: str = Field(foreign_key="service_request.id", index=True, max_length=36)
    at: datetime = Field(sa_type=UTCDateTime)
    event_type: str = Field(max_length=200)
    actor: str = Field(max_length=300)
    summary: str = Field(sa_column=Column(Text, nullable=False))


class StatusChange(DesksTable, table=True):
    """The request's status history, the source of its time-in-status metrics."""

    __tablename__ = "status_change"

    id: int | None = Field(default=None, primary_key=True)
    request_id: str = Field(foreign_key="service_request.id", index=True, max_length=36)
    at: datetime = Field(sa_type=UTCDateTime)
    from_status: str = Field(max_length=20)
    to_status: str = Field(max_length=20)
    actor: str = Field(max_length=300)


class SlaClockState(DesksTable, table=True):
    """One SLA clock of a request: when it is due, and whether it stopped or ran out.

    The scheduler breaches a clock at most once: it only picks clocks neither stopped
    nor breached, and sets `breached_at` in the same transaction as the event."""

    __tablename__ = "sla_clock"

    request_id: str = Field(foreign_key="service_request.id", primary_key=True, max_length=36)
    clock: str = Field(primary_key=True, max_length=20)
    due_at: datetime = Field(sa_type=UTCDateTime, index=True)
    stopped_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    breached_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    escalated_to: str | None = Field(default=None, max_length=300)
    # When the owner and the chief were warned that it is about to run out (once).
    warned_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Its progress in working time (calendars.ClockProgress): the target and what had
    # elapsed up to `counted_from`, so a new calendar or target keeps what elapsed.
    target_s: float
    elapsed_s: float = Field(default=0.0)
    counted_from: datetime = Field(sa_type=UTCDateTime)


class Comment(DesksTable, table=True):
    """The conversation between a client and its desk; internal notes stay at the desk."""

    id: str = Field(primary_key=True, max_length=36)
    request_id: str = Field(foreign_key="service_request.id", index=True, max_length=36)
    author: str = Field(max_length=300)
    author_role: str = Field(max_length=20)
    body: str = Field(sa_column=Column(Text, nullable=False))
    internal: bool = False
    created_at: datetime = Field(sa_type=UTCDateTime)


class Attachment(DesksTable, table=True):
    """A document of a request: attached by reference (the file lives elsewhere, the desk
    keeps where) or uploaded (the file is in the blob store under `storage_key`)."""

    id: str = Field(primary_key=True, max_length=36)
    request_id: str = Field(foreign_key="service_request.id", index=True, max_length=36)
    name: str = Field(max_length=300)
    media_type: str = Field(max_length=200)
    size_bytes: int
    url: str = Field(max_length=2000)
    added_by: str = Field(max_length=300)
    added_at: datetime = Field(sa_type=UTCDateTime)
    # Uploaded files only (services/desks/attachments.py): where the blob is, its hash,
    # and the scanner's verdict (clean | pending | infected); a file is served when clean.
    storage_key: str | None = Field(default=None, max_length=64)
    sha256: str | None = Field(default=None, max_length=64)
    scan_status: str | None = Field(default=None, max_length=20)
    # A desk's own document, never shown to the client (like an internal note).
    internal: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false())
    )


class OverlapLink(DesksTable, table=True):
    """A flagged resemblance between two open requests, stored once per side so each
    request (and each desk) finds its links with one indexed lookup."""

    __tablename__ = "overlap_link"
    __table_args__ = (UniqueConstraint("request_id", "other_request_id"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: str = Field(foreign_key="service_request.id", index=True, max_length=36)
    other_request_id: str = Field(foreign_key="service_request.id", max_length=36)
    shared_products: list[str] = Field(sa_type=JSONColumn)
    similarity: float
    flagged_at: datetime = Field(sa_type=UTCDateTime)


class UnmetDemand(DesksTable, table=True):
    """A product a client needed and nobody could provide: the study's "no standby
    capacity" problem, kept so it can be counted."""

    __tablename__ = "unmet_demand"

    id: str = Field(primary_key=True, max_length=36)
    request_id: str = Field(foreign_key="service_request.id", index=True, max_length=36)
    routing_id: str = Field(foreign_key="routing.id", unique=True, max_length=36)
    product_code: str = Field(index=True, max_length=64)
    client_code: str = Field(max_length=40)
    country: str = Field(max_length=3)
    region: str = Field(max_length=120)
    desk_code: str = Field(index=True, max_length=40)
    reason_code: str = Field(max_length=40)
    note: str = Field(sa_column=Column(Text, nullable=False))
    recorded_by: str = Field(max_length=300)
    recorded_at: datetime = Field(sa_type=UTCDateTime)


class JointAssessment(DesksTable, table=True):
    """The desk's view of a joint assessment with partners opened for a request."""

    __tablename__ = "joint_assessment"

    id: str = Field(primary_key=True, max_length=36)
    request_id: str = Field(foreign_key="service_request.id", index=True, max_length=36)
    partners: list[str] = Field(sa_type=JSONColumn)
    scope: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(max_length=20)  # opened | concluded
    opened_at: datetime = Field(sa_type=UTCDateTime)
    summary: str | None = Field(default=None, sa_column=Column(Text))
    # Recommendations the officer routes with one routeRequest call (see docs/desks.md).
    recommended_products: list[str] = Field(default_factory=list, sa_type=JSONColumn)
    concluded_on: date | None = None


class ApprovalRule(DesksTable, table=True):
    """A configurable approval step: a new request meeting every condition given (None is
    "any") waits in awaiting_approval for its desk chief (or an HQ admin) before routing.
    Data an admin edits, versioned like every aggregate."""

    __tablename__ = "approval_rule"

    id: str = Field(primary_key=True, max_length=36)
    name: str = Field(max_length=200)
    desk_code: str | None = Field(default=None, foreign_key="desk.code", max_length=40)
    product_code: str | None = Field(default=None, max_length=64)
    urgency: str | None = Field(default=None, max_length=20)
    client_kind: str | None = Field(default=None, max_length=40)
    active: bool = True
    version: int = Field(default=1)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    updated_by: str = Field(max_length=300)


class RequestApproval(DesksTable, table=True):
    """One approval step of a request: which rules asked for it, and the decision."""

    __tablename__ = "request_approval"

    id: str = Field(primary_key=True, max_length=36)
    request_id: str = Field(foreign_key="service_request.id", index=True, max_length=36)
    desk_code: str = Field(index=True, max_length=40)
    # The rules' names as they were when they matched: a later edit does not rewrite history.
    rules: list[str] = Field(sa_type=JSONColumn)
    rule_ids: list[str] = Field(sa_type=JSONColumn)
    requested_at: datetime = Field(sa_type=UTCDateTime)
    decision: str | None = Field(default=None, max_length=20)  # approved | rejected
    decided_by: str | None = Field(default=None, max_length=300)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    comment: str | None = Field(default=None, sa_column=Column(Text))


class RequestSearchText(DesksTable, table=True):
    """What the queue's full-text search reads for one request, kept in the same
    transaction as the writes: `public_text` is what its client sees too (title,
    description, public comments), `internal_text` the desk's internal notes.

    The index over it is not in the metadata (services/desks/search.py)."""

    __tablename__ = "request_search_text"

    request_id: str = Field(foreign_key="service_request.id", primary_key=True, max_length=36)
    public_text: str = Field(sa_column=Column(Text, nullable=False))
    internal_text: str = Field(default="", sa_column=Column(Text, nullable=False))


class DeskCalendar(DesksTable, table=True):
    """A desk's business calendar, on which its SLA clocks count working time (see
    services/desks/calendars.py). Data an admin edits, versioned like an approval rule;
    a desk without one counts around the clock."""

    __tablename__ = "desk_calendar"

    desk_code: str = Field(primary_key=True, foreign_key="desk.code", max_length=40)
    time_zone: str = Field(max_length=64)
    # [{"weekday": "monday", "start": "08:00", "end": "12:30"}, ...], sorted.
    working_hours: list[dict[str, str]] = Field(sa_type=JSONColumn)
    # [{"date": "2026-12-25", "name": "Christmas Day"}, ...]; the name may be null.
    holidays: list[dict[str, str | None]] = Field(sa_type=JSONColumn)
    # Urgencies whose clocks run around the clock at this desk (e.g. immediate).
    around_the_clock: list[str] = Field(sa_type=JSONColumn)
    version: int = Field(default=1)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    updated_by: str = Field(max_length=300)


class ReferenceRevision(DesksTable, table=True):
    """One row: a number that grows in the same transaction as any change of the
    reference data intake reads (the catalog copy, the approval rules, the calendars),
    so each process can keep that data and know, from one column of a query it makes
    anyway, when to read it again (services/desks/reference.py)."""

    __tablename__ = "reference_revision"

    id: int = Field(default=1, primary_key=True)
    revision: int = Field(default=0)
