"""The gateway: strawberry on FastAPI, the only public entry to OneDoor."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import strawberry
from fastapi import FastAPI, Request
from fastapi.requests import HTTPConnection
from fastapi.responses import JSONResponse
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from strawberry.exceptions import ConnectionRejectionError
from strawberry.extensions import AddValidationRules, ParserCache, ValidationCache
from strawberry.extensions.query_depth_limiter import create_validator
from strawberry.fastapi import GraphQLRouter
from strawberry.schema.config import StrawberryConfig

from gateway.clients import ServiceClients
from gateway.context import GatewayContext
from gateway.dev_signin import include_auth
from gateway.errors import CodedErrors
from gateway.feeds import router as feeds_router
from gateway.live import LiveEvents
from gateway.portal import mount_portal
from gateway.schema import (
    LIVE_TOPICS,
    PRODUCT_CODE_SCALAR,
    Authenticated,
    Mutation,
    ProductCode,
    Query,
    Subscription,
)
from gateway.settings import GatewaySettings
from shared.auth import TokenVerifier
from shared.telemetry import configure_tracing


def build_schema(settings: GatewaySettings) -> strawberry.Schema:
    # One depth rule for the schema's lifetime: the validation cache is keyed by the
    # rules, so a rule built per operation (QueryDepthLimiter's way) never hits it.
    depth_rule = create_validator(settings.max_query_depth, None, None)
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        config=StrawberryConfig(scalar_map={ProductCode: PRODUCT_CODE_SCALAR}),
        # Factories: a fresh extension per operation; the caches live at module level.
        extensions=[
            Authenticated,
            lambda: AddValidationRules([depth_rule]),
            lambda: ParserCache(maxsize=1000),
            lambda: ValidationCache(maxsize=1000),
            CodedErrors,
        ],
    )


class GatewayRouter(GraphQLRouter[GatewayContext, None]):
    """GraphQL over HTTP and websockets (graphql-transport-ws).

    A browser cannot set headers on a websocket, so a subscription's token may
    come in the `connection_init` payload instead (`{"Authorization": "Bearer …"}`);
    without a valid one the connection is refused before any operation runs.
    """

    def __init__(self, verifier: TokenVerifier, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.verifier = verifier

    async def on_ws_connect(self, context: GatewayContext) -> None:
        params = getattr(context, "connection_params", None) or {}
        authorization = params.get("Authorization") or params.get("authorization")
        if isinstance(authorization, str) and authorization:
            context.authenticate(self.verifier, authorization)
        if context.principal is None:
            raise ConnectionRejectionError({"code": "UNAUTHENTICATED"})


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    configure_tracing("gateway", settings)
    verifier = TokenVerifier(settings)
    urls = {
        "desks": settings.desks_url,
        "products": settings.products_url,
        "lessons": settings.lessons_url,
        "partnerships": settings.partnerships_url,
    }

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.clients = ServiceClients(
            urls,
            timeout_s=settings.service_timeout_s,
            max_connections=settings.max_connections_per_service,
        )
        app.state.live = LiveEvents(settings, LIVE_TOPICS, queue_size=settings.live_queue_size)
        try:
            await app.state.live.start()
            yield
        finally:
            await app.state.live.stop()
            await app.state.clients.close()

    async def context(connection: HTTPConnection) -> GatewayContext:
        context = GatewayContext(connection.app.state.clients, live=connection.app.state.live)
        context.authenticate(verifier, connection.headers.get("authorization", ""))
        return context

    app = FastAPI(title="OneDoor gateway", version="1.0.0", lifespan=lifespan)
    app.include_router(
        GatewayRouter(verifier, schema=build_schema(settings), context_getter=context),
        prefix="/graphql",
    )
    app.include_router(feeds_router)
    include_auth(app, settings)
    mount_portal(app, settings.portal_dist_dir)

    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": "gateway"}

    @app.get("/readyz", tags=["health"])
    async def readyz(request: Request) -> JSONResponse:
        clients: ServiceClients = request.app.state.clients
        services = {name: await client.ready() for name, client in clients.by_name.items()}
        ready = all(services.values())
        body = {"status": "ready" if ready else "not ready", "services": services}
        return JSONResponse(body, status_code=200 if ready else 503)

    FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz,readyz")
    return app
