"""Files through the one door of the embedded stack: a client uploads a file to its
request as a multipart form, sees it among the request's attachments and in its
timeline, downloads it with safe headers; another client gets not-found, a file whose
content is not its declared type is refused with its code, and nothing is stored."""

from __future__ import annotations

import uuid

import httpx
import pytest

from contracts.events import RequestAttachmentAdded
from shared.auth import Role
from shared.runner import EmbeddedStack
from tests.e2e.conftest import Door

pytestmark = pytest.mark.e2e
SHARED_STACK = "e2e"

SUBMIT = "mutation($input: SubmitRequestInput!) { submitRequest(input: $input) { id } }"
DETAIL = """query($id: ID!) { request(id: $id) {
  attachments { id name mediaType sizeBytes url uploaded scanStatus sha256 }
  timeline { eventType summary }
} }"""
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


async def test_a_file_goes_through_the_door_to_those_who_see_its_request(
    stack: EmbeddedStack, door: Door
) -> None:
    client = door.headers(Role.client, client="MINUSMA", subject="minusma-focal")
    stranger = door.headers(Role.client, client="UNMISS", subject="unmiss-focal")
    submitted = await door.call(
        SUBMIT,
        client,
        input={"title": "Electoral calendar review", "description": "See the attached plan."},
    )
    request_id = submitted["data"]["submitRequest"]["id"]
    base = stack.graphql_url.removesuffix("/graphql")
    upload_url = f"{base}/requests/{request_id}/attachments"

    async with httpx.AsyncClient(timeout=30) as http:
        files = {"file": ("Plan électoral.pdf", PDF, "application/pdf")}
        added = await http.post(upload_url, files=files, headers=client)
        assert added.status_code == 201, added.text

        detail = (await door.call(DETAIL, client, id=request_id))["data"]["request"]
        [attachment] = detail["attachments"]
        assert attachment["name"] == "Plan électoral.pdf" and attachment["uploaded"]
        assert (attachment["mediaType"], attachment["sizeBytes"]) == ("application/pdf", len(PDF))
        assert RequestAttachmentAdded.type in [entry["eventType"] for entry in detail["timeline"]]

        download = await http.get(base + attachment["url"], headers=client)
        assert download.status_code == 200 and download.content == PDF
        assert download.headers["x-content-type-options"] == "nosniff"
        assert download.headers["content-type"] == "application/pdf"
        assert (
            "filename*=UTF-8''Plan%20%C3%A9lectoral.pdf" in download.headers["content-disposition"]
        )

        theirs = await http.get(base + attachment["url"], headers=stranger)
        assert (
            theirs.status_code == 404 and theirs.json()["detail"]["code"] == "ATTACHMENT_NOT_FOUND"
        )
        assert (await http.post(upload_url, files=files, headers=stranger)).status_code == 404
        assert (await http.get(base + attachment["url"])).status_code == 401
        missing = await http.get(f"{base}/attachments/{uuid.uuid4()}", headers=client)
        assert missing.status_code == 404

        disguised = {"file": ("tool.pdf", b"MZ\x90\x00" + b"\x00" * 60, "application/pdf")}
        refused = await http.post(upload_url, files=disguised, headers=client)
        assert refused.status_code == 415
        assert refused.json()["detail"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
        not_a_form = await http.post(upload_url, content=PDF, headers=client)
        assert not_a_form.status_code == 415

    detail = (await door.call(DETAIL, client, id=request_id))["data"]["request"]
    assert len(detail["attachments"]) == 1
