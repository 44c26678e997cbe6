"""Per-request GraphQL context: the caller, their token and fresh dataloaders."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext

from gateway.clients import ServiceClients
from shared.auth import Principal
from shared.errors import DomainError


@dataclass
class Loaders:
    """Batch every list-of-ids fan-out into one call per service (no N+1)."""

    engagements_by_request: DataLoader[str, list[dict[str, Any]]]
    timeline_by_request: DataLoader[str, list[dict[str, Any]]]
    desk_by_code: DataLoader[str, dict[str, Any] | None]


class GatewayContext(BaseContext):
    def __init__(
        self,
        clients: ServiceClients,
        authorization: str,
        principal: Principal | None,
        auth_error: DomainError | None,
    ) -> None:
        super().__init__()
        self.clients = clients
        self.authorization = authorization
        self.principal = principal
        self.auth_error = auth_error
        self.loaders = _loaders(clients, authorization)


def _group(items: list[dict[str, Any]], keys: list[str], by: str) -> list[list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {key: [] for key in keys}
    for item in items:
        grouped.setdefault(item[by], []).append(item)
    return [grouped[key] for key in keys]


def _loaders(clients: ServiceClients, authorization: str) -> Loaders:
    async def engagements(request_ids: list[str]) -> list[list[dict[str, Any]]]:
        items = await clients.products.get(
            "/engagements", authorization, params={"request_id": request_ids, "limit": 1000}
        )
        return _group(items, request_ids, "request_id")

    async def timelines(request_ids: list[str]) -> list[list[dict[str, Any]]]:
        items = await clients.desks.get(
            "/timelines", authorization, params={"request_id": request_ids}
        )
        return _group(items, request_ids, "request_id")

    async def desks(codes: list[str]) -> list[dict[str, Any] | None]:
        by_code = {desk["code"]: desk for desk in await clients.desks.get("/desks", authorization)}
        return [by_code.get(code) for code in codes]

    return Loaders(
        engagements_by_request=DataLoader(load_fn=engagements, max_batch_size=200),
        timeline_by_request=DataLoader(load_fn=timelines, max_batch_size=200),
        desk_by_code=DataLoader(load_fn=desks),
    )
