"""Kafka clients, explicit topic creation and the broker's identity.

Topics are created explicitly at start-up (the embedded broker auto-creates any
topic it is asked about, with 4 partitions, so relying on defaults would hide
mistakes), unless `kafka_create_topics` is off because the cluster's operator
manages them (Strimzi `KafkaTopic`s); then their existence is checked only.
Every client is built here, with the same TLS/SASL settings (`security`). The broker's cluster id identifies one broker incarnation: the
embedded runner starts each broker with a fresh id, so a changed id means every
record the old broker held is gone.
"""

from __future__ import annotations

import asyncio
import logging
import random
import struct
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.helpers import create_ssl_context
from aiokafka.producer.message_accumulator import BatchBuilder

from shared.settings import PlatformSettings, ServiceSettings

log = logging.getLogger(__name__)

TOPIC_ALREADY_EXISTS = 36
# Bytes per partition in one produce request. aiokafka's 16 KB default cuts a relay
# batch of 500 events into ~30 requests sent one after another per partition;
# the embedded broker took twice the messages per second with 64 KB batches.
MAX_BATCH_BYTES = 1024 * 1024
# Bytes a consumer asks for per partition in one fetch. Not a limit on an event's size:
# a broker returns the first batch whole even when it is bigger (Kafka since KIP-74,
# Tansu 0.6 too: a 3 MB record came back whole to a consumer asking for 1 MB). With
# kafka_max_request_size (20 MB) here, a backlog could fill 20 MB per partition at once,
# and the memory it held stays fragmented after the load (docs/architecture.md).
MAX_PARTITION_FETCH_BYTES = 1024 * 1024
# What a batching consumer (`consumer_batch_wait_ms`) asks the broker to gather before
# answering a fetch early: more than a batch wait's events at the bench's rates, so in
# practice the wait decides. Apache Kafka (fetch.min.bytes) and Tansu both hold the
# fetch until this or the wait, whichever comes first.
BATCH_FETCH_MIN_BYTES = 1024 * 1024


class TopicCreationError(RuntimeError):
    pass


def security(settings: PlatformSettings) -> dict[str, Any]:
    """The connection arguments every aiokafka client gets: bootstrap, TLS and SASL."""
    protocol = settings.kafka_security_protocol
    arguments: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap_servers,
        "security_protocol": protocol,
    }
    if protocol in ("SSL", "SASL_SSL"):
        context = create_ssl_context(
            cafile=_path(settings.kafka_ssl_cafile),
            certfile=_path(settings.kafka_ssl_certfile),
            keyfile=_path(settings.kafka_ssl_keyfile),
        )
        context.check_hostname = settings.kafka_ssl_check_hostname
        arguments["ssl_context"] = context
    if protocol.startswith("SASL"):
        password = settings.kafka_sasl_password
        arguments |= {
            "sasl_mechanism": settings.kafka_sasl_mechanism,
            "sasl_plain_username": settings.kafka_sasl_username,
            "sasl_plain_password": password.get_secret_value() if password else None,
        }
    return arguments


def _path(path: object) -> str | None:
    return str(path) if path else None


def admin_client(settings: PlatformSettings) -> AIOKafkaAdminClient:
    return AIOKafkaAdminClient(**security(settings), request_timeout_ms=10_000)


def producer(settings: PlatformSettings) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        **security(settings),
        acks="all",
        enable_idempotence=settings.kafka_idempotent_producer,
        max_request_size=settings.kafka_max_request_size,
        max_batch_size=min(MAX_BATCH_BYTES, settings.kafka_max_request_size),
        linger_ms=1,
        request_timeout_ms=15_000,
    )


def consumer(
    settings: PlatformSettings, group_id: str, *, batch_wait_ms: int = 0
) -> AIOKafkaConsumer:
    """A consumer whose fetches the broker answers as soon as a record is there, or,
    with `batch_wait_ms`, one whose every fetch gathers records for up to that long."""
    batching = batch_wait_ms > 0
    return AIOKafkaConsumer(
        **security(settings),
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=batch_wait_ms if batching else settings.kafka_fetch_max_wait_ms,
        fetch_min_bytes=BATCH_FETCH_MIN_BYTES if batching else 1,
        session_timeout_ms=settings.kafka_session_timeout_ms,
        heartbeat_interval_ms=max(settings.kafka_session_timeout_ms // 3, 300),
        max_partition_fetch_bytes=MAX_PARTITION_FETCH_BYTES,
    )


class FetchWaits(NamedTuple):
    """How long the broker may hold a consumer's fetch: `idle_ms` once nothing came for
    a while, `busy_ms` while records flow (see `kafka_fetch_busy_wait_ms`)."""

    idle_ms: int
    busy_ms: int


def fetch_waits(settings: ServiceSettings) -> FetchWaits | None:
    """The service consumer's two waits; None for a batching one, which keeps its one
    wait (`consumer_batch_wait_ms`) busy or idle."""
    if settings.consumer_batch_wait_ms:
        return None
    return FetchWaits(settings.kafka_fetch_max_wait_ms, settings.kafka_fetch_busy_wait_ms)


def set_fetch_wait(consumer: AIOKafkaConsumer, wait_ms: int) -> None:
    """Change a started consumer's fetch wait from its next fetch request on.

    aiokafka takes the wait only at construction; its fetcher builds every request
    from this attribute (aiokafka is pinned in constraints.txt, and
    tests/integration/test_kafka_settings.py checks that a change takes effect)."""
    fetcher = consumer._fetcher
    if fetcher is None:
        raise RuntimeError("the consumer is not started")
    fetcher._fetch_max_wait_ms = wait_ms


async def ensure_topics(
    admin: AIOKafkaAdminClient, settings: PlatformSettings, topics: Iterable[str]
) -> list[str]:
    """Create the topics that do not exist yet; return the ones created."""
    wanted = sorted(set(topics))
    existing = set(await admin.list_topics())
    missing = [topic for topic in wanted if topic not in existing]
    if not missing:
        return []
    if not settings.kafka_create_topics:
        raise TopicCreationError(
            "topics missing (ONEDOOR_KAFKA_CREATE_TOPICS is off, so the cluster's "
            "operator must create them): " + ", ".join(missing)
        )
    response = await admin.create_topics(
        [
            NewTopic(topic, settings.kafka_topic_partitions, settings.kafka_replication_factor)
            for topic in missing
        ]
    )
    failures = [
        f"{topic}: {message or code}"
        for topic, code, message in _topic_errors(response)
        if code not in (0, TOPIC_ALREADY_EXISTS)
    ]
    if failures:
        raise TopicCreationError("could not create topics: " + "; ".join(failures))
    log.info("created topics %s", ", ".join(missing))
    return missing


def _topic_errors(response: object) -> list[tuple[str, int, str | None]]:
    errors = getattr(response, "topic_errors", [])
    return [(entry[0], entry[1], entry[2] if len(entry) > 2 else None) for entry in errors]


async def cluster_id(admin: AIOKafkaAdminClient, timeout_s: float = 5.0) -> str:
    description = await asyncio.wait_for(admin.describe_cluster(), timeout_s)
    return str(description["cluster_id"])


class OutgoingRecord(NamedTuple):
    topic: str
    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes]]


async def send_in_batches(producer: AIOKafkaProducer, records: Sequence[OutgoingRecord]) -> None:
    """Send `records`, each partition's in their order, one batch per partition (more
    if they do not fit), and wait until the broker acknowledged every one.

    `send()` per record costs a future, a partitioner call and an accumulator lookup
    each; here a record costs one append. The partition is the one `send()` would
    choose (`key_partition`), so a key keeps its partition however it is sent.
    """
    open_batches: dict[tuple[str, int], BatchBuilder] = {}
    deliveries: list[asyncio.Future[Any]] = []
    partitions: dict[str, list[int]] = {}  # each topic's, looked up once per call
    for record in records:
        topic_partitions = partitions.get(record.topic)
        if topic_partitions is None:
            topic_partitions = sorted(await producer.partitions_for(record.topic))
            partitions[record.topic] = topic_partitions
        where = (record.topic, key_partition(record.key, topic_partitions))
        batch = open_batches.get(where)
        if batch is None:
            batch = open_batches[where] = producer.create_batch()
        while not batch.append(
            key=record.key, value=record.value, timestamp=None, headers=record.headers
        ):
            # Full: send it, so this partition's records stay in order, and go on.
            deliveries.append(await producer.send_batch(batch, where[0], partition=where[1]))
            batch = open_batches[where] = producer.create_batch()
    for (topic, partition), batch in open_batches.items():
        deliveries.append(await producer.send_batch(batch, topic, partition=partition))
    await asyncio.gather(*deliveries)


def key_partition(key: bytes | None, partitions: Sequence[int]) -> int:
    """The partition aiokafka's (and Java's) default partitioner gives `key`, among a
    topic's `partitions` sorted by id; a record without a key to any of them, as there."""
    if key is None:
        return random.choice(partitions)
    return partitions[(murmur2(key) & 0x7FFFFFFF) % len(partitions)]


_M = 0x5BD1E995
_MASK = 0xFFFFFFFF


def murmur2(data: bytes) -> int:
    """Kafka's murmur2 of a key, as `aiokafka.partitioner.murmur2` computes it, 4 times
    faster: whole 4-byte words unpacked at once, and no masking where the value cannot
    exceed 32 bits (aiokafka's is byte by byte; it was 3 µs of the relay's per event)."""
    length = len(data)
    h = 0x9747B28C ^ length
    whole = length & ~3
    for (k,) in struct.iter_unpack("<I", data[:whole]):
        k = (k * _M) & _MASK
        k ^= k >> 24
        h = ((h * _M) & _MASK) ^ ((k * _M) & _MASK)
    tail = length & 3
    if tail:
        if tail == 3:
            h ^= data[whole + 2] << 16
        if tail >= 2:
            h ^= data[whole + 1] << 8
        h = ((h ^ data[whole]) * _M) & _MASK
    h ^= h >> 13
    h = (h * _M) & _MASK
    return h ^ (h >> 15)
