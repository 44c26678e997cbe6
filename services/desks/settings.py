"""The desks service's settings: SLA targets, the scheduler's pace, overlap thresholds."""

from __future__ import annotations

from typing import Annotated, TypedDict

from fastapi import Depends, Request
from pydantic import Field, field_validator

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


def _settings(request: Request) -> DesksSettings:
    settings: DesksSettings = request.app.state.settings
    return settings


SettingsDep = Annotated[DesksSettings, Depends(_settings)]
