"""The gateway's HTTP/1.1 connections to one service, for its JSON calls.

Each GraphQL operation makes one or a few calls to a service over loopback or the
cluster network, and through httpx each call cost the gateway about 1.3 ms of CPU
(its request and URL models, httpcore's pool, anyio's cancel scopes, h11), more than
everything else the gateway does for a mutation. Here a call is one write of the
request (head and body together) and httptools' C parser reading the answer, some
tens of microseconds.

Idle keep-alive connections are kept on a stack: a call takes the one used last,
so a burst's extra connections age out instead of being scanned on every call (the
way httpcore's pool walks its whole list), and a connection idle longer than
`MAX_IDLE_S` is closed rather than reused, before the service (uvicorn: 5 s) closes
it under a request it never read. At most `max_connections` are open at once; a
call waits for one within its timeout.

Streamed calls (exports, attachments) still go through httpx (gateway/clients.py).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast
from urllib.parse import urlsplit

import httptools

# Below uvicorn's keep-alive timeout (5 s), with room for a busy loop to be late.
MAX_IDLE_S = 3.0
_FORBIDDEN_IN_HEADERS = ("\r", "\n", "\x00")


class ConnectionFailed(Exception):
    """The service could not be reached, or the connection broke before a whole answer.

    `unsent_request`: nothing of the answer had arrived, so a GET may be sent again.
    """

    def __init__(self, message: str, *, unsent_request: bool = False) -> None:
        super().__init__(message)
        self.unsent_request = unsent_request


class BadRequestLine(ValueError):
    """A header or target that cannot be written into an HTTP/1.1 request."""


@dataclass(frozen=True)
class Answer:
    status: int
    reason: str
    body: bytes


class _Connection(asyncio.Protocol):
    """One keep-alive connection: one exchange at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0
        self._parser = httptools.HttpResponseParser(self)
        self._answer: asyncio.Future[Answer] | None = None
        self._reason = b""
        self._chunks: list[bytes] = []
        self._started = False  # a byte of the answer arrived

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream transport (uvloop's is not a subclass of asyncio.Transport).
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self._started = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as error:
            self._fail(ConnectionFailed(f"unreadable answer: {error}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        started = self._started
        self._fail(ConnectionFailed("connection closed", unsent_request=not started))

    # httptools callbacks
    def on_status(self, status: bytes) -> None:
        self._reason += status

    def on_body(self, body: bytes) -> None:
        self._chunks.append(body)

    def on_message_complete(self) -> None:
        answer = Answer(
            self._parser.get_status_code(), self._reason.decode("latin-1"), b"".join(self._chunks)
        )
        if not self._parser.should_keep_alive():
            self.close()
        if self._answer is not None and not self._answer.done():
            self._answer.set_result(answer)

    async def exchange(self, request: bytes) -> Answer:
        assert self.transport is not None
        self._answer = asyncio.get_running_loop().create_future()
        self._reason, self._chunks, self._started = b"", [], False
        self.transport.write(request)
        return await self._answer

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def _fail(self, error: ConnectionFailed) -> None:
        if self._answer is not None and not self._answer.done():
            self._answer.set_exception(error)
            self.close()


class ServiceConnections:
    """Keep-alive connections to one service's base URL (`http://host:port`)."""

    def __init__(self, base_url: str, *, max_connections: int) -> None:
        address = urlsplit(base_url)
        if address.scheme != "http" or not address.hostname:
            raise ValueError(f"expected an http://host:port base URL, not {base_url!r}")
        self._host = address.hostname
        self._port = address.port or 80
        self._base_path = address.path.rstrip("/")
        self._host_header = f"host: {address.netloc}\r\n"
        self._slots = asyncio.Semaphore(max_connections)
        self._idle: list[_Connection] = []  # the last one used on top

    async def request(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes | None
    ) -> Answer:
        """Send one request and read its whole answer. `target` is the encoded path and
        query; the caller bounds the time (asyncio.timeout)."""
        request = self._serialize(method, target, headers, body)
        async with self._slots:
            connection = self._take_idle() or await self._connect()
            try:
                answer = await connection.exchange(request)
            except BaseException:
                connection.close()  # mid-exchange: its state is unknown
                raise
            if not connection.closed:
                connection.idle_since = time.monotonic()
                self._idle.append(connection)
            return answer

    def close(self) -> None:
        while self._idle:
            self._idle.pop().close()

    def _take_idle(self) -> _Connection | None:
        now = time.monotonic()
        while self._idle:
            connection = self._idle.pop()
            if not connection.closed and now - connection.idle_since < MAX_IDLE_S:
                self._close_stale(now)
                return connection
            connection.close()
        return None

    def _close_stale(self, now: float) -> None:
        # The oldest idle connections are at the bottom of the stack.
        while self._idle and now - self._idle[0].idle_since >= MAX_IDLE_S:
            self._idle.pop(0).close()

    async def _connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            _, connection = await loop.create_connection(_Connection, self._host, self._port)
        except OSError as error:
            raise ConnectionFailed(f"cannot connect: {error}") from error
        return connection

    def _serialize(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes | None
    ) -> bytes:
        _check_line(target)
        lines = [f"{method} {self._base_path}{target} HTTP/1.1\r\n", self._host_header]
        for name, value in headers.items():
            _check_line(name)
            _check_line(value)
            lines.append(f"{name}: {value}\r\n")
        if body is not None:
            lines.append(f"content-type: application/json\r\ncontent-length: {len(body)}\r\n")
        elif method in ("POST", "PUT", "PATCH"):
            lines.append("content-length: 0\r\n")
        lines.append("\r\n")
        head = "".join(lines)
        try:
            encoded = head.encode("ascii")
        except UnicodeEncodeError as error:
            raise BadRequestLine(f"a header or the target is not ASCII: {error}") from error
        return encoded + body if body is not None else encoded


def _check_line(text: str) -> None:
    """No header or target may end its line early (a caller's value could add headers)."""
    if any(character in text for character in _FORBIDDEN_IN_HEADERS):
        raise BadRequestLine("a header or the target holds a line break or NUL")
