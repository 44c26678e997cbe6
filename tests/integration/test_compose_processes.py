"""`docker compose up`, process by process, without Docker.

The Compose v2 binary renders docker-compose.yml; every OneDoor service of it is
then started with its own command and exactly the environment Compose gives it
(the image's ENV under it), in the order its `depends_on` says. Only what Docker
itself provides is translated: host names become loopback addresses of the test
broker, the test PostgreSQL and the other processes, and the secret's mount point
becomes the test key. The databases and roles are made by the same init script the
postgres image runs.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from prometheus_client.parser import text_string_to_metric_families

from shared.auth import Role
from shared.processes import EmbeddedBroker, free_port, stop_process
from shared.settings import PlatformSettings
from shared.testing.postgres import SERVER_USER, PostgresServer
from shared.testing.tokens import bearer
from tests.deployment import ROOT, render_compose

READY_TIMEOUT_S = 90
SECRET_MOUNT = "/run/secrets/jwt-public-key"
# What the embedded test broker cannot do that Apache Kafka can: Tansu answers
# InitProducerId with an unknown error, so idempotence is the one setting changed.
TEST_BROKER_LIMITS = {"ONEDOOR_KAFKA_IDEMPOTENT_PRODUCER": "false"}


def image_env(var_dir: Path) -> dict[str, str]:
    """What the Dockerfile's ENV gives every container (var/ in a scratch directory)."""
    return {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "ONEDOOR_VAR_DIR": str(var_dir),
    }


def loopback(value: str, addresses: dict[str, str], public_key: Path) -> str:
    """A compose value with each `service:port` replaced by where that service runs here."""
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, addresses)) + r"):\d+")
    value = pattern.sub(lambda match: addresses[match.group(1)], value)
    return str(public_key) if value == SECRET_MOUNT else value


def create_databases(postgres: PostgresServer, compose: dict[str, Any]) -> None:
    """Run deploy/compose/create-databases.sh as the postgres image does, with its env."""
    environment = compose["services"]["postgres"]["environment"]
    init = ROOT / "deploy" / "compose" / "create-databases.sh"
    subprocess.run(
        ["sh", str(init)],
        env={
            **environment,
            "POSTGRES_USER": SERVER_USER,
            "PGHOST": "127.0.0.1",
            "PGPORT": str(postgres.port),
            "PATH": os.environ["PATH"],
        },
        check=True,
        capture_output=True,
        timeout=60,
    )


def startup_order(services: dict[str, Any]) -> list[list[str]]:
    """Our services in waves: each wave depends only on earlier waves (or on infrastructure)."""
    ours = {name for name, spec in services.items() if "build" in spec}
    waves: list[list[str]] = []
    placed: set[str] = set()
    while placed != ours:
        wave = sorted(
            name
            for name in ours - placed
            if set(services[name].get("depends_on", {})) & ours <= placed
        )
        assert wave, f"dependency cycle among {sorted(ours - placed)}"
        waves.append(wave)
        placed.update(wave)
    return waves


class ComposeProcesses:
    def __init__(self, compose: dict[str, Any], addresses: dict[str, str], var: Path) -> None:
        self.services = compose["services"]
        self.addresses = addresses
        self.var = var
        self.running: dict[str, subprocess.Popen[bytes]] = {}

    def environment(self, name: str, port: int) -> dict[str, str]:
        given = self.services[name]["environment"]
        public_key = self.var / "keys" / "dev-jwt-public.pem"
        env = {key: loopback(value, self.addresses, public_key) for key, value in given.items()}
        # Inside its container a process binds 0.0.0.0:8000; here each gets a loopback port.
        env |= {"ONEDOOR_HOST": "127.0.0.1", "ONEDOOR_PORT": str(port)}
        env |= {key: value for key, value in TEST_BROKER_LIMITS.items() if key in env}
        return {**image_env(self.var / name), **env}

    def start(self, name: str, port: int) -> subprocess.Popen[bytes]:
        command = [sys.executable, *self.services[name]["command"][1:]]
        with open(self.var / f"{name}.log", "wb") as log:  # the child keeps its own copy
            process = subprocess.Popen(
                command, env=self.environment(name, port), cwd=ROOT, stdout=log, stderr=log
            )
        self.running[name] = process
        return process

    def log(self, name: str) -> str:
        return (self.var / f"{name}.log").read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        for process in self.running.values():
            stop_process(process)


class TraceReceiver(ThreadingHTTPServer):
    """The OTLP/HTTP trace endpoint of the collector, on loopback: it answers every export
    as the collector does and keeps the names of the services whose spans arrived. (With
    nobody listening, an exporter that gives up logs an ERROR, sooner on a busy machine.)"""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _TraceExport)
        self.services: set[str] = set()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"


class _TraceExport(BaseHTTPRequestHandler):
    server: TraceReceiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        export = ExportTraceServiceRequest.FromString(body)
        self.server.services |= {
            attribute.value.string_value
            for spans in export.resource_spans
            for attribute in spans.resource.attributes
            if attribute.key == "service.name"
        }
        answer = ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # one line per export would drown the test's output


@pytest.fixture
def trace_receiver() -> Iterator[TraceReceiver]:
    receiver = TraceReceiver()
    thread = threading.Thread(target=receiver.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.shutdown()
        receiver.server_close()


@pytest.fixture
def compose_stack(
    broker: EmbeddedBroker,
    postgres: PostgresServer,
    keys_dir: Path,
    tmp_path: Path,
    trace_receiver: TraceReceiver,
) -> Iterator[tuple[ComposeProcesses, dict[str, int]]]:
    compose = render_compose()
    create_databases(postgres, compose)
    ours = [name for name, spec in compose["services"].items() if "build" in spec]
    ports = {name: free_port() for name in ours}
    addresses = {name: f"127.0.0.1:{port}" for name, port in ports.items()}
    addresses |= {
        "kafka": broker.bootstrap_servers,
        "postgres": f"127.0.0.1:{postgres.port}",
        "otel-collector": trace_receiver.address,
    }
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "dev-jwt-public.pem").write_bytes(
        (keys_dir / "keys" / "dev-jwt-public.pem").read_bytes()
    )
    processes = ComposeProcesses(compose, addresses, tmp_path)
    try:
        yield processes, ports
    finally:
        processes.stop()


async def wait_ready(processes: ComposeProcesses, name: str, port: int) -> float:
    started = time.monotonic()
    async with httpx.AsyncClient(timeout=2) as http:
        while time.monotonic() - started < READY_TIMEOUT_S:
            process = processes.running[name]
            assert process.poll() is None, f"{name} exited {process.returncode}:\n" + (
                processes.log(name)
            )
            try:
                if (await http.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                    return time.monotonic() - started
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.25)
    raise AssertionError(f"{name} not ready in {READY_TIMEOUT_S}s:\n{processes.log(name)}")


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(base: str) -> Samples:
    async with httpx.AsyncClient(timeout=5) as http:
        response = await http.get(base + "/metrics")
    assert response.status_code == 200, response.text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def sample(samples: Samples, name: str, **labels: str) -> float | None:
    """The sum of the samples of `name` whose labels include `labels` (None: no sample)."""
    found = [
        value
        for (sample_name, sample_labels), value in samples.items()
        if sample_name == name and set(labels.items()) <= sample_labels
    ]
    return sum(found) if found else None


def moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return (sample(after, name, **labels) or 0) - (sample(before, name, **labels) or 0)


async def test_every_compose_service_starts_with_its_compose_environment_and_gets_ready(
    compose_stack: tuple[ComposeProcesses, dict[str, int]],
    keys_dir: Path,
    trace_receiver: TraceReceiver,
) -> None:
    processes, ports = compose_stack
    waves = startup_order(processes.services)
    for wave in waves:
        jobs = [name for name in wave if "migrate" in processes.services[name]["command"]]
        servers = [name for name in wave if name not in jobs]
        for name in jobs:  # service_completed_successfully: run to the end, exit 0
            processes.start(name, ports[name])
        for name in jobs:
            code = await asyncio.to_thread(processes.running[name].wait, READY_TIMEOUT_S)
            assert code == 0, f"{name} exited {code}:\n{processes.log(name)}"
        for name in servers:
            processes.start(name, ports[name])
        await asyncio.gather(*(wait_ready(processes, name, ports[name]) for name in servers))
    assert waves[-1] == ["gateway"]

    # A working API: a real operation through the one door, verified with the secret key.
    gateway = f"http://127.0.0.1:{ports['gateway']}"
    headers = bearer(PlatformSettings(var_dir=keys_dir), Role.client, client="MINUSMA")
    before = await scrape(gateway)
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.post(
            gateway + "/graphql",
            json={"query": "query Catalogue { products { code } }"},
            headers=headers,
        )
        refused = await http.post(
            gateway + "/graphql", json={"query": "query Typo { produkts }"}, headers=headers
        )
        # Behind a TLS ingress (X-Forwarded-Proto from a trusted proxy) feed URLs are https.
        saved = await http.post(
            gateway + "/graphql",
            json={"query": 'mutation { saveLessonFilter(name: "ops") { feedUrl } }'},
            headers={**headers, "X-Forwarded-Proto": "https"},
        )
    body = response.json()
    assert "errors" not in body, body
    assert {"ELECTORAL_ASSISTANCE"} <= {product["code"] for product in body["data"]["products"]}
    refusal = refused.json()
    codes = [(error.get("extensions") or {}).get("code") for error in refusal.get("errors") or []]
    assert codes == ["GRAPHQL_VALIDATION_FAILED"], refusal
    feed_url = saved.json()["data"]["saveLessonFilter"]["feedUrl"]
    assert feed_url.startswith(f"https://127.0.0.1:{ports['gateway']}/feeds/lessons/"), feed_url

    # The series move: per operation, per route, and the services' outbox figures.
    after = await scrape(gateway)
    operations = "onedoor_graphql_operations_total"
    assert moved(before, after, operations, operation="Catalogue", outcome="ok") == 1
    assert moved(before, after, operations, operation="Typo", outcome="error") == 1
    route = {"process": "gateway", "route": "/graphql", "method": "POST", "status": "200"}
    assert moved(before, after, "onedoor_http_requests_total", **route) == 3
    desks = await scrape(f"http://127.0.0.1:{ports['desks']}")
    assert sample(desks, "onedoor_outbox_unsent", service="desks") is not None
    assert sample(desks, "onedoor_outbox_oldest_unsent_age_seconds", service="desks") is not None
    assert sample(desks, "onedoor_dead_letters_total", service="desks") == 0
    assert sample(desks, "onedoor_consumer_lag", service="desks") is not None
    partnerships = await scrape(f"http://127.0.0.1:{ports['partnerships']}")
    assert sample(partnerships, "onedoor_webhook_deliveries", status="dead") == 0

    # JSON logs: an access line per request with its trace id; the caller's typo is a WARNING.
    lines = [json.loads(line) for line in (processes.var / "gateway.log").read_text().splitlines()]
    access = [line for line in lines if line["logger"] == "onedoor.access"]
    assert access and all(len(line["trace_id"]) == 32 for line in access), access
    assert {line["route"] for line in access} >= {"/graphql"}
    typo = [line for line in lines if "produkts" in line["message"]]
    assert [line["level"] for line in typo] == ["WARNING"]
    assert not [line for line in lines if line["level"] in ("ERROR", "CRITICAL")]

    # Traces reach the collector compose names (the batch processor exports every 5 s).
    for _ in range(60):
        if "gateway" in trace_receiver.services:
            break
        await asyncio.sleep(0.25)
    assert "gateway" in trace_receiver.services, trace_receiver.services

    # One service down leaves the gateway in rotation, naming what is degraded.
    stop_process(processes.running["lessons"])
    async with httpx.AsyncClient(timeout=5) as http:
        ready = await http.get(f"http://127.0.0.1:{ports['gateway']}/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["degraded"] == ["lessons"]
