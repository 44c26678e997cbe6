"""What a benchmark reports: named values, each with an optional target."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass(frozen=True)
class Target:
    bound: Literal["at_most", "at_least"]
    limit: float

    def met_by(self, value: float) -> bool:
        return value <= self.limit if self.bound == "at_most" else value >= self.limit

    def describe(self, unit: str) -> str:
        sign = "≤" if self.bound == "at_most" else "≥"
        return f"{sign} {self.limit:g} {unit}".rstrip()


def at_most(limit: float) -> Target:
    return Target("at_most", limit)


def at_least(limit: float) -> Target:
    return Target("at_least", limit)


@dataclass(frozen=True)
class Metric:
    name: str
    value: float | None
    unit: str = ""
    target: Target | None = None

    @property
    def passed(self) -> bool | None:
        """None without a target; a target with nothing measured is missed."""
        if self.target is None:
            return None
        if self.value is None or math.isnan(self.value):
            return False
        return self.target.met_by(self.value)

    def as_json(self) -> dict[str, Any]:
        return {
            "metric": self.name,
            "value": self.value,
            "unit": self.unit,
            "target": self.target.describe(self.unit) if self.target else None,
            "passed": self.passed,
        }


@dataclass
class BenchmarkResult:
    name: str
    metrics: list[Metric] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    status: Literal["measured", "not implemented yet", "crashed"] = "measured"
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "error": self.error,
            "metrics": [metric.as_json() for metric in self.metrics],
            "notes": self.notes,
            "details": self.details,
        }


def percentile(values: Sequence[float], fraction: float) -> float:
    """Linear interpolation between the closest ranks (NaN for no values)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else math.nan


def latency_summary(values_ms: Sequence[float]) -> dict[str, float]:
    return {
        "count": len(values_ms),
        "p50_ms": percentile(values_ms, 0.50),
        "p95_ms": percentile(values_ms, 0.95),
        "p99_ms": percentile(values_ms, 0.99),
        "mean_ms": mean(values_ms),
        "max_ms": max(values_ms) if values_ms else math.nan,
    }
