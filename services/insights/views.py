"""The views' shapes for export: CSV with an HXL hashtag row under the header row.

HXL (the Humanitarian Exchange Language, hxlstandard.org) tags each column so HDX and
the tools that read HXL know what it holds; the standard puts the hashtag row directly
under the header row. The CSV itself is written by shared/exports.py, which also
escapes every cell a spreadsheet would run as a formula.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from contracts.http.insights.responses import WhoDoesWhatRow
from shared.exports import Cells

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


def who_does_what_header() -> list[str]:
    return [header for header, _, _ in WHO_DOES_WHAT_COLUMNS]


def who_does_what_tags() -> list[str]:
    """The HXL hashtag row, which goes directly under the header row."""
    return [tag for _, tag, _ in WHO_DOES_WHAT_COLUMNS]


def who_does_what_cells(rows: Iterable[WhoDoesWhatRow]) -> list[Cells]:
    return [[value(row) for _, _, value in WHO_DOES_WHAT_COLUMNS] for row in rows]
