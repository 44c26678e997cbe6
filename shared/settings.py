"""Settings: one pydantic-settings class per process, read from `ONEDOOR_*` variables.

Nothing else in the code base reads the environment. Services subclass
`ServiceSettings`; the embedded runner and the CLI use `PlatformSettings`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ConsumerMode = Literal["group", "assigned"]
TraceExporter = Literal["none", "console", "otlp"]


class PlatformSettings(BaseSettings):
    """What every OneDoor process shares: where data lives, the broker, auth, telemetry."""

    model_config = SettingsConfigDict(env_prefix="ONEDOOR_", extra="ignore")

    var_dir: Path = Path("var")

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    # `assigned` for the embedded broker (unreliable group membership),
    # `group` for Apache Kafka where replicas share partitions.
    kafka_consumer_mode: ConsumerMode = "assigned"
    kafka_fetch_max_wait_ms: int = Field(default=100, ge=1)
    kafka_session_timeout_ms: int = Field(default=10_000, ge=1_000)
    kafka_idempotent_producer: bool = False
    kafka_topic_partitions: int = Field(default=4, ge=1)
    kafka_replication_factor: int = Field(default=1, ge=1)
    kafka_max_request_size: int = Field(default=20 * 1024 * 1024, ge=1024)
    # Prefix of every topic and consumer group, so several environments (or test
    # cases) can share one cluster without seeing each other's events.
    kafka_namespace: str = Field(default="", pattern=r"^[a-z0-9-]*$")

    jwt_issuer: str = "onedoor-dev"
    jwt_audience: str = "onedoor"
    # Production verifies against an OIDC issuer's JWKS; the embedded mode
    # verifies with the dev public key under var/keys.
    jwt_jwks_url: str | None = None
    jwt_public_key_path: Path | None = None

    trace_exporter: TraceExporter = "none"
    otlp_endpoint: str | None = None

    log_level: str = "INFO"

    def physical_topic(self, topic: str) -> str:
        return f"{self.kafka_namespace}.{topic}" if self.kafka_namespace else topic

    @property
    def keys_dir(self) -> Path:
        return self.var_dir / "keys"

    @property
    def public_key_path(self) -> Path:
        return self.jwt_public_key_path or self.keys_dir / "dev-jwt-public.pem"

    @property
    def private_key_path(self) -> Path:
        return self.keys_dir / "dev-jwt-private.pem"


class ServiceSettings(PlatformSettings):
    """Settings of one service process. `service_name` is set by each service."""

    service_name: str = "service"
    host: str = "127.0.0.1"
    port: int = 0
    database_url: str | None = None

    outbox_batch_size: int = Field(default=500, ge=1)
    outbox_poll_interval_s: float = Field(default=1.0, gt=0)
    outbox_retention_hours: float = Field(default=168.0, gt=0)
    # What a new (empty) broker gets again: the rows sent in this recent window, at most
    # this many (the newest); in flight then, as far as any consumer may lag. Not the
    # whole retention: its cost would grow with history, not with what was in flight.
    outbox_republish_window_s: float = Field(default=600.0, ge=0)
    outbox_republish_max_rows: int = Field(default=10_000, ge=0)
    consumer_max_attempts: int = Field(default=4, ge=1)
    consumer_retry_backoff_s: float = Field(default=0.1, ge=0)
    consumer_batch_size: int = Field(default=500, ge=1)
    broker_watch_interval_s: float = Field(default=2.0, gt=0)

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
