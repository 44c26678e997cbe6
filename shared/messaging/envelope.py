"""CloudEvents 1.0 over Kafka, binary content mode.

Attributes travel as `ce_*` record headers, the record value is the JSON data,
the record key is the aggregate id. We chose binary mode so a consumer can route
on `ce_type` without parsing the body, and the body stays the plain payload.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic_core import from_json

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"
Headers = list[tuple[str, bytes]]


class MalformedEvent(ValueError):
    """A record that is not a OneDoor CloudEvent: it can only be dead-lettered."""


@dataclass(frozen=True)
class Envelope:
    id: str
    type: str
    source: str
    time: datetime
    correlation_id: str
    data: dict[str, Any]
    subject: str | None = None
    causation_id: str | None = None
    traceparent: str | None = None


def to_headers(
    *,
    event_id: str,
    event_type: str,
    source: str,
    time: datetime,
    correlation_id: str,
    subject: str | None,
    causation_id: str | None,
    traceparent: str | None,
    extra: dict[str, str] | None = None,
) -> Headers:
    attributes = {
        "ce_specversion": SPEC_VERSION,
        "ce_id": event_id,
        "ce_source": source,
        "ce_type": event_type,
        "ce_time": time.isoformat(),
        "ce_correlationid": correlation_id,
        "content-type": CONTENT_TYPE,
    }
    optional = {
        "ce_subject": subject,
        "ce_causationid": causation_id,
        "traceparent": traceparent,
    }
    attributes.update({name: value for name, value in optional.items() if value})
    attributes.update(extra or {})
    return [(name, value.encode()) for name, value in attributes.items()]


def header_map(headers: Sequence[tuple[str, bytes]] | None) -> dict[str, str]:
    return {name: value.decode("utf-8", "replace") for name, value in headers or ()}


def event_type(headers: Sequence[tuple[str, bytes]] | None) -> str | None:
    """A record's `ce_type`, read without decoding anything else: a consumer passes
    over the types it does not handle before paying for their bodies."""
    for name, value in headers or ():
        if name == "ce_type":
            return value.decode("utf-8", "replace")
    return None


def from_record(headers: Sequence[tuple[str, bytes]] | None, value: bytes | None) -> Envelope:
    attributes = header_map(headers)
    missing = [
        name for name in ("ce_id", "ce_type", "ce_source", "ce_time") if not attributes.get(name)
    ]
    if missing:
        raise MalformedEvent(f"missing CloudEvents headers: {', '.join(missing)}")
    if attributes.get("ce_specversion") != SPEC_VERSION:
        raise MalformedEvent(f"unsupported specversion {attributes.get('ce_specversion')!r}")
    try:
        data = from_json(value or b"")
        time = datetime.fromisoformat(attributes["ce_time"])
    except ValueError as error:
        raise MalformedEvent(f"unreadable event: {error}") from error
    if not isinstance(data, dict):
        raise MalformedEvent("event data must be a JSON object")
    return Envelope(
        id=attributes["ce_id"],
        type=attributes["ce_type"],
        source=attributes["ce_source"],
        time=time,
        correlation_id=attributes.get("ce_correlationid") or attributes["ce_id"],
        causation_id=attributes.get("ce_causationid"),
        subject=attributes.get("ce_subject"),
        traceparent=attributes.get("traceparent"),
        data=data,
    )
