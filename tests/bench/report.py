"""The run's results as a table on stdout and as JSON in .bench/results.json."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from tests.bench.results import BenchmarkResult, Metric

VERDICT = {True: "pass", False: "FAIL", None: ""}


def print_table(results: list[BenchmarkResult]) -> None:
    rows = [("benchmark", "metric", "value", "target", "result")]
    for result in results:
        if result.status != "measured":
            rows.append((result.name, (result.error or "")[:80], "", "", result.status.upper()))
        for metric in result.metrics:
            rows.append(
                (result.name, metric.name, _value(metric), _target(metric), VERDICT[metric.passed])
            )
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    previous = ""
    for index, row in enumerate(rows):
        # Name each benchmark once, on its first row.
        shown = (row[0] if row[0] != previous else "", *row[1:])
        previous = row[0]
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(shown, widths, strict=True)).rstrip()
        )
        if index == 0:
            print("  ".join("-" * width for width in widths))
    for result in results:
        for note in result.notes:
            print(f"  {result.name}: {note}")


def _value(metric: Metric) -> str:
    if metric.value is None or math.isnan(metric.value):
        return "n/a"
    if metric.value == int(metric.value):
        return f"{metric.value:,.0f} {metric.unit}".rstrip()
    precision = 2 if abs(metric.value) < 10 else 1
    return f"{metric.value:,.{precision}f} {metric.unit}".rstrip()


def _target(metric: Metric) -> str:
    return metric.target.describe(metric.unit) if metric.target else ""


def write_json(path: Path, results: list[BenchmarkResult], run: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {**run, "benchmarks": [result.as_json() for result in results]}
    path.write_text(
        json.dumps(_without_nan(document), indent=2, allow_nan=False, ensure_ascii=False) + "\n"
    )


def _without_nan(value: Any) -> Any:
    """JSON has no NaN: an unmeasured value is null."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {str(key): _without_nan(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_without_nan(item) for item in value]
    return value
