"""The embedded stack as `make run` starts it, on free loopback ports, for one bench run."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from shared.auth import Role, issue_dev_token
from shared.processes import free_port, free_port_block
from shared.runner import SERVICES, EmbeddedStack, RunnerSettings

# Far above what a run submits: the seeded capacities (8 to 15 concurrent engagements
# per product) would leave all but the first ~55 requests `proposed`, and the
# bench measures the event path, not the capacity rule.
BENCH_CAPACITY = 1_000_000


@dataclass
class BenchStack:
    stack: EmbeddedStack

    @property
    def graphql_url(self) -> str:
        return self.stack.graphql_url

    def service_url(self, name: str) -> str:
        port = self.stack.settings.service_base_port + SERVICES.index(name)
        return f"http://127.0.0.1:{port}"

    def physical_topic(self, topic: str) -> str:
        return self.stack.settings.physical_topic(topic)

    @property
    def bootstrap_servers(self) -> str:
        return self.stack.bootstrap_servers

    def bearer(self, role: Role, client: str | None = None) -> dict[str, str]:
        token = issue_dev_token(self.stack.settings, role=role, client=client)
        return {"Authorization": f"Bearer {token}"}

    def process_ids(self) -> dict[str, int]:
        """The broker and every child the runner started, by name."""
        pids = {"broker": self.stack.broker.process.pid} if self.stack.broker else {}
        for child in self.stack.children:
            if child.process is not None:
                pids[child.name] = child.process.pid
        return pids


@contextmanager
def running_stack(var_dir: Path) -> Iterator[BenchStack]:
    settings = RunnerSettings(
        var_dir=var_dir,
        gateway_port=free_port(),
        service_base_port=free_port_block(len(SERVICES)),
        broker_port=free_port(),
        smtp_sink_port=free_port(),
        log_level="INFO",
    )
    stack = EmbeddedStack(settings)
    try:
        stack.start()
        lift_product_capacity(stack.var_dir / "products.db")
        yield BenchStack(stack)
    finally:
        stack.stop()


def lift_product_capacity(products_db: Path) -> None:
    # The products service reads capacity from its database for every routed
    # request, so an UPDATE takes effect without a restart.
    with closing(sqlite3.connect(products_db, timeout=30)) as db, db:
        db.execute("UPDATE product SET capacity = ?", (BENCH_CAPACITY,))
