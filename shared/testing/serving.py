"""Serve an ASGI app over real loopback HTTP and websockets, inside the test's loop.

In-process services are normally called through httpx's ASGI transport; this is
for what that cannot do: the gateway calling services over HTTP, and clients
holding a real websocket (GraphQL subscriptions).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI

from shared.processes import free_port


@asynccontextmanager
async def served(app: FastAPI, *, run_lifespan: bool = False) -> AsyncIterator[str]:
    """Yield the app's base URL (`http://127.0.0.1:<port>`) while uvicorn serves it.

    `run_lifespan=False` for apps whose lifespan the caller already runs
    (`running_service`), True for apps that need it started here (the gateway).
    """
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        lifespan="on" if run_lifespan else "off",
        log_level="warning",
        ws="websockets-sansio",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(), name=f"uvicorn:{port}")
    try:
        for _ in range(500):
            if server.started or task.done():
                break
            await asyncio.sleep(0.01)
        if not server.started:
            await task  # surfaces the start-up error
            raise RuntimeError("uvicorn did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=10)
