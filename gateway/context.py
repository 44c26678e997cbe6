"""Per-request GraphQL context: the caller, their token and fresh dataloaders."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from functools import partial
from typing import Any, Protocol, TypeVar

from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext

from gateway.clients import ServiceClients
from gateway.live import LiveEvents
from shared.auth import Principal, TokenVerifier
from shared.errors import DomainError

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

BatchLoad = Callable[["GatewayContext", list[K]], Awaitable[list[V]]]


class GatewayContext(BaseContext):
    def __init__(
        self,
        clients: ServiceClients,
        authorization: str = "",
        principal: Principal | None = None,
        auth_error: DomainError | None = None,
        live: LiveEvents | None = None,
    ) -> None:
        super().__init__()
        self.clients = clients
        self.authorization = authorization
        self.principal = principal
        self.auth_error = auth_error
        self.live = live
        self.connection_params: dict[str, Any] | None = None
        self._loaders: dict[Callable[..., Any], DataLoader[Any, Any]] = {}

    async def authenticate(self, verifier: TokenVerifier, authorization: str) -> None:
        """Verify the caller's bearer token; the token is forwarded to every service."""
        self.authorization = authorization
        try:
            self.principal, self.auth_error = await verifier.verify_header(authorization), None
        except DomainError as refusal:
            self.principal, self.auth_error = None, refusal

    def live_events(self) -> LiveEvents:
        if self.live is None:
            raise RuntimeError("this gateway runs without live events")
        return self.live

    def loader(self, batch_load: BatchLoad[K, V], max_batch_size: int = 200) -> DataLoader[K, V]:
        """The operation's one dataloader for `batch_load`, so every fan-out of the same
        kind (engagements of many requests, ...) becomes one call per service."""
        existing = self._loaders.get(batch_load)
        if existing is None:
            existing = DataLoader(load_fn=partial(batch_load, self), max_batch_size=max_batch_size)
            self._loaders[batch_load] = existing
        return existing


class OfRequest(Protocol):
    """A service answer that belongs to one request (a comment, an engagement, ...)."""

    @property
    def request_id(self) -> str: ...


Item = TypeVar("Item", bound=OfRequest)


def group_by_request(items: list[Item], request_ids: list[str]) -> list[list[Item]]:
    """Answer a batch load: the items of each request, in the order of the request ids."""
    grouped: dict[str, list[Item]] = {request_id: [] for request_id in request_ids}
    for item in items:
        grouped.setdefault(item.request_id, []).append(item)
    return [grouped[request_id] for request_id in request_ids]
