"""Run a service in-process for integration tests: migrated, seeded, lifespan started
(relay and consumer on the real broker), reachable through an httpx client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI

from shared.clock import Clock
from shared.manage import migrate, seed
from shared.messaging import MessagingRuntime
from shared.service import ServiceDefinition
from shared.settings import ServiceSettings


@dataclass
class RunningService:
    app: FastAPI
    http: httpx.AsyncClient
    settings: ServiceSettings

    @property
    def runtime(self) -> MessagingRuntime:
        runtime: MessagingRuntime = self.app.state.runtime
        return runtime

    @property
    def sessions(self) -> Any:
        return self.app.state.sessions


@asynccontextmanager
async def running_service(
    definition: ServiceDefinition,
    create_app: Callable[..., FastAPI],
    settings: ServiceSettings,
    clock: Clock | None = None,
) -> AsyncIterator[RunningService]:
    await migrate(definition, settings)
    await seed(definition, settings)
    app = create_app(settings, clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url=f"http://{definition.name}"
        ) as http:
            yield RunningService(app=app, http=http, settings=settings)
