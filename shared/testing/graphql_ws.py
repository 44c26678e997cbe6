"""A GraphQL subscription client over a real websocket (graphql-transport-ws)."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

PROTOCOL = "graphql-transport-ws"


class GraphQLSubscription:
    def __init__(self, socket: ClientConnection, operation_id: str) -> None:
        self.socket = socket
        self.operation_id = operation_id

    async def next_message(self, timeout_s: float = 15.0) -> dict[str, Any]:
        """The next `next`, `error` or `complete` message of this operation."""
        async with asyncio.timeout(timeout_s):
            while True:
                message = json.loads(await self.socket.recv())
                if message["type"] == "ping":
                    await self.socket.send(json.dumps({"type": "pong"}))
                elif message.get("id") == self.operation_id:
                    return dict(message)

    async def next_data(self, timeout_s: float = 15.0) -> dict[str, Any]:
        """The data of the next pushed result; fails on errors."""
        message = await self.next_message(timeout_s)
        assert message["type"] == "next", message
        assert not message["payload"].get("errors"), message
        return dict(message["payload"]["data"])


_ids = itertools.count(1)


@asynccontextmanager
async def subscription(
    url: str, authorization: str, query: str, variables: dict[str, Any] | None = None
) -> AsyncIterator[GraphQLSubscription]:
    """Connect (token in `connection_init`), subscribe, yield, and close the socket.

    `url` is the gateway's `ws://…/graphql` address.
    """
    async with websockets.connect(url, subprotocols=[PROTOCOL]) as socket:  # type: ignore[list-item]
        await socket.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": authorization}})
        )
        try:
            acknowledgement = json.loads(await asyncio.wait_for(socket.recv(), 15))
        except websockets.ConnectionClosed as closed:
            code = closed.rcvd.code if closed.rcvd else None
            raise ConnectionError(f"subscription refused: close code {code}") from closed
        if acknowledgement["type"] != "connection_ack":
            raise ConnectionError(f"subscription not acknowledged: {acknowledgement}")
        operation_id = str(next(_ids))
        payload = {"query": query, "variables": variables or {}}
        await socket.send(json.dumps({"id": operation_id, "type": "subscribe", "payload": payload}))
        yield GraphQLSubscription(socket, operation_id)
