"""Poison records of each kind against the real broker: each dead-lettered with its
original key, value and headers byte for byte and the true number of attempts,
while the consumer goes on; a record of a type nobody here handles is counted;
an operator lists, shows and replays a dead letter, and it is then applied once."""

from __future__ import annotations

from datetime import UTC, datetime

from contracts.events import PRODUCTS_TOPIC, ProductCataloged
from shared.dlq import DeadLetter, details, read_dead_letters, replay, summary_line
from shared.messaging.deadletter import original_headers
from shared.messaging.envelope import to_headers
from shared.settings import ServiceSettings
from shared.testing.waiting import eventually
from tests.integration.test_messaging import (
    Probe,
    _has,
    cataloged,
    probe_service,
    produce_raw,
)


def headers_of(event_type: str, event_id: str) -> list[tuple[str, bytes]]:
    return to_headers(
        event_id=event_id,
        event_type=event_type,
        source="/test",
        time=datetime.now(UTC),
        correlation_id=event_id,
        subject=None,
        causation_id=None,
        traceparent=None,
    )


async def test_poison_records_keep_their_bytes_and_the_consumer_goes_on(
    probe_settings: ServiceSettings,
) -> None:
    probe = Probe(fail_times={"POISON": 99})
    async with probe_service(probe_settings, probe) as harness:
        topic = probe_settings.physical_topic(PRODUCTS_TOPIC)
        bootstrap = probe_settings.kafka_bootstrap_servers
        garbled = b"\xff\xfe not json \x00"
        garbled_headers = [("ce_id", b"garbled-1"), ("x-odd", b"\xc3\x28")]
        await produce_raw(bootstrap, topic, garbled, garbled_headers, key=b"\xffkey")
        invalid = b'{"code": 42}'
        invalid_headers = headers_of(ProductCataloged.type, "invalid-1")
        await produce_raw(bootstrap, topic, invalid, invalid_headers, key=b"ONE")
        await produce_raw(
            bootstrap, topic, b"{}", headers_of("onedoor.nobody.here.v1", "stray-1"), key=b"TWO"
        )
        await harness.publish(cataloged("POISON"), cataloged("AFTER"))
        await eventually(lambda: _has(harness, {"AFTER"}))

        letters: list[DeadLetter] = []

        async def three_letters() -> bool:
            letters[:] = await read_dead_letters(probe_settings, "probe")
            return len(letters) == 3

        await eventually(three_letters)
        by_id = {letter.header("ce_id"): letter for letter in letters}
        garbled_letter = by_id["garbled-1"]
        assert garbled_letter.value == garbled
        assert garbled_letter.key == b"\xffkey"
        assert original_headers(garbled_letter.headers) == garbled_headers
        assert garbled_letter.header("dlq_error").startswith("malformed event")
        assert garbled_letter.header("dlq_attempts") == "0"

        invalid_letter = by_id["invalid-1"]
        assert invalid_letter.value == invalid
        assert original_headers(invalid_letter.headers) == invalid_headers
        assert invalid_letter.header("dlq_attempts") == "1"  # invalid: no retry can help

        [poison] = [letter for letter in letters if letter.header("dlq_attempts") == "3"]
        assert b"POISON" in poison.value
        assert "POISON is not welcome" in poison.header("dlq_error")

        consumer = harness.runtime.consumer
        assert consumer is not None
        assert consumer.unhandled["onedoor.nobody.here.v1"] == 1
        assert harness.runtime.status()["unhandled_records"]["onedoor.nobody.here.v1"] == 1
        assert "not UTF-8" in details(garbled_letter)
        assert "malformed event" in summary_line(garbled_letter)


async def test_a_replayed_dead_letter_is_applied_once(probe_settings: ServiceSettings) -> None:
    probe = Probe(fail_times={"LATE": 4})  # fails every attempt of its first delivery
    async with probe_service(probe_settings, probe) as harness:
        await harness.publish(cataloged("LATE"))

        async def dead() -> bool:
            return "dead_lettered" in (await harness.inbox()).values()

        await eventually(dead)
        [letter] = await read_dead_letters(probe_settings, "probe")
        sent = await replay(probe_settings, [letter, letter])  # replayed twice by mistake
        assert len(sent) == 2
        await eventually(lambda: _has(harness, {"LATE"}))
        assert list((await harness.inbox()).values()) == ["applied"]
        await harness.publish(cataloged("NEXT"))
        await eventually(lambda: _has(harness, {"NEXT"}))
        assert probe.calls.count("LATE") == 1 + 3 + 1  # optimistic, 3 attempts, the replay
