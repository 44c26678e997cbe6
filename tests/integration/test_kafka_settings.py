"""Kafka connection settings reach every aiokafka client, and topic creation can be left
to the cluster's operator."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pydantic import ValidationError

from services.desks.settings import DesksSettings
from services.insights.settings import InsightsSettings
from services.products.settings import ProductsSettings
from shared.messaging import broker
from shared.settings import PlatformSettings, ServiceSettings


def write_ca(directory: Path) -> Path:
    """A self-signed CA certificate, as a cluster operator hands it out."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "onedoor-test-ca")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    path = directory / "ca.pem"
    path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return path


@contextlib.asynccontextmanager
async def clients(settings: PlatformSettings) -> AsyncIterator[list[Any]]:
    """The connection of each kind of aiokafka client the platform builds (not started)."""
    producer = broker.producer(settings)
    consumer = broker.consumer(settings, "group")
    admin = broker.admin_client(settings)
    try:
        yield [producer.client, consumer._client, admin._client]
    finally:
        await producer.stop()
        await consumer.stop()
        await admin.close()


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"])
async def test_sasl_over_tls_reaches_producer_consumer_and_admin(
    tmp_path: Path, mechanism: str
) -> None:
    settings = PlatformSettings(
        kafka_bootstrap_servers="kafka.example:9093",
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism=mechanism,
        kafka_sasl_username="onedoor-desks",
        kafka_sasl_password="s3cret",
        kafka_ssl_cafile=write_ca(tmp_path),
    )
    async with clients(settings) as connections:
        for client in connections:
            assert client._bootstrap_servers == "kafka.example:9093"
            assert client._security_protocol == "SASL_SSL"
            assert client._sasl_mechanism == mechanism
            assert client._sasl_plain_username == "onedoor-desks"
            assert client._sasl_plain_password == "s3cret"
            context: ssl.SSLContext = client._ssl_context
            assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
            assert [ca["subject"] for ca in context.get_ca_certs()] == [
                ((("commonName", "onedoor-test-ca"),),)
            ]


async def test_plaintext_is_the_default_and_tls_alone_needs_no_sasl(tmp_path: Path) -> None:
    async with clients(PlatformSettings()) as connections:
        for client in connections:
            assert client._security_protocol == "PLAINTEXT" and client._ssl_context is None
    tls = PlatformSettings(kafka_security_protocol="SSL", kafka_ssl_cafile=write_ca(tmp_path))
    async with clients(tls) as connections:
        for client in connections:
            assert client._security_protocol == "SSL" and client._ssl_context is not None
            assert client._sasl_plain_username is None


def test_sasl_without_credentials_is_refused_at_start_up() -> None:
    with pytest.raises(ValidationError, match="SASL needs"):
        PlatformSettings(kafka_security_protocol="SASL_PLAINTEXT")


async def test_services_can_leave_topic_creation_to_the_operator(
    platform: PlatformSettings,
) -> None:
    managed = platform.model_copy(update={"kafka_create_topics": False})
    topic = managed.physical_topic("onedoor.test.managed")
    admin = broker.admin_client(managed)
    await admin.start()
    try:
        with pytest.raises(broker.TopicCreationError, match="operator must create"):
            await broker.ensure_topics(admin, managed, [topic])
        assert topic not in await admin.list_topics()
        assert await broker.ensure_topics(admin, platform, [topic]) == [topic]
        assert await broker.ensure_topics(admin, managed, [topic]) == []
    finally:
        await admin.close()


async def test_a_record_bigger_than_the_fetch_size_per_partition_still_reaches_the_consumer(
    platform: PlatformSettings,
) -> None:
    topic = platform.physical_topic("onedoor.test.big")
    big = b"x" * (3 * broker.MAX_PARTITION_FETCH_BYTES)
    admin = broker.admin_client(platform)
    producer = broker.producer(platform)
    consumer = broker.consumer(platform, platform.physical_topic("big-reader"))
    await admin.start()
    try:
        await broker.ensure_topics(admin, platform, [topic])
        await producer.start()
        for value in (b"before", big, b"after"):
            await producer.send_and_wait(topic, value, key=b"one-aggregate")
        consumer.subscribe([topic])
        await consumer.start()
        received: list[bytes] = []
        for _ in range(20):
            batches = await consumer.getmany(timeout_ms=500)
            received += [record.value for records in batches.values() for record in records]
            if len(received) >= 3:
                break
        assert received == [b"before", big, b"after"]
    finally:
        await consumer.stop()
        await producer.stop()
        await admin.close()


async def test_a_batching_consumer_gets_what_arrived_during_its_wait_in_one_fetch(
    platform: PlatformSettings,
) -> None:
    """The broker holds a batching consumer's fetch (`consumer_batch_wait_ms`) until the
    wait ends, so events written one by one meanwhile come back as one batch."""
    topic = platform.physical_topic("onedoor.test.batched")
    admin = broker.admin_client(platform)
    producer = broker.producer(platform)
    consumer = broker.consumer(platform, platform.physical_topic("batcher"), batch_wait_ms=2000)
    await admin.start()
    try:
        await broker.ensure_topics(admin, platform, [topic])
        await producer.start()
        consumer.subscribe([topic])
        await consumer.start()
        first_fetch = asyncio.create_task(consumer.getmany(timeout_ms=10_000))
        for number in range(5):
            await producer.send_and_wait(topic, str(number).encode(), key=b"one-aggregate")
        batches = await first_fetch
        assert [record.value for records in batches.values() for record in records] == [
            b"0",
            b"1",
            b"2",
            b"3",
            b"4",
        ]
    finally:
        await consumer.stop()
        await producer.stop()
        await admin.close()


def test_only_a_service_on_a_request_path_switches_between_its_two_fetch_waits() -> None:
    on_the_path = ServiceSettings(kafka_fetch_max_wait_ms=500, kafka_fetch_busy_wait_ms=20)
    assert broker.fetch_waits(on_the_path) == broker.FetchWaits(idle_ms=500, busy_ms=20)
    assert broker.fetch_waits(InsightsSettings()) is None
    assert InsightsSettings().consumer_batch_wait_ms > 0
    assert DesksSettings().consumer_batch_wait_ms == ProductsSettings().consumer_batch_wait_ms == 0
