from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.messaging.envelope import MalformedEvent, event_type, from_record, to_headers

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def test_cloudevent_attributes_round_trip_through_kafka_headers() -> None:
    headers = to_headers(
        event_id="e1",
        event_type="onedoor.request.submitted.v1",
        source="/onedoor/desks",
        time=NOW,
        correlation_id="c1",
        subject="r1",
        causation_id="e0",
        traceparent=TRACEPARENT,
    )
    names = dict(headers)
    assert names["ce_specversion"] == b"1.0" and names["content-type"] == b"application/json"
    envelope = from_record(headers, b'{"request_id": "r1"}')
    assert (envelope.id, envelope.type, envelope.source, envelope.time) == (
        "e1",
        "onedoor.request.submitted.v1",
        "/onedoor/desks",
        NOW,
    )
    assert (envelope.correlation_id, envelope.causation_id, envelope.subject) == ("c1", "e0", "r1")
    assert envelope.traceparent == TRACEPARENT
    assert envelope.data == {"request_id": "r1"}


@pytest.mark.parametrize(
    ("headers", "value"),
    [
        ([], b"{}"),
        ([("ce_id", b"1"), ("ce_type", b"t"), ("ce_source", b"s"), ("ce_time", b"now")], b"{}"),
        (None, b"[]"),
    ],
)
def test_records_that_are_not_our_cloudevents_are_malformed(
    headers: list[tuple[str, bytes]] | None, value: bytes
) -> None:
    if headers is None:
        headers = to_headers(
            event_id="e",
            event_type="t",
            source="s",
            time=NOW,
            correlation_id="e",
            subject=None,
            causation_id=None,
            traceparent=None,
        )
    with pytest.raises(MalformedEvent):
        from_record(headers, value)


def test_the_event_type_is_read_from_its_header_alone() -> None:
    headers = [("ce_id", b"1"), ("ce_type", b"onedoor.request.submitted.v1")]
    assert event_type(headers) == "onedoor.request.submitted.v1"
    assert event_type([("ce_id", b"1")]) is None
    assert event_type(None) is None
