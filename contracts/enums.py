"""The enumerations the contracts share: the events' and the services' HTTP shapes use
these, and the gateway exposes them as GraphQL enums (member names in upper case)."""

from __future__ import annotations

from enum import StrEnum


class Urgency(StrEnum):
    routine = "routine"
    priority = "priority"
    immediate = "immediate"


class ClientKind(StrEnum):
    peacekeeping_operation = "peacekeeping_operation"
    special_political_mission = "special_political_mission"
    country_team = "country_team"
    host_country = "host_country"
    hq_team = "hq_team"


class DeclineReason(StrEnum):
    capacity = "capacity"
    out_of_mandate = "out_of_mandate"
    needs_partner = "needs_partner"
    insufficient_information = "insufficient_information"
    other = "other"


class SlaClock(StrEnum):
    acknowledge = "acknowledge"
    triage = "triage"
    deliver = "deliver"


class RequestStatus(StrEnum):
    submitted = "submitted"
    # Waiting for an approver's decision before the desk may route it (approval rules).
    awaiting_approval = "awaiting_approval"
    triaged = "triaged"
    routed = "routed"
    in_progress = "in_progress"
    delivered = "delivered"
    closed = "closed"
    on_hold = "on_hold"
    rejected = "rejected"
    withdrawn = "withdrawn"
    # Closed as the duplicate of another request (merged into it): final.
    merged = "merged"


class ApprovalDecision(StrEnum):
    approved = "approved"
    rejected = "rejected"


class LessonStatus(StrEnum):
    draft = "draft"
    in_review = "in_review"
    published = "published"
    archived = "archived"


class LessonCommand(StrEnum):
    submit = "submit"
    approve = "approve"
    send_back = "send_back"
    archive = "archive"


class Sensitivity(StrEnum):
    public = "public"
    internal = "internal"
    restricted = "restricted"


class SourceKind(StrEnum):
    engagement = "engagement"
    assessment = "assessment"
    direct = "direct"


class AssessmentStatus(StrEnum):
    proposed = "proposed"
    active = "active"
    concluded = "concluded"
    cancelled = "cancelled"


class TaskStatus(StrEnum):
    proposed = "proposed"
    accepted = "accepted"
    declined = "declined"
    done = "done"


class DeliveryStatus(StrEnum):
    pending = "pending"
    delivered = "delivered"
    dead = "dead"


class MailStatus(StrEnum):
    pending = "pending"
    sent = "sent"
    dead = "dead"


class NotificationKind(StrEnum):
    """What a notification tells its reader (and what a person can turn off)."""

    request_status_changed = "request_status_changed"
    public_comment = "public_comment"
    sla_at_risk = "sla_at_risk"
    sla_breached = "sla_breached"
    engagement_proposed = "engagement_proposed"
    task_assigned = "task_assigned"
    approval_requested = "approval_requested"
    approval_decided = "approval_decided"
    request_reopened = "request_reopened"
    delivery_disputed = "delivery_disputed"
    # Told to both clients of a merge, each about its own request only.
    request_merged = "request_merged"
    # A followed theme, country or region (see FollowKind): its lessons and its requests.
    followed_lesson_changed = "followed_lesson_changed"
    followed_request_changed = "followed_request_changed"


class FollowKind(StrEnum):
    """The taxonomy a person can follow: the lessons' themes (product codes), countries
    (ISO 3166 alpha-3) and regions, which requests carry too."""

    theme = "theme"
    country = "country"
    region = "region"


class Language(StrEnum):
    """The six official languages of the UN: the languages of e-mails (and of the portal)."""

    ar = "ar"
    zh = "zh"
    en = "en"
    fr = "fr"
    ru = "ru"
    es = "es"


# The languages a request or a lesson may be written in, as BCP-47 primary language
# subtags: the six UN languages, those the desks and the lessons' readers work in. The
# contracts carry them as strings (GraphQL `String`), so another language joins here
# without a schema change. Content written before languages were recorded is English.
CONTENT_LANGUAGES = frozenset(language.value for language in Language)
DEFAULT_CONTENT_LANGUAGE = Language.en.value
