"""The messaging core under the faults an operator meets, against `onedoor run` (the
real supervisor, broker, services and gateway): a service killed -9 under load, the
broker paused, the broker killed -9. Clients retry with an idempotency key, as they
should; afterwards every request the door accepted has exactly one engagement, and
it is accepted: nothing lost, nothing duplicated. Run by `make faults` (minutes)."""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.auth import Role
from shared.processes import free_port, free_port_block
from shared.runner import SERVICES
from shared.settings import PlatformSettings
from shared.testing.tokens import bearer
from tests.e2e.test_supervisor import Run, children_of

pytestmark = [
    pytest.mark.faults,
    pytest.mark.skipif(not Path("/proc").is_dir(), reason="finds processes in /proc"),
]

REQUESTS_PER_FAULT = int(os.environ.get("ONEDOOR_FAULT_REQUESTS", "150"))
SUBMIT = """mutation($input: SubmitRequestInput!, $key: String) {
  submitRequest(input: $input, idempotencyKey: $key) { id } }"""
ENGAGEMENTS = "query($id: ID!) { request(id: $id) { engagements { productCode status } } }"
PRODUCT = "{ product(code: ELECTORAL_ASSISTANCE) { revision } }"
RAISE_CAPACITY = """mutation($revision: Int!) { updateProduct(code: ELECTORAL_ASSISTANCE,
  input: {capacity: 10000, expectedVersion: $revision}) { capacity } }"""
ELECTORAL = {
    "title": "Needs assessment before the presidential election",
    "products": ["ELECTORAL_ASSISTANCE"],
    "urgency": "PRIORITY",
    "details": {
        "ELECTORAL_ASSISTANCE": {"election_type": "presidential", "election_date": "2027-07-01"}
    },
}


def pid_of(run: Run, module: str) -> int:
    for pid in children_of(run.process.pid):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if module.encode() in command or any(part.endswith(module.encode()) for part in command):
            return pid
    raise LookupError(module)


class Client:
    """A client that retries a submit with the same key until the door answers."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self.url, self.headers = url, headers
        self.accepted: dict[str, str] = {}  # idempotency key -> request id
        self.retries = 0

    def call(self, query: str, **variables: Any) -> Any:
        response = httpx.post(
            self.url,
            json={"query": query, "variables": variables},
            headers=self.headers,
            timeout=15,
        )
        assert response.status_code < 500, response.text
        return response.json()

    def submit(self, deadline_s: float = 60) -> None:
        key = f"fault-{uuid.uuid4().hex}"
        give_up = time.monotonic() + deadline_s
        while time.monotonic() < give_up:
            try:
                answer = self.call(SUBMIT, input=ELECTORAL, key=key)
            except httpx.HTTPError:
                answer = None
            if answer and "errors" not in answer:
                self.accepted[key] = answer["data"]["submitRequest"]["id"]
                return
            codes = [e["extensions"]["code"] for e in (answer or {}).get("errors", [])]
            assert set(codes) <= {"SERVICE_UNAVAILABLE"}, answer
            self.retries += 1
            time.sleep(0.2)
        raise AssertionError(f"the door did not take {key} within {deadline_s}s")


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Run, Client, Path]]:

    var_dir = tmp_path_factory.mktemp("faults") / "var"
    chosen = {
        "gateway": free_port(),
        "broker": free_port(),
        "smtp": free_port(),
        "services": free_port_block(len(SERVICES)),
    }
    run = Run(var_dir, chosen)
    try:
        run.wait_up()
        settings = PlatformSettings(var_dir=var_dir)
        url = f"http://127.0.0.1:{chosen['gateway']}/graphql"
        admin = Client(url, bearer(settings, Role.admin))
        revision = admin.call(PRODUCT)["data"]["product"]["revision"]
        assert "errors" not in admin.call(RAISE_CAPACITY, revision=revision)
        yield run, Client(url, bearer(settings, Role.client, client="MINUSMA")), var_dir
    finally:
        run.stop()


def under_load(client: Client, fault: Callable[[], None], count: int) -> None:
    """Submit `count` requests from two threads while `fault` strikes a third in."""

    def load(share: int) -> None:
        for _ in range(share):
            client.submit()

    workers = [threading.Thread(target=load, args=(count // 2,)) for _ in range(2)]
    for worker in workers:
        worker.start()
    while len(client.accepted) < count // 3:
        time.sleep(0.05)
    fault()
    for worker in workers:
        worker.join(300)


def every_request_has_one_accepted_engagement(client: Client, var_dir: Path) -> None:
    deadline = time.monotonic() + 120
    pending = dict(client.accepted)
    while pending and time.monotonic() < deadline:
        for key, request_id in list(pending.items()):
            try:  # after a broker death the supervisor restarts every process, the door too
                answer = client.call(ENGAGEMENTS, id=request_id)
            except httpx.HTTPError:
                break
            if "errors" in answer:
                assert answer["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE", answer
                break
            engagements = answer["data"]["request"]["engagements"]
            assert len(engagements) <= 1, engagements
            if engagements == [{"productCode": "ELECTORAL_ASSISTANCE", "status": "accepted"}]:
                del pending[key]
        time.sleep(0.5)
    assert not pending, f"{len(pending)} requests without their accepted engagement"
    with sqlite3.connect(var_dir / "desks.db") as desks:
        stored = desks.execute(
            "select count(*), count(distinct idempotency_key) from service_request "
            "where idempotency_key like 'fault-%'"
        ).fetchone()
    assert stored == (len(client.accepted), len(client.accepted)), stored


def test_a_service_killed_mid_load_loses_and_duplicates_nothing(running: Any) -> None:
    run, client, var_dir = running
    under_load(
        client, lambda: os.kill(pid_of(run, "services.desks"), signal.SIGKILL), REQUESTS_PER_FAULT
    )
    every_request_has_one_accepted_engagement(client, var_dir)
    print(f"\nservice killed: {len(client.accepted)} accepted, {client.retries} retries")


def test_a_paused_broker_loses_and_duplicates_nothing(running: Any) -> None:
    run, client, var_dir = running

    def pause() -> None:
        broker = pid_of(run, "broker")
        os.kill(broker, signal.SIGSTOP)
        time.sleep(5)
        os.kill(broker, signal.SIGCONT)

    under_load(client, pause, REQUESTS_PER_FAULT)
    every_request_has_one_accepted_engagement(client, var_dir)
    print(f"\nbroker paused: {len(client.accepted)} accepted, {client.retries} retries")


def test_a_killed_broker_loses_and_duplicates_nothing(running: Any) -> None:
    run, client, var_dir = running
    under_load(client, lambda: os.kill(pid_of(run, "broker"), signal.SIGKILL), REQUESTS_PER_FAULT)
    every_request_has_one_accepted_engagement(client, var_dir)
    print(f"\nbroker killed: {len(client.accepted)} accepted, {client.retries} retries")
