"""Uploaded attachments: which files a request accepts, the virus-scan hook, and where
the files are kept (shared/storage.py: one BlobStore, files under var/ or an S3 bucket).

An upload is accepted when its declared media type is allowed (ONEDOOR_ATTACHMENT_MEDIA_TYPES)
and its content's magic bytes say the same (so a renamed executable is not a "PDF"),
within ONEDOOR_ATTACHMENT_MAX_BYTES. The scanner (ONEDOOR_ATTACHMENT_SCANNER, a
`module:factory` path) sees every accepted file before anybody can: `clean` makes it
visible at once, `infected` refuses it, `pending` keeps it stored but never served until
a verdict arrives (POST /attachments/{id}/scan-verdict, the scanner's callback).
"""

from __future__ import annotations

import codecs
import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from enum import StrEnum
from typing import Annotated, Protocol
from urllib.parse import quote

import filetype
from fastapi import Depends, FastAPI, Request
from sqlalchemy import ColumnElement, and_, or_, true
from sqlmodel import col

from services.desks.models import Attachment
from services.desks.settings import DesksSettings
from shared.auth import Principal
from shared.errors import DomainError
from shared.sharing import INTERNAL_READERS, viewer_of
from shared.storage import BlobStore, FileBlobStore, S3BlobStore, StagedFile

# Types without a magic number: the content must be text (UTF-8, no NUL) and no known
# binary format.
TEXT_MEDIA_TYPES = frozenset({"text/plain", "text/csv"})
BLOB_NAMESPACE = "attachments"


class ScanStatus(StrEnum):
    clean = "clean"
    pending = "pending"
    infected = "infected"


class VirusScanner(Protocol):
    """The hook point for a virus scanner: it sees the staged file before it is stored."""

    async def scan(self, staged: StagedFile, media_type: str) -> ScanStatus: ...


class AcceptEveryFile:
    """The default scanner: no scanner is deployed, every file is clean."""

    async def scan(self, staged: StagedFile, media_type: str) -> ScanStatus:
        return ScanStatus.clean


def attachment_visibility(principal: Principal) -> ColumnElement[bool]:
    """Which attachments of a visible request the caller may see, as a SQL condition: a
    desk's internal documents and files the scanner refused only the sharing policy's
    INTERNAL_READERS (the desk, HQ)."""
    if viewer_of(principal).audience in INTERNAL_READERS:
        return true()
    return and_(
        col(Attachment.internal).is_(False),
        or_(
            col(Attachment.scan_status).is_(None),
            col(Attachment.scan_status) != ScanStatus.infected.value,
        ),
    )


def base_media_type(declared: str) -> str:
    """`text/plain; charset=utf-8` → `text/plain`."""
    return declared.split(";", 1)[0].strip().lower()


def allowed_media_type(declared: str, allowed: list[str]) -> str:
    """The declared type, if files of that type may be attached (else 415)."""
    media_type = base_media_type(declared)
    if media_type not in allowed:
        raise DomainError(
            "UNSUPPORTED_MEDIA_TYPE",
            f"files of type {media_type or 'unknown'} cannot be attached",
            allowed=allowed,
        )
    return media_type


def check_content(media_type: str, head: bytes) -> None:
    """The content's first bytes must say what the declared type says (else 415)."""
    detected = filetype.guess_mime(head) if head else None
    if media_type in TEXT_MEDIA_TYPES:
        agrees = detected is None and _is_text(head)
    else:
        agrees = detected == media_type
    if not agrees:
        raise DomainError(
            "UNSUPPORTED_MEDIA_TYPE",
            f"the file's content is not {media_type}",
            detected=detected,
        )


def safe_file_name(name: str) -> str:
    """The name a file is shown and served with: its last path segment, without control
    characters (a client's path never reaches the file store: blobs have generated keys)."""
    last = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(c for c in last if c.isprintable()).strip()
    if cleaned in ("", ".", ".."):
        raise DomainError("BAD_USER_INPUT", "the file needs a name")
    return cleaned


def content_disposition(name: str) -> str:
    """`attachment` with the name twice: an ASCII fallback (quotes and backslashes
    replaced) and the exact name percent-encoded (RFC 6266 / RFC 8187)."""
    fallback = "".join(c if c.isascii() and c not in '"\\' else "_" for c in name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def _is_text(head: bytes) -> bool:
    """UTF-8 without NUL; `head` may end inside a character, hence the incremental decoder."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return b"\x00" not in head


def blob_store_of(settings: DesksSettings) -> BlobStore:
    if settings.attachment_storage == "s3":
        assert settings.s3_endpoint_url and settings.s3_access_key_id
        assert settings.s3_secret_access_key
        return S3BlobStore(
            settings.s3_endpoint_url,
            settings.s3_bucket,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=settings.s3_secret_access_key.get_secret_value(),
            prefix=settings.s3_prefix,
        )
    return FileBlobStore(settings.attachment_root)


def scanner_of(path: str) -> VirusScanner:
    """The scanner a `module:factory` path names (called with no arguments)."""
    module, _, name = path.partition(":")
    factory = getattr(importlib.import_module(module), name)
    scanner: VirusScanner = factory()
    return scanner


@asynccontextmanager
async def attachment_storage(app: FastAPI, settings: DesksSettings) -> AsyncIterator[None]:
    """The blob store and the scanner for the app's lifetime (a ServiceDefinition resource)."""
    store = blob_store_of(settings)
    app.state.blob_store = store
    app.state.virus_scanner = scanner_of(settings.attachment_scanner)
    try:
        yield
    finally:
        await store.aclose()


# async: FastAPI runs a plain `def` dependency in a worker thread (shared/service.py).
async def _blob_store(request: Request) -> BlobStore:
    store: BlobStore = request.app.state.blob_store
    return store


async def _virus_scanner(request: Request) -> VirusScanner:
    scanner: VirusScanner = request.app.state.virus_scanner
    return scanner


BlobStoreDep = Annotated[BlobStore, Depends(_blob_store)]
VirusScannerDep = Annotated[VirusScanner, Depends(_virus_scanner)]
