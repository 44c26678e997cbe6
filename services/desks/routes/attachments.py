"""Uploaded attachments: upload a file to a request, download it, and the scanner's verdict.

The upload's body is the file itself (its `Content-Type` the declared type, `name` and
`internal` in the query; the gateway turns a browser's multipart form into this). The
caller's right to the request is checked before a byte is read; the body is streamed to
a staging file (shared/storage.stage), checked (size, type, content), scanned, stored,
and only then recorded, in one transaction with its timeline entry and event. A file is
served only to those who see its request, only once the scanner found it clean.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Request, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from sqlalchemy import select
from sqlmodel import col

from contracts.events import RequestAttachmentAdded
from contracts.http.desks.responses import AttachmentPublic
from services.desks.attachments import (
    BLOB_NAMESPACE,
    BlobStoreDep,
    ScanStatus,
    VirusScannerDep,
    allowed_media_type,
    attachment_visibility,
    check_content,
    content_disposition,
    safe_file_name,
)
from services.desks.models import Attachment, ServiceRequest
from services.desks.settings import SettingsDep
from services.desks.store import add_timeline, visibility, visible_request
from services.desks.views import attachment_public
from shared.auth import CurrentPrincipal, Principal, Role
from shared.commands import CommandsDep, UnitOfWork
from shared.db import AsyncSession
from shared.errors import DomainError
from shared.service import SessionDep
from shared.storage import BlobMissing, new_blob_key, stage

router = APIRouter(tags=["attachments"])

UPLOADERS = (Role.client, Role.desk_officer, Role.admin)


class ScanVerdictBody(BaseModel):
    verdict: Literal["clean", "infected"]


def announce_attachment(work: UnitOfWork, request: ServiceRequest, attachment: Attachment) -> None:
    """A document the client may see: its timeline entry and RequestAttachmentAdded."""
    event = RequestAttachmentAdded(
        request_id=request.id,
        attachment_id=attachment.id,
        client_code=request.client_code,
        desk_code=request.desk_code,
        name=attachment.name,
        media_type=attachment.media_type,
        size_bytes=attachment.size_bytes,
        uploaded=attachment.storage_key is not None,
        sha256=attachment.sha256,
        added_by=attachment.added_by,
        added_at=attachment.added_at,
    )
    add_timeline(
        work.session,
        request.id,
        at=work.now,
        event_type=event.type,
        actor=attachment.added_by,
        summary=f"attached {attachment.name} ({attachment.media_type})",
    )
    work.publish(event)


@router.post(
    "/requests/{request_id}/attachments/upload",
    status_code=status.HTTP_201_CREATED,
    response_model=AttachmentPublic,
)
async def upload_attachment(
    request_id: uuid.UUID,
    request: Request,
    principal: CurrentPrincipal,
    session: SessionDep,
    commands: CommandsDep,
    settings: SettingsDep,
    store: BlobStoreDep,
    scanner: VirusScannerDep,
    name: Annotated[str, Query(min_length=1, max_length=300)],
    content_type: Annotated[str, Header(max_length=200)],
    internal: bool = False,
    content_length: Annotated[int | None, Header(ge=0)] = None,
) -> AttachmentPublic:
    """Upload a file to a request (its body is the file). Appends, like a comment: no
    version."""
    principal.require(*UPLOADERS)
    if internal and principal.role is Role.client:
        raise DomainError("FORBIDDEN", "a client's documents are never internal")
    file_name = safe_file_name(name)
    async with session.begin():
        await visible_request(session, principal, str(request_id))
    media_type = allowed_media_type(content_type, settings.attachment_media_types)
    if content_length is not None and content_length > settings.attachment_max_bytes:
        raise _too_large(settings.attachment_max_bytes)
    staged = await stage(
        request.stream(), settings.attachment_staging_dir, settings.attachment_max_bytes
    )
    try:
        check_content(media_type, staged.head)
        verdict = await scanner.scan(staged, media_type)
        if verdict is ScanStatus.infected:
            raise DomainError("ATTACHMENT_INFECTED", "the virus scanner refused the file")
        key = new_blob_key(BLOB_NAMESPACE)
        await store.put(key, staged, media_type)
    finally:
        staged.discard()
    attachment_id = str(uuid.uuid4())
    try:
        async with commands.begin() as work:
            service_request = await visible_request(work.session, principal, str(request_id))
            attachment = Attachment(
                id=attachment_id,
                request_id=service_request.id,
                name=file_name,
                media_type=media_type,
                size_bytes=staged.size,
                url=f"/attachments/{attachment_id}",
                added_by=principal.actor,
                added_at=work.now,
                storage_key=key,
                sha256=staged.sha256,
                scan_status=verdict.value,
                internal=internal,
            )
            work.session.add(attachment)
            if verdict is ScanStatus.clean and not internal:
                announce_attachment(work, service_request, attachment)
            return attachment_public(attachment)
    except BaseException:
        await store.delete(key)  # recorded nowhere: no blob may stay behind
        raise


def _too_large(max_bytes: int) -> DomainError:
    return DomainError(
        "ATTACHMENT_TOO_LARGE",
        f"the file is larger than the limit of {max_bytes} bytes",
        max_bytes=max_bytes,
    )


async def _visible_upload(
    session: AsyncSession, principal: Principal, attachment_id: uuid.UUID
) -> tuple[Attachment, ServiceRequest]:
    """An uploaded attachment of a request the caller sees, or ATTACHMENT_NOT_FOUND (the
    same for one of another tenant's requests, so ids cannot be probed)."""
    query = (
        select(Attachment, ServiceRequest)
        .join(ServiceRequest, col(ServiceRequest.id) == col(Attachment.request_id))
        .where(
            col(Attachment.id) == str(attachment_id),
            col(Attachment.storage_key).is_not(None),
            visibility(principal),
            attachment_visibility(principal),
        )
    )
    found = (await session.execute(query)).first()
    if found is None:
        raise DomainError("ATTACHMENT_NOT_FOUND", f"no attachment {attachment_id}")
    return found[0], found[1]


@router.get("/attachments/{attachment_id}/content", response_class=StreamingResponse)
async def download_attachment(
    attachment_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep, store: BlobStoreDep
) -> StreamingResponse:
    """The uploaded file, to those who see its request, once the scanner found it clean."""
    async with session.begin():
        attachment, _request = await _visible_upload(session, principal, attachment_id)
    if attachment.scan_status != ScanStatus.clean.value:
        raise DomainError(
            "ATTACHMENT_NOT_SCANNED",
            "the file is served once the virus scanner found it clean",
            scan_status=attachment.scan_status,
        )
    assert attachment.storage_key is not None
    try:
        chunks = await store.read(attachment.storage_key)
    except BlobMissing as error:
        raise DomainError("ATTACHMENT_NOT_FOUND", f"no attachment {attachment_id}") from error
    return StreamingResponse(
        chunks,
        media_type=attachment.media_type,
        headers={
            "Content-Length": str(attachment.size_bytes),
            "Content-Disposition": content_disposition(attachment.name),
            "X-Content-Type-Options": "nosniff",
            # Opened in a tab anyway, the file runs no script and loads nothing.
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, no-store",
            "ETag": f'"{attachment.sha256}"',
        },
    )


@router.post("/attachments/{attachment_id}/scan-verdict", response_model=AttachmentPublic)
async def decide_scan(
    attachment_id: uuid.UUID,
    body: ScanVerdictBody,
    principal: CurrentPrincipal,
    commands: CommandsDep,
    store: BlobStoreDep,
) -> AttachmentPublic:
    """The verdict of a scanner that answered `pending` (its callback, with an admin's
    token): clean makes the file visible and announces it; infected removes the file."""
    principal.require(Role.admin)
    async with commands.begin() as work:
        attachment, request = await _visible_upload(work.session, principal, attachment_id)
        if attachment.scan_status != ScanStatus.pending.value:
            raise DomainError(
                "CONFLICT",
                f"the scan of this file was already decided: {attachment.scan_status}",
                scan_status=attachment.scan_status,
            )
        attachment.scan_status = body.verdict
        if body.verdict == ScanStatus.clean.value and not attachment.internal:
            announce_attachment(work, request, attachment)
        answer = attachment_public(attachment)
    if body.verdict == ScanStatus.infected.value and attachment.storage_key:
        await store.delete(attachment.storage_key)
    return answer
