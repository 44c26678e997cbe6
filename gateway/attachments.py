"""Files through the door: upload to a request and download an attachment.

- `POST /requests/{request_id}/attachments` (`multipart/form-data`, one `file` part;
  `?internal=true` for a desk's own document): the form is parsed as it arrives
  (python-multipart's streaming parser) and the file part's bytes are streamed on to the
  desks service's upload route as they come, so the gateway never holds a file.
- `GET /attachments/{attachment_id}`: the file, streamed back from the desks service,
  which alone decides who may see it (the request's tenancy, internal documents, the
  scanner's verdict).

The caller's token is checked and the ids parsed as UUIDs before anything reaches a
service URL; a service's refusal keeps its status and its coded detail.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.background import BackgroundTask

from gateway.clients import ServiceClients, ServiceError, service_path
from gateway.exports import passed_refusal, refusal
from gateway.settings import GatewaySettings
from shared.auth import TokenVerifier
from shared.errors import DomainError

router = APIRouter(tags=["attachments"])

# What the door passes on of the service's download answer.
DOWNLOAD_HEADERS = ("content-type", "content-length", "content-disposition", "etag")
FILE_FIELD = b"file"
# The upload route's paths, for the body-size limit (gateway/limits.py) to let files by.
UPLOAD_ROUTE = re.compile(r"/requests/[^/]+/attachments")


async def _unauthenticated(request: Request) -> JSONResponse | None:
    verifier: TokenVerifier = request.app.state.token_verifier
    try:
        await verifier.verify_header(request.headers.get("authorization", ""))
    except DomainError as error:
        return JSONResponse(error.body(), status_code=401, headers={"WWW-Authenticate": "Bearer"})
    return None


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


@dataclass
class FilePart:
    """The `file` part of a multipart form read from a request as it arrives: its headers
    first (`open`), then its bytes (`content`) while the rest of the body is still coming."""

    request: Request
    boundary: bytes
    filename: str = ""
    media_type: str = "application/octet-stream"
    _chunks: list[bytes] = field(default_factory=list)
    _header: tuple[bytes, bytes] = (b"", b"")
    _headers: dict[bytes, bytes] = field(default_factory=dict)
    _in_file: bool = False
    _file_seen: bool = False
    _file_done: bool = False

    def __post_init__(self) -> None:
        self._body = self.request.stream().__aiter__()
        self._parser = MultipartParser(
            self.boundary,
            {
                "on_part_begin": self._part_begins,
                "on_header_field": lambda data, start, end: self._header_part(0, data[start:end]),
                "on_header_value": lambda data, start, end: self._header_part(1, data[start:end]),
                "on_header_end": self._header_ends,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._part_data,
                "on_part_end": self._part_ends,
            },
        )

    def _part_begins(self) -> None:
        self._headers, self._header = {}, (b"", b"")

    def _header_part(self, index: int, data: bytes) -> None:
        name, value = self._header
        self._header = (name + data, value) if index == 0 else (name, value + data)

    def _header_ends(self) -> None:
        name, value = self._header
        self._headers[name.lower()] = value
        self._header = (b"", b"")

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        if options.get(b"name") == FILE_FIELD and not self._file_seen:
            self._in_file = self._file_seen = True
            self.filename = options.get(b"filename", b"").decode("utf-8", "replace")
            declared = self._headers.get(b"content-type", b"application/octet-stream")
            self.media_type = declared.decode("latin-1")

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._in_file:
            self._chunks.append(data[start:end])

    def _part_ends(self) -> None:
        if self._in_file:
            self._in_file, self._file_done = False, True

    async def _feed(self) -> bool:
        """Parse the next piece of the body; False once the body has ended."""
        try:
            chunk = await self._body.__anext__()
        except StopAsyncIteration:
            return False
        self._parser.write(chunk)
        return True

    async def open(self) -> bool:
        """Read until the file part's headers are parsed; False if the form has none."""
        while not self._file_seen:
            if not await self._feed():
                return False
        return True

    async def content(self) -> AsyncIterator[bytes]:
        while True:
            while self._chunks:
                yield self._chunks.pop(0)
            if self._file_done or not await self._feed():
                return


@router.post("/requests/{request_id}/attachments", response_class=JSONResponse)
async def upload_attachment(request_id: str, request: Request) -> Response:
    if refused := await _unauthenticated(request):
        return refused
    request_uuid = _uuid(request_id)
    if request_uuid is None:
        return refusal(404, "REQUEST_NOT_FOUND", f"no request {request_id}")
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        return refusal(415, "UNSUPPORTED_MEDIA_TYPE", "send the file as multipart/form-data")
    part = FilePart(request, boundary)
    try:
        if not await part.open():
            return refusal(422, "BAD_USER_INPUT", "the form has no `file` part")
    except ValueError as error:  # python-multipart's parse errors
        return refusal(422, "BAD_USER_INPUT", f"the form cannot be read: {error}")
    settings: GatewaySettings = request.app.state.settings
    clients: ServiceClients = request.app.state.clients
    params = {
        "name": part.filename or "file",
        "internal": request.query_params.get("internal", "false"),
    }
    try:
        upstream = await clients.desks.open_stream(
            service_path("requests", request_uuid, "attachments", "upload"),
            request.headers.get("authorization", ""),
            params=params,
            method="POST",
            content=part.content(),
            headers={"Content-Type": part.media_type},
            timeout_s=settings.upload_timeout_s,
        )
    except ServiceError as error:
        return refusal(503, error.code, error.message)
    return await passed_refusal(upstream)


@router.get("/attachments/{attachment_id}", response_class=StreamingResponse)
async def download_attachment(attachment_id: str, request: Request) -> Response:
    if refused := await _unauthenticated(request):
        return refused
    attachment_uuid = _uuid(attachment_id)
    if attachment_uuid is None:
        return refusal(404, "ATTACHMENT_NOT_FOUND", f"no attachment {attachment_id}")
    clients: ServiceClients = request.app.state.clients
    try:
        upstream = await clients.desks.open_stream(
            service_path("attachments", attachment_uuid, "content"),
            request.headers.get("authorization", ""),
        )
    except ServiceError as error:
        return refusal(503, error.code, error.message)
    if upstream.status_code != 200:
        return await passed_refusal(upstream)
    headers = {
        name: upstream.headers[name] for name in DOWNLOAD_HEADERS if name in upstream.headers
    }
    return StreamingResponse(
        upstream.aiter_raw(),
        headers={
            **headers,
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, no-store",
        },
        background=BackgroundTask(upstream.aclose),
    )
