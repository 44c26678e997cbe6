"""The every-client sums the whole picture reads (coordination_month_total,
unmet_demand_total) are the full aggregates' rows summed over the columns they leave
out, contribution by contribution, so either table answers HQ with the same figures."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from services.insights import domain
from services.insights.models import (
    EVERYONE,
    CoordinationMonth,
    CoordinationMonthTotal,
    RequestFact,
    UnmetDemandCount,
    UnmetDemandFact,
    UnmetDemandTotal,
)
from services.insights.store import Counts, coordination_counts, coordination_row, unmet_counts

T0 = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
TOTAL_KEY = ("product_code", "month", "desk_code", "route")


def request(number: int, client: str, desk: str, partners: tuple[str, ...]) -> Counts:
    submitted = T0 + timedelta(days=20 * number)
    fact = RequestFact(
        id=f"R{number}",
        client_code=client,
        client_kind="mission",
        country="MLI",
        region="Africa",
        desk_code=desk,
        products=["EA", "MS"],
        status="submitted",
        submitted_at=submitted,
        status_at=submitted,
    )
    officer = f"desk_officer:{desk}:amina"
    history = domain.RequestHistory(
        client_code=client,
        desk_code=desk,
        submitted_at=submitted,
        steps=(
            domain.Step(submitted + timedelta(hours=2), "triaged", officer),
            domain.Step(submitted + timedelta(hours=5), "routed", officer),
        ),
        engagements=(
            domain.EngagementPart(
                "EA", submitted + timedelta(hours=5), submitted + timedelta(hours=9), None, False
            ),
        ),
        assessments=(
            (domain.AssessmentPart(partners, submitted + timedelta(hours=1), None),)
            if partners
            else ()
        ),
        breaches=(domain.Breach("triage", submitted + timedelta(hours=3)),),
    )
    row = coordination_row(
        fact, ["EA", "MS"], sorted(partners), domain.figures_of(history), 1 if partners else 0
    )
    return coordination_counts(row)


def summed(counts: Counts, table: type, key: tuple[str, ...], **only: str) -> dict[tuple, Counter]:
    sums: dict[tuple, Counter] = {}
    for (counted, identity, _), amounts in counts:
        fields = dict(identity)
        if counted is table and all(fields[name] == value for name, value in only.items()):
            sums.setdefault(tuple(fields[name] for name in key), Counter()).update(amounts)
    return sums


def test_the_every_client_cost_sums_are_everyones_rows_summed_over_clients() -> None:
    counts = [
        *request(1, "MINUSMA", "AFRICA_II", ("AU",)),
        *request(2, "MONUSCO", "AFRICA_II", ()),
        *request(3, "UNSMIL", "AFRICA_I", ("AU", "EU")),
    ]
    totals = summed(counts, CoordinationMonthTotal, TOTAL_KEY)
    assert totals == summed(counts, CoordinationMonth, TOTAL_KEY, partner=EVERYONE)
    assert totals[("", "2026-01", "AFRICA_II", "triage")]["requests"] == 1
    assert sum(amounts["requests"] for key, amounts in totals.items() if key[0] == "EA") == 3


def test_the_every_place_unmet_demand_is_the_full_counts_summed_over_places() -> None:
    facts = [
        UnmetDemandFact(
            request_id=f"R{number}",
            product_code="MS",
            client_code=client,
            country=country,
            region="Africa",
            desk_code="AFRICA_II",
            reason_code="capacity",
            recorded_at=T0,
        )
        for number, (client, country) in enumerate((("MINUSMA", "MLI"), ("MONUSCO", "COD")))
    ]
    counts = [count for fact in facts for count in unmet_counts(fact)]
    key = ("month", "product_code", "region", "reason_code")
    totals = summed(counts, UnmetDemandTotal, key)
    assert totals == summed(counts, UnmetDemandCount, key)
    assert totals == {("2026-01", "MS", "Africa", "capacity"): Counter(requests=2)}
