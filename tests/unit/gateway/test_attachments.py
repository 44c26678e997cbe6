"""The gateway's streaming multipart reader: the file part's name, type and bytes, read
while the body arrives in pieces of any size."""

from __future__ import annotations

import pytest
from starlette.requests import Request
from starlette.types import Message

from gateway.attachments import FilePart

BOUNDARY = b"----onedoor-boundary"


def form(*parts: tuple[str, str | None, str | None, bytes]) -> bytes:
    body = b""
    for name, filename, media_type, content in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        body += b"--" + BOUNDARY + b"\r\nContent-Disposition: " + disposition.encode() + b"\r\n"
        if media_type:
            body += f"Content-Type: {media_type}\r\n".encode()
        body += b"\r\n" + content + b"\r\n"
    return body + b"--" + BOUNDARY + b"--\r\n"


def request_of(body: bytes, piece: int) -> Request:
    pieces = [body[start : start + piece] for start in range(0, len(body), piece)]

    async def receive() -> Message:
        chunk = pieces.pop(0) if pieces else b""
        return {"type": "http.request", "body": chunk, "more_body": bool(pieces)}

    return Request({"type": "http", "method": "POST", "headers": []}, receive)


@pytest.mark.parametrize("piece", [1, 7, 64, 100_000])
async def test_the_file_part_streams_whatever_the_pieces(piece: int) -> None:
    content = bytes(range(256)) * 40 + b"\r\n--not-the-boundary\r\n"
    body = form(
        ("note", None, None, b"a field first"),
        ("file", "Plan électoral.pdf", "application/pdf", content),
        ("file", "second.txt", "text/plain", b"ignored"),
    )
    part = FilePart(request_of(body, piece), BOUNDARY)
    assert await part.open()
    assert (part.filename, part.media_type) == ("Plan électoral.pdf", "application/pdf")
    assert b"".join([chunk async for chunk in part.content()]) == content


async def test_a_form_without_a_file_part_has_none() -> None:
    part = FilePart(request_of(form(("note", None, None, b"no file")), 16), BOUNDARY)
    assert not await part.open()
