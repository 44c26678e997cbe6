"""The desks growth bench's stored requests (tests/bench/desks_growth.py) are rows the
desks models accept, in the proportions its docstring says."""

from __future__ import annotations

from datetime import UTC, datetime

from services.desks import domain
from services.desks.models import OverlapLink, Routing, ServiceRequest, SlaClockState
from tests.bench.desks_growth import Corpus


def test_generated_requests_are_valid_rows_in_realistic_proportions() -> None:
    corpus = Corpus(datetime(2026, 12, 2, tzinfo=UTC))
    chunks = list(corpus.chunks(3_000))
    requests = [row for chunk in chunks for row in chunk.by_model[ServiceRequest]]
    ids = {row["id"] for row in requests}
    assert len(requests) == len(ids) == 3_000
    for row in requests:
        ServiceRequest.model_validate(row)
        assert row["created_at"] <= corpus.now
        assert 1 <= len(row["products"]) <= 3
    still_open = [row for row in requests if row["status"] in domain.OPEN_STATUSES]
    assert 0.10 <= len(still_open) / len(requests) <= 0.20
    for chunk in chunks:
        for routing in chunk.by_model[Routing]:
            Routing.model_validate(routing)
            assert routing["request_id"] in ids
        clocks = chunk.by_model[SlaClockState]
        assert len(clocks) == 3 * len(chunk.by_model[ServiceRequest])
        for link in chunk.by_model[OverlapLink]:
            OverlapLink.model_validate(link)
            assert {link["request_id"], link["other_request_id"]} <= ids
    assert len(corpus.open_texts) == len(still_open)
