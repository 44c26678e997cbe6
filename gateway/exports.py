"""CSV downloads through the door: `GET /exports/{service}/{name}.csv?<filters>`.

The gateway checks the caller's token, the service against an allowlist and the
export's name against a strict pattern (before either reaches a URL), forwards the
caller's token and query to the service's `GET /exports/{name}.csv`, and streams the
answer back as it arrives: the gateway never holds an export in memory. What an
export contains (filters, the caller's visibility) is the service's to decide, as for
every read. A refusal of the service keeps its status and detail.
"""

from __future__ import annotations

import re

import httpx
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.background import BackgroundTask

from gateway.clients import ServiceClients, ServiceError, service_path
from shared.auth import TokenVerifier
from shared.errors import DomainError

router = APIRouter(tags=["exports"])

# The services that serve exports (shared/exports.py).
EXPORTING_SERVICES = frozenset({"desks", "products", "insights"})
EXPORT_NAME = re.compile(r"[a-z][a-z0-9-]{0,62}")
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
# A refusal's body is a small JSON detail; anything longer is not one.
MAX_ERROR_BYTES = 64 * 1024


@router.get("/exports/{service}/{name}.csv", response_class=StreamingResponse)
async def export_csv(service: str, name: str, request: Request) -> Response:
    authorization = request.headers.get("authorization", "")
    verifier: TokenVerifier = request.app.state.token_verifier
    try:
        await verifier.verify_header(authorization)
    except DomainError as error:
        return JSONResponse(error.body(), status_code=401, headers={"WWW-Authenticate": "Bearer"})
    if service not in EXPORTING_SERVICES or not EXPORT_NAME.fullmatch(name):
        return refusal(404, "NOT_FOUND", f"no export {service}/{name}.csv")
    clients: ServiceClients = request.app.state.clients
    try:
        upstream = await clients.by_name[service].open_stream(
            service_path("exports", f"{name}.csv"),
            authorization,
            params=list(request.query_params.multi_items()),
        )
    except ServiceError as error:
        return refusal(503, error.code, error.message)
    if upstream.status_code != 200:
        return await passed_refusal(upstream)
    return StreamingResponse(
        upstream.aiter_raw(),
        media_type=CSV_MEDIA_TYPE,
        headers={
            "Content-Disposition": upstream.headers.get(
                "content-disposition", f'attachment; filename="{name}.csv"'
            )
        },
        background=BackgroundTask(upstream.aclose),
    )


async def passed_refusal(upstream: httpx.Response) -> Response:
    """The service's refusal as it gave it (its status and JSON detail), bounded in size."""
    body = b""
    try:
        async for part in upstream.aiter_raw():
            body += part
            if len(body) > MAX_ERROR_BYTES:
                return refusal(502, "BAD_SERVICE_RESPONSE", "the service answered oddly")
    finally:
        await upstream.aclose()
    return Response(body, status_code=upstream.status_code, media_type="application/json")


def refusal(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"detail": {"code": code, "message": message}}, status_code=status)
