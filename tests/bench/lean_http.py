"""A lean HTTP/1.1 client for the open-loop load generator.

httpx's connection pool does work for every waiting request whenever a
connection changes state. Under an open-loop load on a stack that falls behind,
thousands of requests wait, and with httpx the generator itself burned a whole
core and fell 23 s behind its schedule (measured on this machine), which made
the stack look better than it is (fewer requests really offered). This client
keeps idle keep-alive connections on a stack (constant work per request) and
opens a new connection whenever none is idle, so the offered load stays what the
schedule says. HTTP itself is spoken by h11, the protocol library under httpx.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any
from urllib.parse import urlsplit

import h11

READ_CHUNK = 64 * 1024
# Uvicorn closes keep-alive connections idle for 5 s; reusing one it is closing
# would fail a request the server never saw, so older idle connections are dropped.
MAX_IDLE_S = 2.0


class LeanHttpClient:
    """Posts JSON to one URL (the load generator only ever calls one)."""

    def __init__(self, url: str, *, timeout_s: float) -> None:
        address = urlsplit(url)
        self._host = address.hostname or "127.0.0.1"
        self._port = address.port or 80
        self._path = address.path or "/"
        self._timeout_s = timeout_s
        self._idle: list[tuple[_Connection, float]] = []  # with when each went idle

    async def post_json(self, body: Any, headers: dict[str, str]) -> tuple[int, Any]:
        """POST `body` as JSON; return the status and the decoded JSON answer."""
        return await asyncio.wait_for(
            self._post(json.dumps(body).encode(), headers), self._timeout_s
        )

    async def aclose(self) -> None:
        while self._idle:
            self._idle.pop()[0].close()

    async def _post(self, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
        connection = self._fresh_idle() or await self._connect()
        try:
            status, answer = await connection.exchange(
                h11.Request(
                    method="POST",
                    target=self._path,
                    headers=[
                        ("host", f"{self._host}:{self._port}"),
                        ("content-type", "application/json"),
                        ("content-length", str(len(body))),
                        *headers.items(),
                    ],
                ),
                body,
            )
        except BaseException:
            connection.close()
            raise
        if connection.ready_for_next():
            self._idle.append((connection, time.monotonic()))
        else:
            connection.close()
        return status, json.loads(answer)

    def _fresh_idle(self) -> _Connection | None:
        while self._idle:
            connection, idle_since = self._idle.pop()
            if time.monotonic() - idle_since < MAX_IDLE_S:
                return connection
            connection.close()
        return None

    async def _connect(self) -> _Connection:
        reader, writer = await asyncio.open_connection(self._host, self._port)
        return _Connection(reader, writer)


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._protocol = h11.Connection(our_role=h11.CLIENT)

    async def exchange(self, request: h11.Request, body: bytes) -> tuple[int, bytes]:
        for message in (request, h11.Data(data=body), h11.EndOfMessage()):
            self._writer.write(self._protocol.send(message) or b"")
        await self._writer.drain()
        status, chunks = 0, []
        while True:
            event = self._protocol.next_event()
            if event is h11.NEED_DATA:
                self._protocol.receive_data(await self._reader.read(READ_CHUNK))
            elif isinstance(event, h11.Response):
                status = event.status_code
            elif isinstance(event, h11.Data):
                chunks.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                return status, b"".join(chunks)
            elif isinstance(event, h11.ConnectionClosed):
                raise ConnectionError("the server closed the connection mid-answer")

    def ready_for_next(self) -> bool:
        """Reset for the next request if both sides finished cleanly (keep-alive)."""
        if self._protocol.our_state is h11.DONE and self._protocol.their_state is h11.DONE:
            self._protocol.start_next_cycle()
            return True
        return False

    def close(self) -> None:
        self._writer.close()
