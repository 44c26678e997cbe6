"""Signing outbound webhooks, and the check a partner's receiver runs on them.

The signature is HMAC-SHA256, keyed with the partner's shared secret, over
`"<timestamp>.<body>"` (the timestamp in Unix seconds, as sent in
`X-OneDoor-Timestamp`). Signing the timestamp with the body stops a replay with a
fresh timestamp; the receiver refuses timestamps outside its window (five minutes)
and de-duplicates by `X-OneDoor-Delivery`, because a notification is delivered at
least once. `verify` is the function given to partners in docs/partnerships.md;
the tests run it on their receiving side.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-OneDoor-Signature"
TIMESTAMP_HEADER = "X-OneDoor-Timestamp"
DELIVERY_HEADER = "X-OneDoor-Delivery"
EVENT_HEADER = "X-OneDoor-Event"
REPLAY_WINDOW_S = 300


class InvalidSignature(ValueError):
    pass


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The value of the signature header: `sha256=<hex digest>`."""
    message = str(timestamp).encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(
    secret: str,
    body: bytes,
    signature: str | None,
    timestamp: str | None,
    now: float | None = None,
    window_s: int = REPLAY_WINDOW_S,
) -> None:
    """Raise `InvalidSignature` unless the body was signed with `secret` within the window.

    `now` is the receiver's clock in Unix seconds (default `time.time()`).
    """
    if not signature or not timestamp:
        raise InvalidSignature("missing signature or timestamp header")
    try:
        sent_at = int(timestamp)
    except ValueError as error:
        raise InvalidSignature("timestamp is not a number") from error
    if abs((time.time() if now is None else now) - sent_at) > window_s:
        raise InvalidSignature("timestamp outside the replay window")
    if not hmac.compare_digest(sign(secret, sent_at, body), signature):
        raise InvalidSignature("signature does not match")
