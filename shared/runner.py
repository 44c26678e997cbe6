"""The embedded stack behind `make run`: broker, migrations, seeds, six services and
the gateway as separate processes, supervised until Ctrl-C, and a local SMTP sink that
keeps the e-mails the notifications service sends in var/mail/.

The broker keeps everything in memory and its clients cannot survive its death
(producers get acks for records nobody will read), so when it dies the runner
starts a new broker and restarts every process; the services then re-publish
their retained outboxes to it. A service that dies is restarted, a few times;
past that the whole stack stops with a clear message rather than limp on.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from pydantic import AliasChoices, Field

from shared.auth import ensure_dev_keypair
from shared.mailsink import LOOPBACK, MailSink
from shared.processes import (
    EmbeddedBroker,
    port_is_free,
    start_child,
    start_embedded_broker,
    stop_processes,
)
from shared.settings import PlatformSettings

log = logging.getLogger("onedoor.runner")

SERVICES = ("desks", "products", "lessons", "partnerships", "notifications", "insights")
MAX_RESTARTS = 5
RESTART_WINDOW_S = 300.0


class RunnerSettings(PlatformSettings):
    gateway_port: int = 8000
    service_base_port: int = 8101
    broker_port: int = 9092
    # An external Kafka (e.g. Apache Kafka) instead of the embedded broker.
    external_kafka: str | None = Field(
        default=None,
        validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS", "ONEDOOR_EXTERNAL_KAFKA"),
    )
    # e.g. postgresql+asyncpg://onedoor@127.0.0.1:5432/onedoor_{service}; default SQLite in var/.
    database_url_template: str | None = None
    ready_timeout_s: float = 90.0
    # The local SMTP sink the notifications service sends to (e-mails land in var/mail/);
    # with ONEDOOR_SMTP_HOST set, a real SMTP server instead and no sink.
    smtp_sink_port: int = 8025
    smtp_host: str | None = None
    # One consumer per service reads every partition of the embedded broker (assigned
    # mode), so more partitions buy no parallelism there, and each one costs Tansu work
    # in every fetch: an idle stack's broker spent 39 ms of CPU a second on 7 consumers'
    # empty fetches over 6 topics of 4 partitions, 19 ms with 1 (issue 14). A single
    # partition keeps each aggregate's events in order too. An external Kafka keeps the
    # services' own default (kafka_topic_partitions), for consumer groups to share.
    kafka_topic_partitions: int = Field(default=1, ge=1)


class StackFailed(RuntimeError):
    pass


@dataclass
class Child:
    name: str
    args: list[str]
    env: dict[str, str]
    health_url: str
    process: subprocess.Popen[bytes] | None = None
    restarts: deque[float] = field(default_factory=deque)


class EmbeddedStack:
    def __init__(self, settings: RunnerSettings) -> None:
        self.settings = settings
        self.var_dir = settings.var_dir.resolve()
        self.logs_dir = self.var_dir / "logs"
        self.broker: EmbeddedBroker | None = None
        self.children: list[Child] = []
        self.mail_sink: MailSink | None = None

    @property
    def bootstrap_servers(self) -> str:
        if self.settings.external_kafka:
            return self.settings.external_kafka
        assert self.broker is not None
        return self.broker.bootstrap_servers

    @property
    def graphql_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.gateway_port}/graphql"

    def start(self) -> None:
        self.var_dir.mkdir(parents=True, exist_ok=True)
        ensure_dev_keypair(self.settings.model_copy(update={"var_dir": self.var_dir}))
        self._check_ports()
        self._start_mail_sink()
        self._start_broker()
        self._prepare_databases()
        self.children = self._define_children()
        self._start_children()

    def stop(self) -> None:
        """Stop the services and the gateway together, then the broker they use."""
        stop_processes([child.process for child in self.children if child.process is not None])
        for child in self.children:
            child.process = None
        if self.broker is not None:
            self.broker.stop()
            self.broker = None
        if self.mail_sink is not None:
            self.mail_sink.stop()
            self.mail_sink = None

    @property
    def mail_dir(self) -> Path:
        return self.var_dir / "mail"

    def supervise(self, poll_s: float = 0.5) -> None:
        """Watch every process until interrupted; raise StackFailed when giving up."""
        while True:
            time.sleep(poll_s)
            if self.broker is not None and not self.broker.alive:
                log.error("the broker died: starting a new one and restarting every process")
                self._restart_everything()
                continue
            for child in self.children:
                if child.process is not None and child.process.poll() is not None:
                    self._restart_child(child)

    def _check_ports(self) -> None:
        ports = [self.settings.gateway_port, *self._service_ports().values()]
        if not self.settings.external_kafka:
            ports.append(self.settings.broker_port)
        if not self.settings.smtp_host:
            ports.append(self.settings.smtp_sink_port)
        busy = [str(port) for port in ports if not port_is_free(port)]
        if busy:
            raise StackFailed(
                f"ports already in use: {', '.join(busy)} (is another `make run` up?)"
            )

    def _service_ports(self) -> dict[str, int]:
        return {
            name: self.settings.service_base_port + index for index, name in enumerate(SERVICES)
        }

    def _start_mail_sink(self) -> None:
        if self.settings.smtp_host:
            return
        self.mail_sink = MailSink(self.mail_dir, self.settings.smtp_sink_port).start()
        log.info("SMTP sink on %s:%s writing to %s", LOOPBACK, self.mail_sink.port, self.mail_dir)

    def _start_broker(self) -> None:
        if self.settings.external_kafka:
            return
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        with open(self.logs_dir / "broker.log", "ab") as broker_log:
            self.broker = start_embedded_broker(self.settings.broker_port, log=broker_log)
        log.info("broker %s on %s", self.broker.cluster_id, self.broker.bootstrap_servers)

    def _service_env(self, name: str) -> dict[str, str]:
        env = {
            "ONEDOOR_VAR_DIR": str(self.var_dir),
            "ONEDOOR_KAFKA_BOOTSTRAP_SERVERS": self.bootstrap_servers,
            "ONEDOOR_KAFKA_CONSUMER_MODE": "group" if self.settings.external_kafka else "assigned",
            "ONEDOOR_KAFKA_FETCH_MAX_WAIT_MS": str(self.settings.kafka_fetch_max_wait_ms),
            "ONEDOOR_LOG_LEVEL": self.settings.log_level,
            "ONEDOOR_TRACE_EXPORTER": self.settings.trace_exporter,
            # glibc gives each thread that allocates (SQLite's connection threads, the
            # thread pool) its own malloc arena, up to 8 per core, and freed memory stays
            # resident in each: two arenas keep a loaded process's RSS near its idle size.
            "MALLOC_ARENA_MAX": "2",
        }
        if self.settings.external_kafka:
            env["ONEDOOR_KAFKA_IDEMPOTENT_PRODUCER"] = "true"
        else:
            env["ONEDOOR_KAFKA_TOPIC_PARTITIONS"] = str(self.settings.kafka_topic_partitions)
        if self.settings.database_url_template:
            env["ONEDOOR_DATABASE_URL"] = self.settings.database_url_template.format(service=name)
        if name == "notifications":
            env.update(self._mail_env())
        return env

    def _mail_env(self) -> dict[str, str]:
        """Where the notifications service sends e-mail, and where their links go."""
        env = {"ONEDOOR_PORTAL_BASE_URL": f"http://127.0.0.1:{self.settings.gateway_port}"}
        if self.mail_sink is not None:
            env["ONEDOOR_SMTP_HOST"] = self.mail_sink.host
            env["ONEDOOR_SMTP_PORT"] = str(self.mail_sink.port)
        return env

    def _prepare_databases(self) -> None:
        """Apply migrations and seed reference data (idempotent), every service in one
        process: six interpreters importing the stack would cost more than the work."""
        args = [sys.executable, "-m", "services.prepare", *SERVICES]
        if self.settings.database_url_template:
            args += ["--database-url-template", self.settings.database_url_template]
        env = {
            "ONEDOOR_VAR_DIR": str(self.var_dir),
            "ONEDOOR_LOG_LEVEL": self.settings.log_level,
        }
        log_file = self.logs_dir / "prepare.log"
        if start_child(args, env, log_file).wait() != 0:
            raise StackFailed(f"migrations or seeding failed; see {log_file}")

    def _define_children(self) -> list[Child]:
        ports = self._service_ports()
        children = [
            Child(
                name=name,
                args=[sys.executable, "-m", f"services.{name}", "serve"],
                env={**self._service_env(name), "ONEDOOR_PORT": str(port)},
                health_url=f"http://127.0.0.1:{port}/readyz",
            )
            for name, port in ports.items()
        ]
        gateway_env = {
            **self._service_env("gateway"),
            "ONEDOOR_PORT": str(self.settings.gateway_port),
            **{
                f"ONEDOOR_{name.upper()}_URL": f"http://127.0.0.1:{port}"
                for name, port in ports.items()
            },
        }
        children.append(
            Child(
                name="gateway",
                args=[sys.executable, "-m", "gateway"],
                env=gateway_env,
                health_url=f"http://127.0.0.1:{self.settings.gateway_port}/readyz",
            )
        )
        return children

    def _start_children(self) -> None:
        for child in self.children:
            self._spawn(child)
        self._wait_ready(self.children)

    def _spawn(self, child: Child) -> None:
        if child.name != "gateway":
            child.env["ONEDOOR_KAFKA_BOOTSTRAP_SERVERS"] = self.bootstrap_servers
        child.process = start_child(child.args, child.env, self.logs_dir / f"{child.name}.log")

    def _wait_ready(self, children: list[Child]) -> None:
        deadline = time.monotonic() + self.settings.ready_timeout_s
        pending = list(children)
        with httpx.Client(timeout=2.0) as http:
            while pending:
                for child in list(pending):
                    assert child.process is not None
                    if child.process.poll() is not None:
                        log_file = self.logs_dir / f"{child.name}.log"
                        raise StackFailed(f"{child.name} exited during start-up; see {log_file}")
                    try:
                        if http.get(child.health_url).status_code == 200:
                            pending.remove(child)
                    except httpx.HTTPError:
                        pass
                if pending and time.monotonic() > deadline:
                    names = ", ".join(child.name for child in pending)
                    raise StackFailed(
                        f"not ready after {self.settings.ready_timeout_s:.0f}s: {names}"
                    )
                time.sleep(0.1)

    def _restart_child(self, child: Child) -> None:
        assert child.process is not None
        code = child.process.returncode
        now = time.monotonic()
        while child.restarts and now - child.restarts[0] > RESTART_WINDOW_S:
            child.restarts.popleft()
        if len(child.restarts) >= MAX_RESTARTS:
            raise StackFailed(
                f"{child.name} keeps dying (exit {code}); see {self.logs_dir / child.name}.log"
            )
        child.restarts.append(now)
        log.warning("%s exited with %s; restarting it", child.name, code)
        self._spawn(child)
        self._wait_ready([child])

    def _restart_everything(self) -> None:
        stop_processes([child.process for child in self.children if child.process is not None])
        if self.broker is not None:
            self.broker.stop()
        self._start_broker()
        self._start_children()
        log.info("stack restarted on broker %s", self.broker.cluster_id if self.broker else "?")
