"""CloudEvents 1.0 over Kafka, binary content mode.

Attributes travel as `ce_*` record headers, the record value is the JSON data,
the record key is the aggregate id. We chose binary mode so a consumer can route
on `ce_type` without parsing the body, and the body stays the plain payload.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from pydantic_core import from_json

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"
Headers = list[tuple[str, bytes]]


class MalformedEvent(ValueError):
    """A record that is not a OneDoor CloudEvent: it can only be dead-lettered."""


class Envelope(NamedTuple):
    """A CloudEvent as a consumer reads it. Immutable; a tuple rather than a frozen
    dataclass because a consumer makes one per event, and a frozen dataclass's
    `__init__` sets each field through `object.__setattr__` (twice the cost)."""

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
    # dead letter's or a tracing system's headers travel along untouched); each by
    # name, as this runs once for every event a consumer applies.
    raw = dict(headers or ())
    event_id = _text(raw.get("ce_id"))
    event_type_ = _text(raw.get("ce_type"))
    source = _text(raw.get("ce_source"))
    time_text = _text(raw.get("ce_time"))
    if not (event_id and event_type_ and source and time_text):
        missing = [name for name in _REQUIRED if not _text(raw.get(name))]
        raise MalformedEvent(f"missing CloudEvents headers: {', '.join(missing)}")
    if raw.get("ce_specversion") != _SPEC_VERSION_HEADER[1]:
        raise MalformedEvent(f"unsupported specversion {_text(raw.get('ce_specversion'))!r}")
    try:
        data = from_json(value or b"")
        time = datetime.fromisoformat(time_text)
    except ValueError as error:
        raise MalformedEvent(f"unreadable event: {error}") from error
    if not isinstance(data, dict):
        raise MalformedEvent("event data must be a JSON object")
    return Envelope(
        event_id,
        event_type_,
        source,
        time,
        _text(raw.get("ce_correlationid")) or event_id,
        data,
        _text(raw.get("ce_subject")),
        _text(raw.get("ce_causationid")),
        _text(raw.get("traceparent")),
    )


def _text(value: bytes | None) -> str | None:
    return None if value is None else value.decode("utf-8", "replace")


_REQUIRED = ("ce_id", "ce_type", "ce_source", "ce_time")
