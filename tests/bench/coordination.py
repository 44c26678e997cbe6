"""The corpus of the SLA, cost and supply views for the insights bench (insights.py):
the status history, engagements, assessments, breaches and unmet demand of `count`
requests, turned into the service's derived rows and aggregates by its own rules
(domain.figures_of, store.coordination_counts, load_counts, unmet_counts), as the
handlers would leave them after applying every event."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from contracts.enums import DeclineReason
from services.insights import domain
from services.insights.models import (
    InsightsTable,
    RequestCoordination,
    RequestFact,
    RequestParty,
    RequestProduct,
    UnmetDemandFact,
)
from services.insights.store import (
    CountKey,
    Counts,
    coordination_counts,
    coordination_row,
    load_counts,
    unmet_counts,
)

HOUR = timedelta(hours=1)
REASONS = [reason.value for reason in DeclineReason]


@dataclass
class FiguresCorpus:
    """Rows per table, ready for bulk inserts."""

    rows: dict[type[InsightsTable], list[dict[str, Any]]] = field(default_factory=dict)
    totals: dict[CountKey, dict[str, int]] = field(default_factory=dict)

    def add(self, table: type[InsightsTable], row: dict[str, Any]) -> None:
        self.rows.setdefault(table, []).append(row)

    def count(self, counts: Counts) -> None:
        for key, amounts in counts:
            held = self.totals.setdefault(key, {})
            for name, amount in amounts.items():
                held[name] = held.get(name, 0) + amount

    def aggregates(self) -> dict[type[InsightsTable], list[dict[str, Any]]]:
        tables: dict[type[InsightsTable], list[dict[str, Any]]] = {}
        for (table, identity, extra), amounts in self.totals.items():
            tables.setdefault(table, []).append({**dict(identity), **dict(extra), **amounts})
        return tables


def _history(
    rng: random.Random,
    client: str,
    desk: str,
    submitted: datetime,
    products: list[str],
    partners: tuple[str, ...],
) -> tuple[domain.RequestHistory, list[tuple[str, datetime, str]]]:
    """A plausible history, and the unmet demand its desk recorded (product, when, reason)."""
    officer = f"desk_officer:{desk}:amina"
    at_intake = rng.random() < 0.4
    routed = submitted if at_intake else submitted + HOUR * rng.randrange(1, 72)
    actor = f"desk:{desk}:intake" if at_intake else officer
    steps = [
        domain.Step(submitted if at_intake else submitted + HOUR, "triaged", actor),
        domain.Step(routed, "routed", actor),
    ]
    engagements: list[domain.EngagementPart] = []
    unmet: list[tuple[str, datetime, str]] = []
    for product in products:
        started = routed + HOUR * rng.randrange(0, 48)
        if rng.random() < 1 / 6:
            declined = started + HOUR * rng.randrange(0, 96)
            engagements.append(domain.EngagementPart(product, started, None, declined, True))
            if rng.random() < 0.5:
                unmet.append((product, declined + HOUR, rng.choice(REASONS)))
                continue
            started = declined + HOUR * rng.randrange(2, 48)  # re-routed
        accepted = started + HOUR * rng.randrange(0, 72)
        ended = accepted + HOUR * rng.randrange(24, 24 * 90) if rng.random() < 0.7 else None
        engagements.append(domain.EngagementPart(product, started, accepted, ended, False))
    last = max([routed, *(e.ended_at or e.accepted_at or e.started_at for e in engagements)])
    steps.append(
        domain.Step(routed + HOUR * rng.randrange(1, 72), "in_progress", "desks:automation")
    )
    if rng.random() < 0.1:
        held = routed + HOUR * rng.randrange(2, 200)
        steps += [
            domain.Step(held, "on_hold", officer),
            domain.Step(held + HOUR * rng.randrange(1, 300), "in_progress", officer),
        ]
    if all(e.ended_at is not None for e in engagements if not e.declined):
        steps.append(domain.Step(last, "delivered", "desks:automation"))
        if rng.random() < 0.7:
            steps.append(domain.Step(last + HOUR * rng.randrange(1, 24 * 30), "closed", officer))
    assessments: tuple[domain.AssessmentPart, ...] = ()
    if partners:
        opened = submitted + HOUR * rng.randrange(1, 240)
        ended = opened + HOUR * rng.randrange(24, 24 * 60) if rng.random() < 0.6 else None
        assessments = (domain.AssessmentPart(partners, opened, ended),)
    breaches = tuple(
        domain.Breach(clock, submitted + HOUR * rng.randrange(1, 24 * 40))
        for clock in ("triage", "deliver")
        if rng.random() < 0.15
    )
    history = domain.RequestHistory(
        client, desk, submitted, tuple(steps), tuple(engagements), assessments, breaches
    )
    return history, unmet


def figures_corpus(requests: Iterable[dict[str, Any]], seed: int) -> FiguresCorpus:
    """The derived rows of each request (dicts of the 3W corpus: id, where, products,
    partners, submitted)."""
    rng = random.Random(seed)
    corpus = FiguresCorpus()
    for request in requests:
        history, unmet = _history(
            rng,
            request["client_code"],
            request["desk_code"],
            request["submitted_at"],
            request["products"],
            request["partners"],
        )
        fact = RequestFact(
            id=request["request_id"],
            client_code=request["client_code"],
            client_kind="mission",
            country=request["country"],
            region=request["region"],
            desk_code=request["desk_code"],
            products=request["products"],
            status="submitted",
            submitted_at=request["submitted_at"],
            status_at=request["submitted_at"],
        )
        figures = domain.figures_of(history)
        partners = sorted(request["partners"])
        row = coordination_row(
            fact, sorted(request["products"]), partners, figures, len(history.assessments)
        )
        corpus.add(RequestCoordination, row)
        for party in figures.parties:
            corpus.add(
                RequestParty,
                {
                    "request_id": fact.id,
                    "party_kind": party.kind.value,
                    "party": party.party,
                    "seconds": party.seconds,
                    "breaches": party.breaches,
                },
            )
        for product in request["products"]:
            corpus.add(RequestProduct, {"request_id": fact.id, "product_code": product})
        corpus.count(coordination_counts(row))
        for e in history.engagements:
            load = domain.EngagementLoad(
                e.product_code, e.started_at, e.accepted_at, e.ended_at, e.declined
            )
            corpus.count(load_counts(load))
        for product, recorded, reason in unmet:
            unmet_fact = UnmetDemandFact(
                request_id=fact.id,
                product_code=product,
                client_code=fact.client_code,
                country=fact.country,
                region=fact.region,
                desk_code=fact.desk_code,
                reason_code=reason,
                recorded_at=recorded,
            )
            corpus.add(UnmetDemandFact, unmet_fact.model_dump())
            corpus.count(unmet_counts(unmet_fact))
    return corpus
