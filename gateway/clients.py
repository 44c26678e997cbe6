"""One client per downstream service, with the caller's token forwarded: JSON calls over
the gateway's own keep-alive connections (gateway/service_http.py), streamed ones
(exports, attachments) through httpx.

A request body is a contract model (the services' own request models, from
contracts/http/<service>/requests.py), so a renamed field fails the type check, not a
call at run time. A 2xx answer is validated against the contract model the caller
names (the services' own response models, from contracts/http/). A service's refusal
(`{"detail": {"code", "message"}}`) becomes a `ServiceError` with the same code,
which the schema turns into a GraphQL error. Anything else that is not a 2xx answer
of the expected shape also becomes a coded error: transport failures and 503
SERVICE_UNAVAILABLE, a redirect, another 5xx or a body of the wrong shape
BAD_SERVICE_RESPONSE. Never raw text, never INTERNAL.

Every URL is built by `service_path` from its segments, each percent-encoded, so
a caller's id can never change which route of a service is reached.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Hashable
from functools import cache
from typing import Any, TypeVar, cast
from urllib.parse import quote

import httpx
from opentelemetry import propagate
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.trace import SpanKind
from pydantic import BaseModel, TypeAdapter, ValidationError

from gateway.service_http import Answer, BadRequestLine, ConnectionFailed, ServiceConnections
from shared.telemetry import tracer

log = logging.getLogger(__name__)

# Streamed calls are rare (a download, an export): a few warm connections are enough.
MAX_STREAM_KEEPALIVE = 4


class ServiceError(Exception):
    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}


class ServicePath(str):
    """A service URL path whose every segment was encoded by `service_path`."""


def service_path(*segments: object) -> ServicePath:
    """`/a/b/c` from the segments, each percent-encoded (`/`, `?`, `#`, `%` included).

    An empty, `.` or `..` segment would still change the route once encoded (a
    slash redirect, a dot segment a client or proxy resolves), so it is refused.
    """
    encoded = []
    for segment in segments:
        text = str(segment)
        if text in ("", ".", ".."):
            raise ServiceError("BAD_USER_INPUT", f"{text!r} is not a valid identifier")
        encoded.append(quote(text, safe=""))
    return ServicePath("/" + "/".join(encoded))


T = TypeVar("T")


@cache
def _adapter(answer: Any) -> TypeAdapter[Any]:
    """One adapter per contract type: building it compiles the validator."""
    return TypeAdapter(answer)


class ServiceClient:
    """Each call names the contract its answer must match (`RequestPublic`,
    `list[CommentPublic]`, ...) and returns it validated: an answer of another shape is
    BAD_SERVICE_RESPONSE, never a half-filled object."""

    def __init__(self, name: str, base_url: str, *, timeout_s: float, max_connections: int) -> None:
        self.name = name
        self._timeout_s = timeout_s
        self._connections = ServiceConnections(base_url, max_connections=max_connections)
        # Only for the calls whose bodies are streamed (exports, attachments).
        self._http = httpx.AsyncClient(
            base_url=base_url,
            timeout=timeout_s,
            follow_redirects=False,
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=MAX_STREAM_KEEPALIVE
            ),
        )
        HTTPXClientInstrumentor.instrument_client(self._http)

    async def close(self) -> None:
        self._connections.close()
        await self._http.aclose()

    async def get(
        self, path: ServicePath, authorization: str, answer: type[T], params: Any = None
    ) -> T:
        return await self._call("GET", path, authorization, answer, params=params)

    async def post(
        self,
        path: ServicePath,
        authorization: str,
        body: BaseModel | None,
        answer: type[T],
        headers: dict[str, str] | None = None,
    ) -> T:
        return await self._call("POST", path, authorization, answer, body, extra_headers=headers)

    async def put(
        self, path: ServicePath, authorization: str, body: BaseModel, answer: type[T]
    ) -> T:
        return await self._call("PUT", path, authorization, answer, body)

    async def patch(
        self, path: ServicePath, authorization: str, body: BaseModel, answer: type[T]
    ) -> T:
        return await self._call("PATCH", path, authorization, answer, body)

    async def delete(
        self, path: ServicePath, authorization: str, answer: type[T], params: Any = None
    ) -> T:
        return await self._call("DELETE", path, authorization, answer, params=params)

    async def open_stream(
        self,
        path: ServicePath,
        authorization: str,
        params: Any = None,
        *,
        method: str = "GET",
        content: AsyncIterator[bytes] | None = None,
        headers: dict[str, str] | None = None,
        timeout_s: float | None = None,
    ) -> httpx.Response:
        """A call whose body the caller reads as it arrives (`aiter_raw`) and then closes
        (`aclose`): exports and attachments, passed through without being held in memory
        (an upload's `content` is streamed to the service as well)."""
        if not isinstance(path, ServicePath):
            raise TypeError("build service paths with service_path()")
        request = self._http.build_request(
            method,
            path,
            headers={"Authorization": authorization, **(headers or {})},
            params=params,
            content=content,
            timeout=timeout_s if timeout_s is not None else httpx.USE_CLIENT_DEFAULT,
        )
        try:
            return await self._http.send(request, stream=True)
        except httpx.HTTPError as error:
            log.warning("%s unreachable: %s", self.name, error)
            raise ServiceError(
                "SERVICE_UNAVAILABLE", f"the {self.name} service is unavailable"
            ) from error

    async def ready(self) -> bool:
        try:
            async with asyncio.timeout(self._timeout_s):
                answer = await self._connections.request("GET", "/readyz", {}, None)
        except (ConnectionFailed, TimeoutError):
            return False
        return answer.status == 200

    async def _call(
        self,
        method: str,
        path: ServicePath,
        authorization: str,
        answer: type[T],
        body: BaseModel | None = None,
        *,
        params: Any = None,
        extra_headers: dict[str, str] | None = None,
    ) -> T:
        if not isinstance(path, ServicePath):
            raise TypeError("build service paths with service_path()")
        target = f"{path}?{httpx.QueryParams(params)}" if params else str(path)
        headers = {"authorization": authorization, **(extra_headers or {})}
        try:
            response = await self._send(method, target, headers, _json(body))
        except BadRequestLine as error:
            # Found before anything is sent: the caller's input cannot form a request.
            raise ServiceError("BAD_USER_INPUT", f"the request cannot be sent: {error}") from error
        except (ConnectionFailed, TimeoutError) as error:
            log.warning("%s unreachable: %r", self.name, error)
            raise ServiceError(
                "SERVICE_UNAVAILABLE", f"the {self.name} service is unavailable"
            ) from error
        if 200 <= response.status < 300:
            return self._answer(response, method, path, answer)
        detail = _detail(response)
        if response.status < 400 or response.status >= 500:
            log.error("%s %s %s answered %s: %s", self.name, method, path, response.status, detail)
            if response.status == 503:
                raise ServiceError("SERVICE_UNAVAILABLE", f"the {self.name} service is unavailable")
            raise ServiceError("BAD_SERVICE_RESPONSE", f"the {self.name} service failed")
        code = detail.pop("code", None)
        message = detail.pop("message", None)
        if not isinstance(code, str):
            code = "REQUEST_TOO_LARGE" if response.status in (413, 414, 431) else "BAD_USER_INPUT"
        if not isinstance(message, str):
            message = response.reason or "refused"
        raise ServiceError(code, message, detail)

    async def _send(
        self, method: str, target: str, headers: dict[str, str], body: bytes | None
    ) -> Answer:
        # A client span only where spans are recorded; either way the service's work joins
        # the caller's trace by the traceparent header.
        with tracer().start_as_current_span(f"{method} {self.name}", kind=SpanKind.CLIENT):
            propagate.inject(headers)
            async with asyncio.timeout(self._timeout_s):
                try:
                    return await self._connections.request(method, target, headers, body)
                except ConnectionFailed as failure:
                    # A keep-alive connection the service closed just as it was reused: a
                    # read is sent again, once, on a fresh connection. A write is not: the
                    # service may have applied it.
                    if method != "GET" or not failure.unsent_request:
                        raise
                    return await self._connections.request(method, target, headers, body)

    def _answer(self, response: Answer, method: str, path: str, answer: type[T]) -> T:
        try:
            validated: T = _adapter(cast(Hashable, answer)).validate_json(response.body)
        except ValidationError as error:
            log.error(
                "%s %s %s answered an unexpected body: %s",
                self.name,
                method,
                path,
                error.errors(include_url=False, include_input=False)[:3],
            )
            raise ServiceError(
                "BAD_SERVICE_RESPONSE", f"the {self.name} service answered oddly"
            ) from error
        return validated


def _json(body: BaseModel | None) -> bytes | None:
    """A request body as the service reads it: a contract model (contracts/http/), its
    unset optional fields left out, as the service defaults them anyway; None sends none."""
    return None if body is None else body.model_dump_json(exclude_none=True).encode()


def _detail(response: Answer) -> dict[str, Any]:
    try:
        body = json.loads(response.body)
    except ValueError:
        return {}
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, dict):
        return dict(detail)
    return {"message": str(detail)} if detail is not None else {}


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
