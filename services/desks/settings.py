"""The desks service's settings: SLA targets, the scheduler's pace, overlap thresholds."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, TypedDict

from fastapi import Depends, Request
from pydantic import Field, SecretStr, field_validator, model_validator

from contracts.enums import SlaClock, Urgency
from shared.settings import ServiceSettings

HOUR = 1.0
DAY = 24 * HOUR
# Targets count working time on the desk's calendar (services/desks/calendars.py): a
# working day is the seeded calendars' eight hours; an urgency a desk keeps around the
# clock (immediate, as seeded) counts every hour, so its days are whole days.
WORKING_DAY = 8 * HOUR


class OverlapThresholds(TypedDict):
    """The keyword arguments of `store.flag_overlaps` that the settings decide."""

    min_similarity: float
    min_similarity_without_products: float
    max_candidates: int
    max_links: int


DEFAULT_SLA_TARGETS_HOURS: dict[str, dict[str, float]] = {
    Urgency.immediate.value: {"acknowledge": 1 * HOUR, "triage": 4 * HOUR, "deliver": 7 * DAY},
    Urgency.priority.value: {
        "acknowledge": 4 * HOUR,
        "triage": 1 * WORKING_DAY,
        "deliver": 20 * WORKING_DAY,
    },
    Urgency.routine.value: {
        "acknowledge": 1 * WORKING_DAY,
        "triage": 3 * WORKING_DAY,
        "deliver": 60 * WORKING_DAY,
    },
}


# What a request accepts as an uploaded attachment (checked on the content too).
DEFAULT_ATTACHMENT_MEDIA_TYPES = (
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "text/plain",
    "text/csv",
)


class DesksSettings(ServiceSettings):
    service_name: str = "desks"
    port: int = 8101

    # Working hours per urgency and clock, e.g. ONEDOOR_SLA_TARGETS_HOURS='{"immediate": {...}}'.
    sla_targets_hours: dict[str, dict[str, float]] = Field(
        default_factory=lambda: {k: dict(v) for k, v in DEFAULT_SLA_TARGETS_HOURS.items()}
    )
    sla_scheduler_interval_s: float = Field(default=30.0, gt=0)
    sla_scheduler_batch: int = Field(default=200, ge=1)
    # Who a breach is escalated to; {desk} is the request's desk code.
    sla_escalate_to: str = "desk_chief:{desk}"
    # A clock this close to its due time is "at risk": the scheduler warns once
    # (RequestSlaAtRisk) before it breaches; 0 turns the warning off.
    sla_warn_before_s: float = Field(default=3600.0, ge=0)
    # Desk code -> the chief's subject, the same ONEDOOR_DESK_CHIEFS the notifications
    # service reads: the chief decides the desk's approvals (see domain.is_approver).
    desk_chiefs: dict[str, str] = Field(default_factory=dict)

    # How long after a request was delivered or closed its client may still reopen
    # it or dispute the delivery (ONEDOOR_REOPEN_WINDOW_DAYS).
    reopen_window_days: float = Field(default=30.0, gt=0)

    # Overlap detection: Jaccard similarity of title+description words.
    overlap_min_similarity: float = Field(default=0.2, ge=0, le=1)
    overlap_min_similarity_without_products: float = Field(default=0.5, ge=0, le=1)
    overlap_max_candidates: int = Field(default=100, ge=1)
    overlap_max_links: int = Field(default=3, ge=1)

    # Uploaded attachments (services/desks/attachments.py): limits, the scanner hook and
    # where files are kept: `files` under ONEDOOR_ATTACHMENT_DIR (default var/attachments)
    # or `s3`, one bucket of an S3-compatible store.
    attachment_max_bytes: int = Field(default=25 * 1024 * 1024, ge=1)
    attachment_media_types: list[str] = Field(
        default_factory=lambda: list(DEFAULT_ATTACHMENT_MEDIA_TYPES), min_length=1
    )
    attachment_scanner: str = Field(
        default="services.desks.attachments:AcceptEveryFile", pattern=r"^[\w.]+:\w+$"
    )
    attachment_storage: Literal["files", "s3"] = "files"
    attachment_dir: Path | None = None
    s3_endpoint_url: str | None = None
    s3_bucket: str = "onedoor-attachments"
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None
    s3_prefix: str = Field(default="", pattern=r"^([a-z0-9][a-z0-9-]*/)*$")

    @property
    def attachment_root(self) -> Path:
        return self.attachment_dir or self.var_dir / "attachments"

    @property
    def attachment_staging_dir(self) -> Path:
        """Uploads in progress, beside the files so that storing one is a rename."""
        return self.attachment_root / ".staging"

    @model_validator(mode="after")
    def _s3_needs_where_and_who(self) -> DesksSettings:
        if self.attachment_storage == "s3" and not (
            self.s3_endpoint_url and self.s3_access_key_id and self.s3_secret_access_key
        ):
            raise ValueError(
                "ONEDOOR_ATTACHMENT_STORAGE=s3 needs ONEDOOR_S3_ENDPOINT_URL, "
                "ONEDOOR_S3_ACCESS_KEY_ID and ONEDOOR_S3_SECRET_ACCESS_KEY"
            )
        return self

    @field_validator("sla_targets_hours")
    @classmethod
    def _every_urgency_and_clock(
        cls, value: dict[str, dict[str, float]]
    ) -> dict[str, dict[str, float]]:
        for urgency in Urgency:
            for clock in SlaClock:
                hours = value.get(urgency.value, {}).get(clock.value)
                if hours is None or hours <= 0:
                    raise ValueError(f"sla_targets_hours needs a positive {urgency}.{clock}")
        return value

    def overlap_thresholds(self) -> OverlapThresholds:
        return {
            "min_similarity": self.overlap_min_similarity,
            "min_similarity_without_products": self.overlap_min_similarity_without_products,
            "max_candidates": self.overlap_max_candidates,
            "max_links": self.overlap_max_links,
        }


async def _settings(request: Request) -> DesksSettings:
    # async: FastAPI runs a plain `def` dependency in a worker thread (shared/service.py).
    settings: DesksSettings = request.app.state.settings
    return settings


SettingsDep = Annotated[DesksSettings, Depends(_settings)]
