"""Dead letters: a record no handler could apply, kept byte for byte.

A dead letter travels through the outbox like any event, so it is not lost when
the broker is away. Its outbox row keeps the original record exactly: the value
(base64, since it may not even be UTF-8) in `payload`, the original key and
headers in one reserved extra header. The relay publishes it to the service's dead-letter
topic with the original key, value and headers, plus `dlq_*` headers saying why
(error, consumer, topic, partition, offset, attempts). Replaying one (see
`onedoor dlq replay`) sends exactly the original record to its original topic.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from aiokafka import ConsumerRecord

from shared.messaging.envelope import Envelope, header_map
from shared.messaging.models import OutboxMessage

Headers = list[tuple[str, bytes]]


class StoredRecord(Protocol):
    """What the relay reads of an outbox row to publish it."""

    @property
    def payload(self) -> str: ...

    @property
    def extra_headers(self) -> dict[str, str] | None: ...


# The extra header that holds the original key and headers; never sent as such.
ORIGINAL_RECORD = "__dlq_original_record"
DLQ_PREFIX = "dlq_"


def dead_letter_row(
    record: ConsumerRecord[bytes, bytes],
    envelope: Envelope | None,
    *,
    error: str,
    consumer: str,
    attempts: int,
    dead_letter_topic: str,
    now: datetime,
) -> OutboxMessage:
    attributes = header_map(record.headers)
    position = f"{record.topic}/{record.partition}/{record.offset}"
    return OutboxMessage(
        event_id=(envelope.id if envelope else attributes.get("ce_id") or position)[:64],
        topic=dead_letter_topic,
        key=(record.key or b"").decode("utf-8", "replace")[:200],
        event_type=(envelope.type if envelope else attributes.get("ce_type", "unknown"))[:200],
        source=(envelope.source if envelope else attributes.get("ce_source", "unknown"))[:200],
        subject=envelope.subject if envelope else None,
        occurred_at=envelope.time if envelope else now,
        correlation_id=envelope.correlation_id if envelope else "",
        causation_id=envelope.causation_id if envelope else None,
        payload=base64.b64encode(record.value or b"").decode(),
        extra_headers={
            ORIGINAL_RECORD: _encode_key_and_headers(record.key, record.headers),
            "dlq_error": error[:2000],
            "dlq_consumer": consumer,
            "dlq_topic": record.topic,
            "dlq_partition": str(record.partition),
            "dlq_offset": str(record.offset),
            "dlq_attempts": str(attempts),
        },
        traceparent=envelope.traceparent if envelope else None,
        created_at=now,
    )


def is_dead_letter(row: StoredRecord) -> bool:
    return bool(row.extra_headers and ORIGINAL_RECORD in row.extra_headers)


def dead_letter_record(row: StoredRecord) -> tuple[bytes | None, bytes, Headers]:
    """The record the relay publishes for a dead-letter row: the original key and
    value, the original headers, then the `dlq_*` headers."""
    extra = dict(row.extra_headers or {})
    key, original = _decode_key_and_headers(extra.pop(ORIGINAL_RECORD))
    reasons = [(name, value.encode()) for name, value in extra.items()]
    return key, base64.b64decode(row.payload), original + reasons


def original_headers(headers: Sequence[tuple[str, bytes]] | None) -> Headers:
    """A dead letter's headers without the `dlq_*` ones: the record as first sent."""
    return [(name, value) for name, value in headers or () if not name.startswith(DLQ_PREFIX)]


def _encode_key_and_headers(key: bytes | None, headers: Sequence[tuple[str, bytes]] | None) -> str:
    return json.dumps(
        {
            "key": None if key is None else base64.b64encode(key).decode(),
            "headers": [
                [name, base64.b64encode(value or b"").decode()] for name, value in headers or ()
            ],
        }
    )


def _decode_key_and_headers(encoded: str) -> tuple[bytes | None, Headers]:
    record = json.loads(encoded)
    key = None if record["key"] is None else base64.b64decode(record["key"])
    return key, [(name, base64.b64decode(value)) for name, value in record["headers"]]
