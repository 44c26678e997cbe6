"""The views' shapes for export: CSV with an HXL hashtag row under the header row.

HXL (the Humanitarian Exchange Language, hxlstandard.org) tags each column so HDX and
the tools that read HXL know what it holds; the standard puts the hashtag row directly
under the header row. Every cell starting with `=`, `+`, `-` or `@` is prefixed with
`'` so a spreadsheet shows it as text instead of running it as a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence

from contracts.http.insights.responses import WhoDoesWhatRow

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Column = tuple[str, str, Callable[[WhoDoesWhatRow], object]]

WHO_DOES_WHAT_COLUMNS: Sequence[Column] = (
    ("Country code", "#country+code", lambda row: row.country),
    ("Region", "#region+name", lambda row: row.region),
    ("Organisation", "#org+name", lambda row: row.org_name),
    ("Organisation type", "#org+type", lambda row: row.party_kind.value),
    ("Organisation code", "#org+code", lambda row: row.party),
    ("Sector", "#sector+code", lambda row: row.product_code),
    ("Activity", "#activity+type", lambda row: row.activity),
    ("Client", "#org+client+code", lambda row: row.client_code),
    ("Start date", "#date+start", lambda row: row.since.date().isoformat()),
    ("Status", "#status", lambda row: row.status),
    ("Requests", "#meta+count", lambda row: row.requests),
)


def safe_cell(value: object) -> str:
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_lines(rows: Iterable[Sequence[object]]) -> str:
    """Rows as CSV text (RFC 4180 quoting, CRLF line ends), every cell made safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return buffer.getvalue()


def who_does_what_head() -> str:
    """The header row and the HXL hashtag row."""
    return csv_lines(
        [
            [header for header, _, _ in WHO_DOES_WHAT_COLUMNS],
            [tag for _, tag, _ in WHO_DOES_WHAT_COLUMNS],
        ]
    )


def who_does_what_csv(rows: Iterable[WhoDoesWhatRow]) -> str:
    return csv_lines([[value(row) for _, _, value in WHO_DOES_WHAT_COLUMNS] for row in rows])
