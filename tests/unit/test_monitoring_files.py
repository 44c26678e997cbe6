"""The alert rules and the Grafana dashboard: every expression is valid PromQL (parsed
by promql-parser) and names only series OneDoor's processes export."""

from __future__ import annotations

import json
import re
from pathlib import Path

import promql_parser
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "deploy" / "monitoring"
SOURCES = [ROOT / "shared", ROOT / "gateway", ROOT / "services"]
# Series prometheus_client adds to a counter or a histogram.
SUFFIXES = ("_total", "_bucket", "_sum", "_count", "_created")


def exported_series() -> set[str]:
    """The onedoor_* names in the code: prometheus_client metrics and probe readings."""
    names: set[str] = set()
    for directory in SOURCES:
        for path in directory.rglob("*.py"):
            names.update(re.findall(r'"(onedoor_[a-z_]+)"', path.read_text()))
    return names


def referenced(expression: str) -> set[str]:
    return set(re.findall(r"\b(onedoor_[a-z_]+)", expression))


def known(series: str, exported: set[str]) -> bool:
    return series in exported or any(
        series.endswith(suffix) and series.removesuffix(suffix) in exported for suffix in SUFFIXES
    )


def rule_expressions() -> list[tuple[str, str]]:
    rules = yaml.safe_load((MONITORING / "alerts.yaml").read_text())
    return [(rule["alert"], rule["expr"]) for group in rules["groups"] for rule in group["rules"]]


def dashboard_expressions() -> list[tuple[str, str]]:
    dashboard = json.loads((MONITORING / "grafana-dashboard.json").read_text())
    return [
        (panel["title"], target["expr"])
        for panel in dashboard["panels"]
        for target in panel["targets"]
    ]


@pytest.mark.parametrize(
    ("name", "expression"), [*rule_expressions(), *dashboard_expressions()], ids=lambda v: v
)
def test_expression_is_promql_over_exported_series(name: str, expression: str) -> None:
    promql_parser.parse(expression)  # raises on a syntax error
    exported = exported_series()
    unknown = {series for series in referenced(expression) if not known(series, exported)}
    assert referenced(expression) and not unknown, f"{name}: no process exports {unknown}"


def test_alerts_cover_the_figures_that_matter() -> None:
    watched = set().union(*(referenced(expression) for _name, expression in rule_expressions()))
    assert watched >= {
        "onedoor_outbox_oldest_unsent_age_seconds",
        "onedoor_consumer_lag",
        "onedoor_dead_letters_total",
        "onedoor_http_requests_total",
        "onedoor_sla_breached_clocks",
    }
    for group in yaml.safe_load((MONITORING / "alerts.yaml").read_text())["groups"]:
        for rule in group["rules"]:
            assert rule["labels"]["severity"] in {"warning", "critical"}
            assert rule["annotations"]["summary"]
