"""Where uploaded files live: one interface, `BlobStore`, and its two implementations.

- `FileBlobStore`: files under a directory (`var/attachments` in the embedded mode).
- `S3BlobStore`: an S3-compatible object store (production): path-style requests over
  one pooled httpx client, signed with AWS Signature V4 (aws-request-signer).

A blob is named by a key the platform generates (`new_blob_key`), never by anything a
client sent: `checked_key` refuses every other shape before a key reaches a path or a
URL. Keys are generated ids rather than content hashes so that each attachment owns its
blob (deleting one never touches another's) and one tenant cannot learn, by a
deduplicated upload, that another holds the same file; the content's SHA-256 is kept
beside it instead, and sent to S3 as the signed payload hash (AWS refuses a body that
does not match it; SeaweedFS, the tests' store, does not check it).

An upload is first staged (`stage`): streamed to a temporary file while it is counted
against its limit and hashed, so neither the service nor the store holds it in memory.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import quote

import httpx
from aws_request_signer import AwsRequestSigner

from shared.errors import DomainError

CHUNK_BYTES = 64 * 1024
# What `stage` keeps of a file's beginning: enough for every magic-byte signature.
HEAD_BYTES = 8 * 1024
# `<namespace>/<32 hex digits>`: the only keys a store accepts.
BLOB_KEY = re.compile(r"[a-z][a-z0-9-]{0,30}/[0-9a-f]{32}")


def new_blob_key(namespace: str) -> str:
    return checked_key(f"{namespace}/{uuid.uuid4().hex}")


def checked_key(key: str) -> str:
    if not BLOB_KEY.fullmatch(key):
        raise ValueError(f"not a blob key: {key!r}")
    return key


class BlobMissing(Exception):
    """The store has no blob under the key (deleted, or never stored)."""


def storage_unavailable(error: Exception) -> DomainError:
    return DomainError(
        "STORAGE_UNAVAILABLE", f"the file store is unavailable ({type(error).__name__})"
    )


@dataclass(frozen=True)
class StagedFile:
    """An upload received whole into a temporary file: its size, hash and first bytes."""

    path: Path
    size: int
    sha256: str
    head: bytes

    def discard(self) -> None:
        _remove(self.path)


async def stage(chunks: AsyncIterable[bytes], directory: Path, max_bytes: int) -> StagedFile:
    """Write `chunks` to a temporary file in `directory`, refusing more than `max_bytes`
    (ATTACHMENT_TOO_LARGE, with nothing left behind)."""
    descriptor, path = _staging_file(directory)
    digest, size, head = hashlib.sha256(), 0, b""
    try:
        with os.fdopen(descriptor, "wb") as file:
            async for chunk in chunks:
                size += len(chunk)
                if size > max_bytes:
                    raise DomainError(
                        "ATTACHMENT_TOO_LARGE",
                        f"the file is larger than the limit of {max_bytes} bytes",
                        max_bytes=max_bytes,
                    )
                digest.update(chunk)
                if len(head) < HEAD_BYTES:
                    head += chunk[: HEAD_BYTES - len(head)]
                await asyncio.to_thread(file.write, chunk)
    except BaseException:
        _remove(path)
        raise
    return StagedFile(path=path, size=size, sha256=digest.hexdigest(), head=head)


def _staging_file(directory: Path) -> tuple[int, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(dir=directory, prefix="upload-")
    return descriptor, Path(name)


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)


async def read_file(path: Path) -> AsyncIterator[bytes]:
    """A file's bytes chunk by chunk, read off the event loop."""
    with path.open("rb") as file:
        while chunk := await asyncio.to_thread(file.read, CHUNK_BYTES):
            yield chunk


class BlobStore(Protocol):
    """Where blobs live. `put` takes a staged file (the store may move it away);
    `read` raises BlobMissing before its first chunk when there is no such blob."""

    async def put(self, key: str, staged: StagedFile, media_type: str) -> None: ...

    async def read(self, key: str) -> AsyncIterator[bytes]: ...

    async def delete(self, key: str) -> None: ...

    async def aclose(self) -> None: ...


class FileBlobStore:
    """Blobs as files under `root`, one folder per namespace."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / checked_key(key)

    async def put(self, key: str, staged: StagedFile, media_type: str) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        # A rename when the staging folder is on the same file system (both under var/).
        await asyncio.to_thread(shutil.move, staged.path, target)

    async def read(self, key: str) -> AsyncIterator[bytes]:
        path = self._path(key)
        if not path.is_file():
            raise BlobMissing(key)
        return read_file(path)

    async def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    async def aclose(self) -> None:
        return None


class S3BlobStore:
    """Blobs as objects of one bucket of an S3-compatible store, path-style
    (`<endpoint>/<bucket>/<prefix><key>`), which AWS, Ceph, SeaweedFS and MinIO accept."""

    def __init__(
        self,
        endpoint_url: str,
        bucket: str,
        *,
        region: str,
        access_key_id: str,
        secret_access_key: str,
        prefix: str = "",
        timeout_s: float = 60.0,
    ) -> None:
        self._base = f"{endpoint_url.rstrip('/')}/{quote(bucket, safe='')}"
        self._prefix = prefix
        self._signer = AwsRequestSigner(region, access_key_id, secret_access_key, "s3")
        self._http = httpx.AsyncClient(timeout=timeout_s)

    def _url(self, key: str | None) -> str:
        if key is None:
            return self._base
        return f"{self._base}/{quote(self._prefix + checked_key(key))}"

    def _signed(
        self,
        method: str,
        url: str,
        headers: dict[str, str] | None = None,
        sha256: str | None = None,
    ) -> dict[str, str]:
        headers = headers or {}
        signature: dict[str, str] = self._signer.sign_with_headers(method, url, headers, sha256)
        return {**headers, **signature}

    async def _send(self, request: httpx.Request, *, stream: bool = False) -> httpx.Response:
        try:
            return await self._http.send(request, stream=stream)
        except httpx.HTTPError as error:
            raise storage_unavailable(error) from error

    async def create_bucket(self) -> None:
        """Create the bucket unless it exists (tests, a first deployment)."""
        url = self._url(None)
        response = await self._send(
            self._http.build_request(
                "PUT", url, headers=self._signed("PUT", url, sha256=hashlib.sha256(b"").hexdigest())
            )
        )
        if response.status_code not in (200, 409):
            raise DomainError(
                "STORAGE_UNAVAILABLE", f"cannot create the bucket ({response.status_code})"
            )

    async def put(self, key: str, staged: StagedFile, media_type: str) -> None:
        url = self._url(key)
        headers = {"content-type": media_type, "content-length": str(staged.size)}
        request = self._http.build_request(
            "PUT",
            url,
            headers=self._signed("PUT", url, headers, staged.sha256),
            content=read_file(staged.path),
        )
        response = await self._send(request)
        if response.status_code != 200:
            raise DomainError(
                "STORAGE_UNAVAILABLE", f"the file store refused the file ({response.status_code})"
            )
        staged.discard()

    async def read(self, key: str) -> AsyncIterator[bytes]:
        url = self._url(key)
        response = await self._send(
            self._http.build_request("GET", url, headers=self._signed("GET", url)), stream=True
        )
        if response.status_code != 200:
            await response.aclose()
            if response.status_code == 404:
                raise BlobMissing(key)
            raise DomainError(
                "STORAGE_UNAVAILABLE", f"the file store answered {response.status_code}"
            )
        return _body_then_close(response)

    async def delete(self, key: str) -> None:
        url = self._url(key)
        response = await self._send(
            self._http.build_request("DELETE", url, headers=self._signed("DELETE", url))
        )
        if response.status_code not in (200, 204, 404):
            raise DomainError(
                "STORAGE_UNAVAILABLE", f"the file store answered {response.status_code}"
            )

    async def aclose(self) -> None:
        await self._http.aclose()


async def _body_then_close(response: httpx.Response) -> AsyncIterator[bytes]:
    try:
        async for chunk in response.aiter_bytes(CHUNK_BYTES):
            yield chunk
    finally:
        await response.aclose()
