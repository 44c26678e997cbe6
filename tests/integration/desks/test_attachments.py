"""Uploaded attachments on the real broker and database: served only to those who see the
request (internal ones only to the desk), limits on size and type (declared and content),
the virus-scan hook (a pending file is never served), and the S3 store (SeaweedFS)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aws_request_signer import AwsRequestSigner

from contracts.events import RequestAttachmentAdded
from services.desks.attachments import ScanStatus
from shared.settings import PlatformSettings
from shared.storage import StagedFile
from shared.testing.databases import Databases
from shared.testing.s3 import S3Server
from tests.integration.desks.conftest import DesksUnderTest, desks_service

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489")
EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64
# The antivirus industry's harmless test file; the test scanner below refuses it.
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
MAX_BYTES = 4096


class ScanByMarker:
    """A scanner for the hook's tests: EICAR is infected, `HOLD` waits for a verdict."""

    async def scan(self, staged: StagedFile, media_type: str) -> ScanStatus:
        if EICAR in staged.head:
            return ScanStatus.infected
        return ScanStatus.pending if staged.head.startswith(b"HOLD") else ScanStatus.clean


@pytest.fixture
async def uploads(
    platform: PlatformSettings, databases: Databases, tmp_path: Path
) -> AsyncIterator[DesksUnderTest]:
    async with desks_service(
        platform,
        databases,
        attachment_dir=tmp_path / "attachments",
        attachment_max_bytes=MAX_BYTES,
        attachment_scanner=f"{__name__}:ScanByMarker",
    ) as under_test:
        yield under_test


async def upload(
    desks: DesksUnderTest,
    request_id: str,
    content: bytes,
    headers: dict[str, str],
    *,
    name: str = "report.pdf",
    media_type: str = "application/pdf",
    internal: bool = False,
) -> httpx.Response:
    return await desks.http.post(
        f"/requests/{request_id}/attachments/upload",
        params={"name": name, "internal": str(internal).lower()},
        content=content,
        headers={**headers, "Content-Type": media_type},
    )


def listed(response: httpx.Response) -> list[str]:
    return [attachment["name"] for attachment in response.json()]


async def test_an_upload_is_served_only_to_those_who_see_its_request(
    uploads: DesksUnderTest, tmp_path: Path
) -> None:
    desks = uploads
    client, officer = desks.client("MINUSMA"), desks.officer("AFRICA_II")
    rid = (await desks.submit(client))["id"]

    name = 'Rapport "final" été.pdf'
    added = await upload(desks, rid, PDF, client, name=f"../../etc/{name}")
    assert added.status_code == 201, added.text
    attachment = added.json()
    assert attachment["name"] == name  # the last segment only: a path never reaches a file
    assert attachment["uploaded"] and attachment["scan_status"] == "clean"
    assert attachment["size_bytes"] == len(PDF) and attachment["url"] == (
        f"/attachments/{attachment['id']}"
    )
    stored = [path for path in (tmp_path / "attachments").rglob("*") if path.is_file()]
    assert [path.read_bytes() for path in stored] == [PDF]  # staging left nothing behind

    download = await desks.http.get(f"/attachments/{attachment['id']}/content", headers=client)
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-disposition"] == (
        'attachment; filename="Rapport _final_ _t_.pdf"; '
        "filename*=UTF-8''Rapport%20%22final%22%20%C3%A9t%C3%A9.pdf"
    )
    assert (await desks.http.get(download.request.url, headers=officer)).content == PDF

    [event] = await desks.outbox(RequestAttachmentAdded.type)
    assert event["attachment_id"] == attachment["id"] and event["sha256"] == attachment["sha256"]
    assert event["uploaded"] is True and "content" not in event  # metadata, never the bytes
    assert await desks.count_timeline(rid, RequestAttachmentAdded.type) == 1

    # A desk's internal document: the client neither lists nor downloads it.
    note = await upload(desks, rid, b"chase on Friday", officer, name="n.txt", internal=True,
                        media_type="text/plain; charset=utf-8")  # fmt: skip
    assert note.status_code == 201, note.text
    note_url = f"/attachments/{note.json()['id']}/content"
    assert (await desks.http.get(note_url, headers=client)).status_code == 404
    assert (await desks.http.get(note_url, headers=officer)).text == "chase on Friday"
    by_request = {"request_id": rid}
    assert listed(await desks.http.get("/attachments", params=by_request, headers=client)) == [name]
    assert (
        len((await desks.http.get("/attachments", params=by_request, headers=officer)).json()) == 2
    )
    refused = await upload(
        desks, rid, b"x", client, name="x.txt", media_type="text/plain", internal=True
    )
    assert refused.status_code == 403
    assert len(await desks.outbox(RequestAttachmentAdded.type)) == 1  # internal: not published

    # Another tenant: the same not-found as for a missing request or file.
    for stranger in (desks.client("UNMISS"), desks.officer("AFRICA_I")):
        answer = await desks.http.get(f"/attachments/{attachment['id']}/content", headers=stranger)
        assert answer.status_code == 404
        assert answer.json()["detail"]["code"] == "ATTACHMENT_NOT_FOUND"
        answer = await upload(desks, rid, PDF, stranger)
        assert answer.status_code == 404
        assert answer.json()["detail"]["code"] == "REQUEST_NOT_FOUND"
    assert (
        await desks.http.get("/attachments/not-an-id/content", headers=client)
    ).status_code == 422


async def test_limits_refuse_a_file_and_keep_nothing(
    uploads: DesksUnderTest, tmp_path: Path
) -> None:
    desks = uploads
    client = desks.client("MINUSMA")
    rid = (await desks.submit(client))["id"]

    async def refusal(content: bytes, **kwargs: Any) -> tuple[int, str]:
        answer = await upload(desks, rid, content, client, **kwargs)
        return answer.status_code, answer.json()["detail"]["code"]

    assert await refusal(PDF + b"\0" * MAX_BYTES) == (413, "ATTACHMENT_TOO_LARGE")

    async def without_length() -> AsyncIterator[bytes]:  # chunked: counted while read
        for _ in range(3):
            yield PDF * 30

    answer = await desks.http.post(
        f"/requests/{rid}/attachments/upload",
        params={"name": "big.pdf"},
        content=without_length(),
        headers={**client, "Content-Type": "application/pdf"},
    )
    assert (answer.status_code, answer.json()["detail"]["code"]) == (413, "ATTACHMENT_TOO_LARGE")
    assert await refusal(EXECUTABLE, name="tool.exe", media_type="application/x-msdownload") == (
        415, "UNSUPPORTED_MEDIA_TYPE")  # fmt: skip
    assert await refusal(EXECUTABLE, name="report.pdf") == (415, "UNSUPPORTED_MEDIA_TYPE")
    assert await refusal(PNG, name="picture.txt", media_type="text/plain") == (
        415, "UNSUPPORTED_MEDIA_TYPE")  # fmt: skip
    assert await refusal(EICAR, name="eicar.txt", media_type="text/plain") == (
        422, "ATTACHMENT_INFECTED")  # fmt: skip
    assert await refusal(PDF, name="/") == (422, "BAD_USER_INPUT")

    listing = await desks.http.get("/attachments", params={"request_id": rid}, headers=client)
    assert listing.json() == []
    assert not [path for path in (tmp_path / "attachments").rglob("*") if path.is_file()]
    assert await desks.outbox(RequestAttachmentAdded.type) == []

    # A picture is accepted as what it is.
    assert (
        await upload(desks, rid, PNG, client, name="map.png", media_type="image/png")
    ).status_code == 201


async def test_a_file_waiting_for_its_scan_is_not_served(uploads: DesksUnderTest) -> None:
    desks = uploads
    client, admin = desks.client("MINUSMA"), desks.admin()
    rid = (await desks.submit(client))["id"]

    held = await upload(
        desks, rid, b"HOLD these minutes", client, name="m.txt", media_type="text/plain"
    )
    assert held.status_code == 201 and held.json()["scan_status"] == "pending"
    attachment_id = held.json()["id"]
    content = f"/attachments/{attachment_id}/content"
    waiting = await desks.http.get(content, headers=client)
    assert (waiting.status_code, waiting.json()["detail"]["code"]) == (
        409,
        "ATTACHMENT_NOT_SCANNED",
    )
    assert await desks.outbox(RequestAttachmentAdded.type) == []

    verdict = f"/attachments/{attachment_id}/scan-verdict"
    assert (
        await desks.http.post(verdict, json={"verdict": "clean"}, headers=client)
    ).status_code == 403
    decided = await desks.http.post(verdict, json={"verdict": "clean"}, headers=admin)
    assert decided.status_code == 200 and decided.json()["scan_status"] == "clean"
    assert (await desks.http.get(content, headers=client)).text == "HOLD these minutes"
    assert len(await desks.outbox(RequestAttachmentAdded.type)) == 1
    again = await desks.http.post(verdict, json={"verdict": "infected"}, headers=admin)
    assert again.status_code == 409

    infected = await upload(
        desks, rid, b"HOLD later", client, name="l.txt", media_type="text/plain"
    )
    later = f"/attachments/{infected.json()['id']}"
    await desks.http.post(f"{later}/scan-verdict", json={"verdict": "infected"}, headers=admin)
    assert (await desks.http.get(f"{later}/content", headers=client)).status_code == 404
    by_request = {"request_id": rid}
    assert listed(await desks.http.get("/attachments", params=by_request, headers=client)) == [
        "m.txt"
    ]


async def test_files_are_kept_in_an_s3_store(
    platform: PlatformSettings, databases: Databases, s3_server: S3Server
) -> None:
    # One bucket for the run (each is a collection of volumes), a prefix per test.
    bucket, prefix = "onedoor-tests", f"{platform.kafka_namespace}/"
    async with desks_service(
        platform,
        databases,
        attachment_storage="s3",
        s3_endpoint_url=s3_server.endpoint_url,
        s3_bucket=bucket,
        s3_region=s3_server.region,
        s3_access_key_id=s3_server.access_key_id,
        s3_secret_access_key=s3_server.secret_access_key,
        s3_prefix=prefix,
    ) as desks:
        await desks.app.state.blob_store.create_bucket()
        client = desks.client("MINUSMA")
        rid = (await desks.submit(client))["id"]
        added = await upload(desks, rid, PDF * 200, client)
        assert added.status_code == 201, added.text
        download = await desks.http.get(
            f"/attachments/{added.json()['id']}/content", headers=client
        )
        assert download.status_code == 200 and download.content == PDF * 200

        # The object is in the bucket under the prefix, as S3 itself lists it.
        listing = await signed_get(s3_server, f"/{bucket}?list-type=2&prefix={prefix}")
        assert listing.count(f"<Key>{prefix}attachments/") == 1
        assert f"<Size>{len(PDF) * 200}</Size>" in listing


async def signed_get(server: S3Server, path: str) -> str:
    url = server.endpoint_url + path
    signer = AwsRequestSigner(server.region, server.access_key_id, server.secret_access_key, "s3")
    async with httpx.AsyncClient() as http:
        answer = await http.get(url, headers=signer.sign_with_headers("GET", url))
    assert answer.status_code == 200, answer.text
    return answer.text
