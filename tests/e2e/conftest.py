"""The whole embedded stack as `make run` starts it (broker, four services and the
gateway as separate processes), and a client of its one door.

Starting a stack costs ten processes, so test modules that leave it fit for each
other share one: a module names its stack in `SHARED_STACK`, and consecutive modules
naming the same one get the same running stack (`--dist loadfile` hands a worker
files in order, so neighbouring e2e files mostly meet). A module without the name gets
a stack of its own: those that change what every test sees (the catalog's settings, a flood of
fuzzed data) keep theirs."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.auth import Role
from shared.processes import free_port, free_port_block
from shared.runner import SERVICES, EmbeddedStack, RunnerSettings
from shared.testing.graphql_ws import GraphQLSubscription, subscription
from shared.testing.services import TEST_FETCH_MAX_WAIT_MS
from shared.testing.tokens import bearer
from shared.testing.waiting import eventually

_SUBSCRIPTIONS_REGISTERED = re.compile(r"^onedoor_gateway_live_subscriptions_total (\S+)$", re.M)


@contextmanager
def running_stack(
    tmp_path_factory: pytest.TempPathFactory, gateway_port: int | None = None
) -> Iterator[EmbeddedStack]:
    """The whole stack on free loopback ports; its processes inherit os.environ."""
    settings = RunnerSettings(
        var_dir=tmp_path_factory.mktemp("stack") / "var",
        gateway_port=gateway_port or free_port(),
        service_base_port=free_port_block(len(SERVICES)),
        broker_port=free_port(),
        smtp_sink_port=free_port(),
        ready_timeout_s=120,
        kafka_fetch_max_wait_ms=TEST_FETCH_MAX_WAIT_MS,
    )
    running = EmbeddedStack(settings)
    try:
        running.start()
        yield running
    finally:
        running.stop()


class StackShare:
    """One running stack at a time in this worker, kept while modules ask for the same."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        self._tmp_path_factory = tmp_path_factory
        self._name: str | None = None
        self._running = ExitStack()
        self._stack: EmbeddedStack | None = None

    def get(self, name: str | None) -> EmbeddedStack:
        if self._stack is None or name != self._name:
            self.stop()
            self._stack = self._running.enter_context(running_stack(self._tmp_path_factory))
            self._name = name
        return self._stack

    def stop(self) -> None:
        self._running.close()
        self._stack = self._name = None


@pytest.fixture(scope="session")
def stack_share(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackShare]:
    share = StackShare(tmp_path_factory)
    try:
        yield share
    finally:
        share.stop()


# The test this worker runs next (pytest knows it before each test), so that a module's
# stack stops after its last module instead of idling until the end of the session.
_next_test: list[pytest.Item | None] = [None]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    _next_test[0] = nextitem


@pytest.fixture(scope="module")
def stack(request: pytest.FixtureRequest, stack_share: StackShare) -> Iterator[EmbeddedStack]:
    name = stack_name(request.module)
    yield stack_share.get(name)
    following = _next_test[0]
    if following is None or stack_name(getattr(following, "module", None)) != name:
        stack_share.stop()


def stack_name(module: object) -> str | None:
    """The stack a test module runs on: its SHARED_STACK, or one of its own."""
    return getattr(module, "SHARED_STACK", None) or getattr(module, "__name__", None)


class Door:
    """The GraphQL door of a running stack, called with a role's dev token."""

    def __init__(self, stack: EmbeddedStack) -> None:
        self.url = stack.graphql_url
        self.metrics_url = stack.graphql_url.removesuffix("/graphql") + "/metrics"
        self.websocket_url = stack.graphql_url.replace("http://", "ws://")
        self.settings = stack.settings.model_copy(update={"var_dir": Path(stack.var_dir)})

    def headers(self, role: Role, **tenant: Any) -> dict[str, str]:
        return bearer(self.settings, role, **tenant)

    async def call(self, query: str, headers: dict[str, str], **variables: Any) -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=10) as http:
            response = await http.post(
                self.url, json={"query": query, "variables": variables}, headers=headers
            )
        return dict(response.json())

    @asynccontextmanager
    async def listening(
        self, authorization: str, query: str, variables: dict[str, Any]
    ) -> AsyncIterator[GraphQLSubscription]:
        """A subscription the gateway has registered: a change made next reaches it.
        (A socket that is open may still be waiting for its resolver to start; on a
        loaded machine that once outlasted a fixed half-second pause.)"""
        before = await self._subscriptions_registered()

        async def registered() -> bool:
            return await self._subscriptions_registered() > before

        async with subscription(self.websocket_url, authorization, query, variables) as updates:
            await eventually(registered, timeout_s=30, interval_s=0.05)
            yield updates

    async def _subscriptions_registered(self) -> float:
        async with httpx.AsyncClient(timeout=10) as http:
            response = await http.get(self.metrics_url)
        response.raise_for_status()
        found = _SUBSCRIPTIONS_REGISTERED.search(response.text)
        return float(found.group(1)) if found else 0.0


@pytest.fixture(scope="module")
def door(stack: EmbeddedStack) -> Door:
    return Door(stack)
