"""One pooled httpx client per downstream service, with the caller's token forwarded.

A service's refusal (`{"detail": {"code", "message"}}`) becomes a `ServiceError`
with the same code, which the schema turns into a GraphQL error. Transport
failures and 5xx become SERVICE_UNAVAILABLE / INTERNAL, never raw text.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

log = logging.getLogger(__name__)


class ServiceError(Exception):
    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}


class ServiceClient:
    def __init__(self, name: str, base_url: str, *, timeout_s: float, max_connections: int) -> None:
        self.name = name
        self._http = httpx.AsyncClient(
            base_url=base_url,
            timeout=timeout_s,
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
        )
        HTTPXClientInstrumentor.instrument_client(self._http)

    async def close(self) -> None:
        await self._http.aclose()

    async def get(self, path: str, authorization: str, params: Any = None) -> Any:
        return await self._call("GET", path, authorization, params=params)

    async def post(self, path: str, authorization: str, body: Any) -> Any:
        return await self._call("POST", path, authorization, json=body)

    async def put(self, path: str, authorization: str, body: Any) -> Any:
        return await self._call("PUT", path, authorization, json=body)

    async def patch(self, path: str, authorization: str, body: Any) -> Any:
        return await self._call("PATCH", path, authorization, json=body)

    async def delete(self, path: str, authorization: str) -> Any:
        return await self._call("DELETE", path, authorization)

    async def ready(self) -> bool:
        try:
            response = await self._http.get("/readyz")
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    async def _call(self, method: str, path: str, authorization: str, **kwargs: Any) -> Any:
        try:
            response = await self._http.request(
                method, path, headers={"Authorization": authorization}, **kwargs
            )
        except httpx.HTTPError as error:
            log.warning("%s unreachable: %s", self.name, error)
            raise ServiceError(
                "SERVICE_UNAVAILABLE", f"the {self.name} service is unavailable"
            ) from error
        if response.status_code < 400:
            return response.json() if response.content else None
        detail = _detail(response)
        if response.status_code >= 500:
            log.error("%s %s %s failed: %s", self.name, method, path, detail)
            code = "SERVICE_UNAVAILABLE" if response.status_code == 503 else "INTERNAL"
            raise ServiceError(code, f"the {self.name} service failed")
        code = detail.pop("code", "BAD_USER_INPUT")
        message = detail.pop("message", response.reason_phrase)
        raise ServiceError(code, message, detail)


def _detail(response: httpx.Response) -> dict[str, Any]:
    try:
        detail = response.json().get("detail")
    except ValueError:
        return {}
    return dict(detail) if isinstance(detail, dict) else {"message": str(detail)}


class ServiceClients:
    def __init__(self, urls: dict[str, str], *, timeout_s: float, max_connections: int) -> None:
        self.by_name = {
            name: ServiceClient(name, url, timeout_s=timeout_s, max_connections=max_connections)
            for name, url in urls.items()
        }
        self.desks = self.by_name["desks"]
        self.products = self.by_name["products"]

    async def close(self) -> None:
        for client in self.by_name.values():
            await client.close()
