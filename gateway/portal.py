"""The web portal: the built single-page application (portal/dist), served by the gateway.

Hashed assets (`/assets/*`, names carry a content hash) are cached for a year;
`index.html` is never cached, so a new build reaches browsers on their next load.
Any other GET that accepts HTML and matched no route is a client-side route of
the SPA and gets `index.html`: a 404 handler rather than a catch-all route, so no
route added to the gateway later can be shadowed by the portal.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.types import Scope

IMMUTABLE = "public, max-age=31536000, immutable"
NO_CACHE = "no-cache"


class HashedAssets(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = IMMUTABLE
        return response


def wants_spa(request: Request) -> bool:
    """A browser navigating to a client-side route (not an API call, not a missing file)."""
    last_segment = request.url.path.rsplit("/", 1)[-1]
    return (
        request.method in ("GET", "HEAD")
        and "." not in last_segment
        and "text/html" in request.headers.get("accept", "")
    )


def mount_portal(app: FastAPI, dist_dir: Path) -> None:
    """Serve the portal when it has been built (`make run` builds it); else stay an API."""
    index = dist_dir / "index.html"
    if not index.is_file():
        return
    app.mount("/assets", HashedAssets(directory=dist_dir / "assets"), name="portal-assets")

    async def home() -> FileResponse:
        # The door itself answers whoever knocks (curl, a probe), not only browsers.
        return FileResponse(index, headers={"Cache-Control": NO_CACHE})

    app.add_api_route("/", home, methods=["GET", "HEAD"], include_in_schema=False)

    async def not_found(request: Request, error: Exception) -> Response:
        if wants_spa(request):
            return FileResponse(index, headers={"Cache-Control": NO_CACHE})
        detail = error.detail if isinstance(error, HTTPException) else "Not Found"
        return JSONResponse({"detail": detail}, status_code=404)

    app.add_exception_handler(404, not_found)
