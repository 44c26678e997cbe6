"""The insights rules: newer status wins whatever the order, who may see what, lines per
organisation, the time window, and CSV cells safe from formula injection."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from contracts.http.insights.responses import PartyKind
from services.insights import domain
from shared.auth import Principal, Role
from shared.errors import DomainError

T1 = datetime(2026, 1, 1, tzinfo=UTC)
T2 = datetime(2026, 2, 1, tzinfo=UTC)


def final_status(events: list[tuple[datetime, str]]) -> tuple[datetime, str]:
    held = events[0]
    for event in events[1:]:
        if domain.supersedes(domain.ENGAGEMENT_ORDER, event, held):
            held = event
    return held


def test_the_newest_status_wins_in_every_order() -> None:
    events = [(T1, "proposed"), (T1, "accepted"), (T2, "delivered"), (T2, "planning")]
    outcomes = {final_status(list(order)) for order in itertools.permutations(events)}
    assert outcomes == {(T2, "delivered")}


@pytest.mark.parametrize(
    ("principal", "scope"),
    [
        (Principal("c", Role.client, client="MINUSMA"), domain.Scope(client_code="MINUSMA")),
        (Principal("d", Role.desk_officer, desk="AFRICA_II"), domain.Scope(desk_code="AFRICA_II")),
        (
            Principal("p", Role.provider, products=("RULE_OF_LAW",)),
            domain.Scope(products=("RULE_OF_LAW",)),
        ),
        (Principal("a", Role.partner, partner="AU"), domain.Scope(partner="AU")),
        (Principal("h", Role.hq_analyst), domain.Scope()),
        (Principal("x", Role.admin), domain.Scope()),
    ],
)
def test_each_role_reads_its_own_scope(principal: Principal, scope: domain.Scope) -> None:
    assert domain.scope_of(principal) == scope


def test_a_client_token_without_its_client_reads_nothing() -> None:
    with pytest.raises(DomainError) as refused:
        domain.scope_of(Principal("c", Role.client))
    assert refused.value.code == "FORBIDDEN"


def test_lines_end_with_their_lifecycle() -> None:
    open_desk = domain.desk_lines("AFRICA_II", ["A", "B", "A"], "in_progress", T1, T2)
    assert [(line.product_code, line.end_month) for line in open_desk] == [("A", ""), ("B", "")]
    closed = domain.desk_lines("AFRICA_II", ["A"], "closed", T1, T2)
    assert closed[0].end_month == "2026-02" and closed[0].start_month == "2026-01"
    assert domain.provider_line("A", "declined", T1, T2).end_month == "2026-02"
    assert domain.provider_line("A", "deployed", T1, T2).end_month == ""


def test_one_line_per_organisation_and_product_the_latest_engagement() -> None:
    first = domain.provider_line("A", "declined", T1, T1)
    rerouted = domain.provider_line("A", "accepted", T2, T2)
    assert domain.merged([rerouted, first]) == domain.merged([first, rerouted]) == [rerouted]
    partners = domain.partner_lines(["AU", "AU", "WB"], ["A"], "active", T1, T1)
    assert [(line.party_kind, line.party) for line in partners] == [
        (PartyKind.partner, "AU"),
        (PartyKind.partner, "WB"),
    ]


def test_active_months_merge_into_runs_a_window_meets_as_it_meets_the_months() -> None:
    assert domain.active_spans([]) == []
    # Overlapping and touching intervals make one run; a gap of a month splits it.
    months = [("2026-03", "2026-04"), ("2026-01", "2026-02"), ("2026-06", "2026-07")]
    assert domain.active_spans(months) == [("2026-01", "2026-04"), ("2026-06", "2026-07")]
    # An interval still open (OPEN) makes its run open, whatever came after it.
    open_from_may = [("2026-05", domain.OPEN), ("2026-08", "2026-09"), ("2026-01", "2026-01")]
    assert domain.active_spans(open_from_may) == [
        ("2026-01", "2026-01"),
        ("2026-05", domain.OPEN),
    ]
    assert domain.active_spans([("2025-11", "2025-12"), ("2026-01", "2026-03")]) == [
        ("2025-11", "2026-03")
    ]


def test_a_window_is_counted_in_months_and_must_not_end_before_it_starts() -> None:
    assert domain.month_window(T1, T2) == ("2026-01", "2026-02")
    assert domain.month_window(None, None) == (None, None)
    with pytest.raises(DomainError):
        domain.month_window(T2, T1)
