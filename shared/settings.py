"""Settings: one pydantic-settings class per process, read from `ONEDOOR_*` variables.

Nothing else in the code base reads the environment. Services subclass
`ServiceSettings`; the embedded runner and the CLI use `PlatformSettings`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ConsumerMode = Literal["group", "assigned"]
TraceExporter = Literal["none", "console", "otlp"]
KafkaSecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
KafkaSaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]
LogFormat = Literal["json", "text"]


class PlatformSettings(BaseSettings):
    """What every OneDoor process shares: where data lives, the broker, auth, telemetry."""

    model_config = SettingsConfigDict(env_prefix="ONEDOOR_", extra="ignore")

    var_dir: Path = Path("var")

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    # `assigned` for the embedded broker (unreliable group membership),
    # `group` for Apache Kafka where replicas share partitions.
    kafka_consumer_mode: ConsumerMode = "assigned"
    # How long the broker may hold a fetch while nothing is new (Kafka's own default),
    # and the shorter wait a consumer uses while records flow (any in its last second).
    # Apache Kafka answers as soon as a record arrives, so there the busy wait only
    # makes empty fetches come back sooner. Tansu (the embedded broker) sleeps about
    # half the wait even after a fetch found records, so a record waits for its
    # consumer about a quarter of the wait on average: ~125 ms per hop at 500 ms,
    # ~5 ms at 20 ms. A short wait all the time costs idle CPU (an idle embedded
    # stack: 27 % of a core on empty fetches at 100 ms, 12 % at 500 ms, most of it in
    # the broker); used only while busy, it costs nothing idle.
    kafka_fetch_max_wait_ms: int = Field(default=500, ge=1)
    kafka_fetch_busy_wait_ms: int = Field(default=20, ge=1)
    kafka_session_timeout_ms: int = Field(default=10_000, ge=1_000)
    kafka_idempotent_producer: bool = False
    kafka_topic_partitions: int = Field(default=4, ge=1)
    kafka_replication_factor: int = Field(default=1, ge=1)
    kafka_max_request_size: int = Field(default=20 * 1024 * 1024, ge=1024)
    # Prefix of every topic and consumer group, so several environments (or test
    # cases) can share one cluster without seeing each other's events.
    kafka_namespace: str = Field(default="", pattern=r"^[a-z0-9-]*$")
    # False where topics are managed outside (Strimzi KafkaTopic resources): the
    # services then only check that their topics exist and need no create rights.
    kafka_create_topics: bool = True
    # TLS and SASL, for a managed or Strimzi cluster (see deploy/README.md).
    kafka_security_protocol: KafkaSecurityProtocol = "PLAINTEXT"
    kafka_ssl_cafile: Path | None = None
    kafka_ssl_certfile: Path | None = None  # client certificate, for mutual TLS
    kafka_ssl_keyfile: Path | None = None
    kafka_ssl_check_hostname: bool = True
    kafka_sasl_mechanism: KafkaSaslMechanism = "SCRAM-SHA-512"
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None

    # Identity (see deploy/README.md). Production verifies against an OIDC
    # issuer's JWKS; the embedded mode verifies with the dev public key in var/keys.
    jwt_issuer: str = "onedoor-dev"
    # Comma-separated: a token is accepted when its `aud` names any of them.
    jwt_audience: str = "onedoor"
    jwt_algorithms: str = "RS256,ES256"
    jwt_leeway_s: float = Field(default=30.0, ge=0)
    jwt_jwks_url: str | None = None
    # Find the JWKS through `<issuer>/.well-known/openid-configuration`.
    jwt_oidc_discovery: bool = False
    jwt_public_key_path: Path | None = None
    jwt_jwks_timeout_s: float = Field(default=3.0, gt=0)
    jwt_jwks_cache_s: float = Field(default=600.0, gt=0)
    # An unknown key id refetches the JWKS (key rotation), at most this often.
    jwt_jwks_refetch_interval_s: float = Field(default=10.0, ge=0)
    # Where the role is: a dotted path to a string or a list (Keycloak:
    # `realm_access.roles`; names that are no OneDoor role are ignored).
    jwt_role_claim: str = "role"
    # Where the tenant is, whatever the role (Keycloak: a user-attribute mapper);
    # unset, each role's own claim: client, desk, products or partner.
    jwt_tenant_claim: str | None = None

    trace_exporter: TraceExporter = "none"
    otlp_endpoint: str | None = None

    log_level: str = "INFO"
    log_format: LogFormat = "json"

    # Trust X-Forwarded-Proto/-For from these proxies (comma-separated addresses,
    # `*` for any): behind a TLS ingress, feed URLs then come back as https.
    forwarded_allow_ips: str = "127.0.0.1"

    @model_validator(mode="after")
    def _sasl_needs_credentials(self) -> PlatformSettings:
        if self.kafka_security_protocol.startswith("SASL") and not (
            self.kafka_sasl_username and self.kafka_sasl_password
        ):
            raise ValueError("SASL needs ONEDOOR_KAFKA_SASL_USERNAME and _PASSWORD")
        return self

    def physical_topic(self, topic: str) -> str:
        return f"{self.kafka_namespace}.{topic}" if self.kafka_namespace else topic

    @property
    def jwt_audiences(self) -> list[str]:
        return [audience.strip() for audience in self.jwt_audience.split(",") if audience.strip()]

    @property
    def verifies_with_remote_issuer(self) -> bool:
        """True in production (an OIDC issuer's JWKS); false in the embedded dev mode."""
        return bool(self.jwt_jwks_url or self.jwt_oidc_discovery)

    @property
    def keys_dir(self) -> Path:
        return self.var_dir / "keys"

    @property
    def public_key_path(self) -> Path:
        return self.jwt_public_key_path or self.keys_dir / "dev-jwt-public.pem"

    @property
    def private_key_path(self) -> Path:
        return self.keys_dir / "dev-jwt-private.pem"


# Milliseconds a consumer's fetch may gather events (`consumer_batch_wait_ms`); a type
# of its own so a service that sets its default keeps the bounds.
BatchWaitMs = Annotated[int, Field(ge=0, le=60_000)]


class ServiceSettings(PlatformSettings):
    """Settings of one service process. `service_name` is set by each service."""

    service_name: str = "service"
    host: str = "127.0.0.1"
    port: int = 0
    database_url: str | None = None

    outbox_batch_size: int = Field(default=500, ge=1)
    # Only the fallback: a commit that wrote outbox rows wakes its process's relay at
    # once (`Outbox.on_commit`), so the poll finds work only for rows committed by
    # another process. Each poll is a claim query: at 1 s, about 1.5 ms of CPU a
    # second in every idle service (issue 14).
    outbox_poll_interval_s: float = Field(default=5.0, gt=0)
    outbox_retention_hours: float = Field(default=168.0, gt=0)
    # What a new (empty) broker gets again: the rows sent in this recent window, at most
    # this many (the newest); in flight then, as far as any consumer may lag. Not the
    # whole retention: its cost would grow with history, not with what was in flight.
    outbox_republish_window_s: float = Field(default=600.0, ge=0)
    outbox_republish_max_rows: int = Field(default=10_000, ge=0)
    # At least the outbox's: a re-published event must still find its inbox entry.
    inbox_retention_hours: float = Field(default=336.0, gt=0)
    inbox_prune_interval_s: float = Field(default=3600.0, gt=0)
    consumer_max_attempts: int = Field(default=4, ge=1)
    consumer_retry_backoff_s: float = Field(default=0.1, ge=0)
    consumer_batch_size: int = Field(default=500, ge=1)
    # 0: the consumer applies what each fetch brings at once (the services on a
    # request's path: desks, products). Above 0: the broker gathers this service's
    # events for that long before answering a fetch, and the consumer applies them as
    # one batch. For the read models and notifications, whose users do not see half a
    # second: a batch's fixed work (a transaction, the inbox, insights deriving each
    # request once) is then shared by every event of it, not paid per event
    # (docs/architecture.md, "Batches gathered off the request's path").
    consumer_batch_wait_ms: BatchWaitMs = 0
    broker_watch_interval_s: float = Field(default=2.0, gt=0)
    # Rows a CSV export reads per transaction (shared/exports.py).
    export_chunk_rows: int = Field(default=500, ge=1, le=10_000)

    @model_validator(mode="after")
    def _inbox_outlives_the_outbox(self) -> ServiceSettings:
        if self.inbox_retention_hours < self.outbox_retention_hours:
            raise ValueError("ONEDOOR_INBOX_RETENTION_HOURS must be >= the outbox's retention")
        return self

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.var_dir / (self.service_name + '.db')}"

    @property
    def consumer_group(self) -> str:
        return self.physical_topic(f"onedoor.{self.service_name}")

    @property
    def dead_letter_topic(self) -> str:
        return f"onedoor.dlq.{self.service_name}"
