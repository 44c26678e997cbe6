"""Webhook signatures: what the dispatcher signs, the partner's check accepts, and only that."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import pytest

from services.partnerships.signatures import InvalidSignature, sign, verify

SECRET = "s3cret"
BODY = b'{"delivery_id":"d1","event":"assessment.invited"}'
NOW = 1_780_000_000


def test_the_signature_is_an_hmac_sha256_of_timestamp_dot_body() -> None:
    expected = hmac.new(SECRET.encode(), f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, NOW, BODY) == f"sha256={expected}"
    verify(SECRET, BODY, sign(SECRET, NOW, BODY), str(NOW), now=NOW + 10)


@pytest.mark.parametrize(
    ("secret", "body", "timestamp", "now", "why"),
    [
        ("other", BODY, NOW, NOW, "does not match"),
        (SECRET, BODY + b" ", NOW, NOW, "does not match"),
        (SECRET, BODY, NOW, NOW + 301, "replay window"),
        (SECRET, BODY, NOW, NOW - 301, "replay window"),
    ],
)
def test_a_wrong_key_changed_body_or_old_timestamp_is_refused(
    secret: str, body: bytes, timestamp: int, now: int, why: str
) -> None:
    with pytest.raises(InvalidSignature, match=why):
        verify(secret, body, sign(SECRET, timestamp, BODY), str(timestamp), now=now)


def test_a_replayed_body_with_a_fresh_timestamp_does_not_verify() -> None:
    old = sign(SECRET, NOW, BODY)
    with pytest.raises(InvalidSignature, match="does not match"):
        verify(SECRET, BODY, old, str(NOW + 1000), now=NOW + 1000)


def test_missing_or_malformed_headers_are_refused() -> None:
    with pytest.raises(InvalidSignature):
        verify(SECRET, BODY, None, str(NOW), now=NOW)
    with pytest.raises(InvalidSignature):
        verify(SECRET, BODY, sign(SECRET, NOW, BODY), "yesterday", now=NOW)


def test_the_function_given_to_partners_in_the_docs_is_the_one_the_tests_run() -> None:
    root = Path(__file__).resolve().parents[3]
    docs = (root / "docs" / "partnerships.md").read_text()
    module = (root / "services" / "partnerships" / "signatures.py").read_text()
    code = module[module.index("import hashlib") :].replace(
        "from __future__ import annotations\n\n", ""
    )
    assert f"```python\n{code}```" in docs
