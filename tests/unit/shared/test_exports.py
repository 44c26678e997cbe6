"""CSV cells: what a spreadsheet would run is escaped, every kind of value is plain text."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from contracts.enums import Urgency
from shared.exports import cell


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+SUM(A1)", "'+SUM(A1)"),
        ("-2", "'-2"),
        ("@cmd", "'@cmd"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("a=1", "a=1"),
        ("", ""),
        (None, ""),
        (True, "true"),
        (3, "3"),
        (-3, "'-3"),  # a negative number too: a spreadsheet reads it as a formula start
        (Urgency.immediate, "immediate"),
        (datetime(2026, 12, 1, 20, 0, tzinfo=UTC), "2026-12-01T20:00:00+00:00"),
        (date(2026, 12, 1), "2026-12-01"),
        (["client:MINUSMA", "=desk"], "client:MINUSMA;'=desk"),
    ],
)
def test_cells_are_text_a_spreadsheet_shows_and_never_runs(value: object, written: str) -> None:
    assert cell(value) == written
