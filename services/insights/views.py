"""The views' shapes for export: the 3W as CSV with an HXL hashtag row under the header
row; SLA time per party (a row per request and party), the cost of coordination (a row
per request) and demand without supply (a row per month, product, region and reason).

HXL (the Humanitarian Exchange Language, hxlstandard.org) tags each column so HDX and
the tools that read HXL know what it holds; the standard puts the hashtag row directly
under the header row. The CSV itself is written by shared/exports.py, which also
escapes every cell a spreadsheet would run as a formula.

Every row a route answers or exports is first the caller's audience's projection of it
(`shown`, the sharing policy of shared/sharing.py): a cell of a field hidden from it is
blank, a party it may not know of has no row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from pydantic import BaseModel

from contracts.http.insights.responses import (
    DemandWithoutSupply,
    PartyTime,
    RequestFigures,
    WhoDoesWhatRow,
)
from shared.exports import Cells
from shared.sharing import RecordKind, Viewer, shown_to

Row = TypeVar("Row", bound=BaseModel)


def shown(viewer: Viewer, kind: RecordKind, rows: Iterable[Row]) -> list[Row]:
    """Each row as the caller's audience may see it: what every route answers and exports."""
    return [shown_to(viewer, kind, row) for row in rows]


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


RequestColumn = tuple[str, Callable[[RequestFigures], object]]
PartyColumn = tuple[str, Callable[[RequestFigures, PartyTime], object]]

# Per request and party: one row per party of every request (its time, share, breaches).
SLA_TIME_PER_PARTY_COLUMNS: Sequence[PartyColumn] = (
    ("Request", lambda request, _: request.request_id),
    ("Desk", lambda request, _: request.desk_code),
    ("Country", lambda request, _: request.country),
    ("Client", lambda request, _: request.client_code),
    ("Route", lambda request, _: request.route),
    ("Status", lambda request, _: request.status),
    ("Submitted", lambda request, _: request.submitted_at),
    ("Measured until", lambda request, _: request.measured_until),
    ("Party type", lambda _, party: party.party_kind),
    ("Party", lambda _, party: party.party),
    ("Organisation", lambda _, party: party.org_name),
    ("Seconds", lambda _, party: party.seconds),
    ("Share (%)", lambda _, party: party.share_pct),
    ("Breaches", lambda _, party: party.breaches),
)

COORDINATION_COST_COLUMNS: Sequence[RequestColumn] = (
    ("Request", lambda r: r.request_id),
    ("Desk", lambda r: r.desk_code),
    ("Country", lambda r: r.country),
    ("Client", lambda r: r.client_code),
    ("Products", lambda r: r.products),
    ("Route", lambda r: r.route),
    ("Status", lambda r: r.status),
    ("Submitted", lambda r: r.submitted_at),
    ("Hand-offs", lambda r: r.hand_offs),
    ("Parties involved", lambda r: r.parties_involved),
    ("Re-routings", lambda r: r.reroutings),
    ("Declines", lambda r: r.declines),
    ("Seconds to first engagement", lambda r: r.first_engagement_seconds),
    ("Joint assessment seconds", lambda r: r.joint_assessment_seconds),
    ("Breaches", lambda r: [f"{b.clock}@{';'.join(b.held_by)}" for b in r.breaches]),
)


def sla_time_per_party_cells(requests: Iterable[RequestFigures]) -> list[Cells]:
    return [
        [value(request, party) for _, value in SLA_TIME_PER_PARTY_COLUMNS]
        for request in requests
        for party in request.parties
    ]


def coordination_cost_cells(requests: Iterable[RequestFigures]) -> list[Cells]:
    return [[value(request) for _, value in COORDINATION_COST_COLUMNS] for request in requests]


DEMAND_WITHOUT_SUPPLY_HEADER = (
    "Month",
    "Product",
    "Region",
    "Reason",
    "Unmet requests",
    "Capacity",
    "Routed to it",
    "Accepted",
    "Declined",
    "In hand at month end",
    "Utilisation",
)


def demand_without_supply_cells(view: DemandWithoutSupply) -> list[Cells]:
    """Each month's unmet demand per product, region and reason, with the product's
    supply that month beside it (blank for a caller who may not read supply)."""
    supply = {(load.month, load.product_code): load for load in view.load}
    rows: list[Cells] = []
    for unmet in view.unmet:
        load = supply.get((unmet.month, unmet.product_code))
        beside: list[object] = [None] * 6
        if load is not None:
            beside = [load.capacity, load.requested, load.accepted, load.declined]
            beside += [load.in_hand, load.utilisation]
        month, product = unmet.month, unmet.product_code
        rows.append([month, product, unmet.region, unmet.reason_code, unmet.requests, *beside])
    return rows
