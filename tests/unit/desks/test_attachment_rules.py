"""Which files a request accepts, and the names they are shown and served with."""

from __future__ import annotations

import io
import zipfile

import pytest

from services.desks.attachments import (
    allowed_media_type,
    check_content,
    content_disposition,
    safe_file_name,
)
from services.desks.settings import DEFAULT_ATTACHMENT_MEDIA_TYPES
from shared.errors import DomainError

ALLOWED = list(DEFAULT_ATTACHMENT_MEDIA_TYPES)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def word_document() -> bytes:
    """The parts Word writes first: enough for the magic-byte check to know a .docx."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as document:
        document.writestr("[Content_Types].xml", "<Types/>")
        document.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def test_a_declared_type_is_allowed_without_its_parameters() -> None:
    assert allowed_media_type("Text/Plain; charset=utf-8", ALLOWED) == "text/plain"
    with pytest.raises(DomainError) as refused:
        allowed_media_type("application/x-msdownload", ALLOWED)
    assert refused.value.code == "UNSUPPORTED_MEDIA_TYPE" and refused.value.http_status == 415


@pytest.mark.parametrize(
    ("media_type", "content"),
    [
        ("application/pdf", b"%PDF-1.7\n%%EOF"),
        ("image/png", bytes.fromhex("89504e470d0a1a0a0000000d49484452")),
        ("image/jpeg", bytes.fromhex("ffd8ffe000104a464946")),
        (DOCX, word_document()),
        ("text/plain", "Procès-verbal, 会议记录".encode()),
        ("text/csv", b"a,b\n1,2\n"),
        ("text/plain", b""),
    ],
)
def test_content_that_is_what_it_says_is_accepted(media_type: str, content: bytes) -> None:
    check_content(media_type, content)


@pytest.mark.parametrize(
    ("media_type", "content"),
    [
        ("application/pdf", b"MZ\x90\x00\x03\x00\x00\x00"),  # a Windows program
        ("application/pdf", b"just words"),
        ("image/png", b"%PDF-1.7"),
        (DOCX, b"PK\x03\x04" + b"\x00" * 26),  # a zip, not a Word document
        ("text/plain", b"%PDF-1.7\n"),  # a known binary format is not text
        ("text/plain", b"nul\x00inside"),
        ("text/csv", b"\xff\xfe latin?"),
    ],
)
def test_content_that_is_something_else_is_refused(media_type: str, content: bytes) -> None:
    with pytest.raises(DomainError) as refused:
        check_content(media_type, content)
    assert refused.value.code == "UNSUPPORTED_MEDIA_TYPE"


def test_text_cut_inside_a_character_is_still_text() -> None:
    check_content("text/plain", "é".encode() * 10 + "é".encode()[:1])


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\plan.docx", "plan.docx"),
        (" bell\x07\u202e.txt ", "bell.txt"),
        ("Rapport été.pdf", "Rapport été.pdf"),
    ],
)
def test_a_file_keeps_only_its_last_name_without_control_characters(sent: str, kept: str) -> None:
    assert safe_file_name(sent) == kept


@pytest.mark.parametrize("sent", ["", "/", "a/..", "\x00"])
def test_a_file_needs_a_name(sent: str) -> None:
    with pytest.raises(DomainError) as refused:
        safe_file_name(sent)
    assert refused.value.code == "BAD_USER_INPUT"


def test_the_served_name_cannot_break_out_of_its_header() -> None:
    header = content_disposition('a"; filename="evil.html\\ é.pdf')
    assert header == (
        'attachment; filename="a_; filename=_evil.html_ _.pdf"; '
        "filename*=UTF-8''a%22%3B%20filename%3D%22evil.html%5C%20%C3%A9.pdf"
    )
