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
    # Built as a list straight away, the constant values encoded once: the relay
    # calls this for every event it publishes.
    headers = [
        _SPEC_VERSION_HEADER,
        ("ce_id", event_id.encode()),
        ("ce_source", source.encode()),
        ("ce_type", event_type.encode()),
        ("ce_time", time.isoformat().encode()),
        ("ce_correlationid", correlation_id.encode()),
        _CONTENT_TYPE_HEADER,
    ]
    if subject:
        headers.append(("ce_subject", subject.encode()))
    if causation_id:
        headers.append(("ce_causationid", causation_id.encode()))
    if traceparent:
        headers.append(("traceparent", traceparent.encode()))
    if extra:
        # An extra header replaces a standard one of the same name, in its place.
        named = dict(headers)
        named.update((name, value.encode()) for name, value in extra.items())
        headers = list(named.items())
    return headers


_SPEC_VERSION_HEADER = ("ce_specversion", SPEC_VERSION.encode())
_CONTENT_TYPE_HEADER = ("content-type", CONTENT_TYPE.encode())


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
    # Only the attributes an envelope holds are decoded, not every header (a
    # dead letter's or a tracing system's headers travel along untouched).
    raw = dict(headers or ())
    attributes = {name: raw[name].decode("utf-8", "replace") for name in _ATTRIBUTES if name in raw}
    missing = [name for name in _REQUIRED if not attributes.get(name)]
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


_REQUIRED = ("ce_id", "ce_type", "ce_source", "ce_time")
_ATTRIBUTES = (
    *_REQUIRED,
    "ce_specversion",
    "ce_correlationid",
    "ce_causationid",
    "ce_subject",
    "traceparent",
)
