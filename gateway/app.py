"""The gateway: strawberry on FastAPI, the only public entry to OneDoor."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import Any

import strawberry
from cross_web import HTTPException
from fastapi import FastAPI, Request, WebSocket
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from graphql import ASTValidationRule
from starlette.routing import Match, Route, WebSocketRoute
from starlette.types import Scope
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.extensions.max_aliases import create_validator as aliases_validator
from strawberry.extensions.query_depth_limiter import create_validator
from strawberry.http import GraphQLHTTPResponse
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET

from gateway.attachments import UPLOAD_ROUTE
from gateway.attachments import router as attachments_router
from gateway.clients import ServiceClients
from gateway.context import GatewayContext
from gateway.dev_signin import include_auth
from gateway.errors import GatewaySchema
from gateway.exports import router as exports_router
from gateway.feeds import router as feeds_router
from gateway.limits import BodySizeLimit, argument_rule, coded_error_body, query_cost_rule
from gateway.live import LiveEvents
from gateway.operation import GatewayOperation
from gateway.portal import mount_portal
from gateway.schema import (
    LIVE_TOPICS,
    PRODUCT_CODE_SCALAR,
    GatewayNames,
    Mutation,
    ProductCode,
    Query,
    Subscription,
)
from gateway.settings import GatewaySettings
from shared.auth import TokenVerifier
from shared.metrics import observe
from shared.telemetry import configure_tracing, trace_requests

# Below the orchestrator's probe timeout: a hung service shows as degraded, not as a
# gateway that fails its own probe.
READY_CHECK_TIMEOUT_S = 1.0


async def _ready_within(check: Awaitable[bool], timeout_s: float) -> bool:
    try:
        return await asyncio.wait_for(check, timeout_s)
    except TimeoutError:
        return False


def build_schema(settings: GatewaySettings) -> strawberry.Schema:
    # One depth rule and one alias rule for the schema's lifetime: the validation cache
    # is keyed by the rules, so a rule class built per operation (the way of
    # QueryDepthLimiter and MaxAliasesLimiter) makes every operation miss it.
    rules: list[type[ASTValidationRule]] = [
        aliases_validator(settings.max_aliases),
        create_validator(settings.max_query_depth, None, None),
        query_cost_rule(settings.max_query_cost),
        argument_rule(settings.max_list_items),
    ]
    return GatewaySchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        config=StrawberryConfig(
            name_converter=GatewayNames(), scalar_map={ProductCode: PRODUCT_CODE_SCALAR}
        ),
        # A factory: a fresh extension per operation; its caches live at module level.
        extensions=[
            lambda: GatewayOperation(
                max_tokens=settings.max_tokens,
                rules=rules,
                max_list_items=settings.max_list_items,
            )
        ],
    )


class GatewayGraphQL(GraphQL[GatewayContext, None]):
    """GraphQL over HTTP and websockets (graphql-transport-ws), as a plain ASGI route:
    FastAPI's router would solve four dependencies per operation for the context alone.

    A browser cannot set headers on a websocket, so a subscription's token may
    come in the `connection_init` payload instead (`{"Authorization": "Bearer …"}`);
    without a valid one the connection is refused before any operation runs.
    """

    def __init__(self, verifier: TokenVerifier, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.verifier = verifier

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> GatewayContext:
        state = request.app.state
        context = GatewayContext(state.clients, live=state.live)
        context.request = request  # for the URLs a resolver builds (feed links)
        await context.authenticate(self.verifier, request.headers.get("authorization", ""))
        return context

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        # Strawberry answers a request it cannot take (not JSON, a batch, no query) in
        # plain text; here it is a GraphQL error with a code like every other refusal.
        try:
            return await super().run(request, context=context, root_value=root_value)
        except HTTPException as refusal:
            return Response(
                coded_error_body(refusal.reason, "BAD_REQUEST"),
                status_code=refusal.status_code,
                media_type="application/json",
            )

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        # A syntax error is raised inside the parser cache, outside CodedErrors' reach.
        for error in result.errors or ():
            if not (error.extensions or {}).get("code"):
                error.extensions = {**(error.extensions or {}), "code": _uncoded(error.message)}
        return await super().process_result(request, result)

    async def on_ws_connect(self, context: GatewayContext) -> None:
        params = getattr(context, "connection_params", None) or {}
        authorization = params.get("Authorization") or params.get("authorization")
        if isinstance(authorization, str) and authorization:
            await context.authenticate(self.verifier, authorization)
        if context.principal is None:
            raise ConnectionRejectionError({"code": "UNAUTHENTICATED"})


class NamedRoute(Route):
    """A plain route that puts itself in the scope as FastAPI's own routes do: the request
    metrics (shared/metrics.py) label a request by its route's path."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child_scope = super().matches(scope)
        if match is not Match.NONE:
            child_scope["route"] = self
        return match, child_scope


def _uncoded(message: str) -> str:
    if "more than" in message and "tokens" in message:  # MaxTokensLimiter's refusal
        return "QUERY_TOO_LARGE"
    return "GRAPHQL_PARSE_FAILED" if message.startswith("Syntax Error") else "BAD_REQUEST"


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    configure_tracing("gateway", settings)
    verifier = TokenVerifier(settings)
    urls = {
        "desks": settings.desks_url,
        "products": settings.products_url,
        "lessons": settings.lessons_url,
        "partnerships": settings.partnerships_url,
        "notifications": settings.notifications_url,
        "insights": settings.insights_url,
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

    # FastAPI's own OpenTelemetry (a span per request, once a tracer provider is set) is
    # off: requests are traced as in every service (shared/telemetry.trace_requests).
    app = FastAPI(
        title="OneDoor gateway",
        version="1.0.0",
        lifespan=lifespan,
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    graphql = GatewayGraphQL(verifier, schema=build_schema(settings))
    app.router.routes += [NamedRoute("/graphql", graphql), WebSocketRoute("/graphql", graphql)]
    app.include_router(feeds_router)
    app.include_router(exports_router)
    app.include_router(attachments_router)
    app.state.token_verifier = verifier  # the exports' bearer check (shared.auth)
    app.state.settings = settings  # the attachments' upload limits
    include_auth(app, settings)
    mount_portal(app, settings.portal_dist_dir)

    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": "gateway"}

    @app.get("/readyz", tags=["health"])
    async def readyz(request: Request) -> JSONResponse:
        """This pod's own health only: a service (or the broker) being down must not take
        every gateway pod out of rotation. Services that are down are named in `degraded`."""
        clients: ServiceClients = request.app.state.clients
        live: LiveEvents = request.app.state.live
        names = list(clients.by_name)
        answers = await asyncio.gather(
            *(_ready_within(clients.by_name[name].ready(), READY_CHECK_TIMEOUT_S) for name in names)
        )
        services = dict(zip(names, answers, strict=True))
        body = {
            "status": "ready" if live.healthy else "not ready",
            "live_events": live.healthy,
            "services": services,
            "degraded": sorted(name for name, ready in services.items() if not ready),
        }
        return JSONResponse(body, status_code=200 if live.healthy else 503)

    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        larger_for=[(UPLOAD_ROUTE, settings.max_upload_bytes)],
    )
    origins = [origin.strip() for origin in settings.cors_origins.split(",") if origin.strip()]
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["authorization", "content-type", "idempotency-key"],
            max_age=600,
        )
    observe(app, "gateway")
    trace_requests(app, settings)
    return app
