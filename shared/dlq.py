"""`onedoor dlq list|show|replay`: an operator's view of a service's dead letters.

list    every dead letter of a service: where it came from, its type, why it died
show    one dead letter in full: headers and value (UTF-8 if it is, else hex)
replay  send one (or all) back to its original topic exactly as first sent (the
        original key, value and headers; the `dlq_*` ones dropped); the consumer
        then handles it again, once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from shared.messaging import broker
from shared.messaging.deadletter import original_headers
from shared.settings import PlatformSettings


@dataclass(frozen=True)
class DeadLetter:
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes]]

    def header(self, name: str) -> str:
        for header, value in self.headers:
            if header == name:
                return value.decode("utf-8", "replace")
        return ""

    @property
    def position(self) -> str:
        return f"{self.partition}:{self.offset}"


def dead_letter_topic(settings: PlatformSettings, service: str) -> str:
    return settings.physical_topic(f"onedoor.dlq.{service}")


async def read_dead_letters(
    settings: PlatformSettings, service: str, limit: int = 10_000
) -> list[DeadLetter]:
    """The topic's records from the beginning up to its current end (at most `limit`)."""
    topic = dead_letter_topic(settings, service)
    # Assigned, never committing: reading the dead letters moves no group's offsets.
    consumer = broker.consumer(settings, settings.physical_topic("onedoor.dlq-reader"))
    await consumer.start()
    try:
        partitions = [
            TopicPartition(topic, number) for number in consumer.partitions_for_topic(topic) or ()
        ]
        if not partitions:
            await consumer.topics()
            partitions = [
                TopicPartition(topic, n) for n in consumer.partitions_for_topic(topic) or ()
            ]
        if not partitions:
            return []
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        letters: list[DeadLetter] = []
        while len(letters) < limit and await _behind(consumer, ends):
            batches = await consumer.getmany(timeout_ms=1000, max_records=500)
            for records in batches.values():
                letters.extend(_letter(record) for record in records)
        return sorted(letters, key=lambda letter: (letter.partition, letter.offset))[:limit]
    finally:
        await consumer.stop()


async def _behind(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> bool:
    for partition, end in ends.items():
        if await consumer.position(partition) < end:
            return True
    return False


def _letter(record: ConsumerRecord[bytes, bytes]) -> DeadLetter:
    return DeadLetter(
        record.partition, record.offset, record.key, record.value or b"", list(record.headers)
    )


async def replay(settings: PlatformSettings, letters: Sequence[DeadLetter]) -> list[str]:
    """Send each dead letter back, byte for byte, to the topic it was consumed from."""
    producer = broker.producer(settings)
    await producer.start()
    try:
        sent = []
        for letter in letters:
            topic = letter.header("dlq_topic")
            if not topic:
                raise ValueError(f"dead letter {letter.position} names no original topic")
            await producer.send_and_wait(
                topic, value=letter.value, key=letter.key, headers=original_headers(letter.headers)
            )
            sent.append(f"{letter.position} -> {topic}")
        return sent
    finally:
        await producer.stop()


def summary_line(letter: DeadLetter) -> str:
    error = letter.header("dlq_error").splitlines()[0:1]
    return (
        f"{letter.position:>10}  {letter.header('ce_type') or '?':<45} "
        f"from {letter.header('dlq_topic')}@{letter.header('dlq_partition')}:"
        f"{letter.header('dlq_offset')}  attempts {letter.header('dlq_attempts')}  "
        f"{error[0][:120] if error else ''}"
    )


def details(letter: DeadLetter) -> str:
    lines = [f"dead letter {letter.position}", f"key: {_shown(letter.key or b'')}", "headers:"]
    lines += [f"  {name}: {_shown(value)}" for name, value in letter.headers]
    lines += [f"value ({len(letter.value)} bytes):", _shown(letter.value)]
    return "\n".join(lines)


def _shown(value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return f"(not UTF-8, hex) {value.hex()}"


def find(letters: Sequence[DeadLetter], position: str) -> DeadLetter:
    for letter in letters:
        if letter.position == position:
            return letter
    raise LookupError(f"no dead letter at {position} (see `onedoor dlq list`)")


def run_command(settings: PlatformSettings, service: str, action: str, position: str | None) -> str:
    letters = asyncio.run(read_dead_letters(settings, service))
    if action == "list":
        if not letters:
            return f"no dead letters for {service}"
        return "\n".join(summary_line(letter) for letter in letters)
    if action == "show":
        return details(find(letters, _required(position)))
    chosen = letters if position == "all" else [find(letters, _required(position))]
    return "\n".join(asyncio.run(replay(settings, chosen))) or "nothing to replay"


def _required(position: str | None) -> str:
    if not position:
        raise LookupError("name a dead letter as PARTITION:OFFSET (see `onedoor dlq list`)")
    return position
