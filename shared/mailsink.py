"""A local SMTP sink: a real SMTP server on loopback that keeps every message it
receives as an `.eml` file in a directory (aiosmtpd, in a thread of its own).

`make run` starts one so that a person trying the embedded mode reads the e-mails
the notifications service sends in `var/mail/` (any mail client opens `.eml`
files); the tests start one on a free port and read the same files. It never
relays anything anywhere.
"""

from __future__ import annotations

import email
import email.policy
import itertools
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

LOOPBACK = "127.0.0.1"


class _WriteToDirectory:
    """aiosmtpd's handler: each accepted message becomes one file, written before the
    server answers 250, so a message the client saw accepted is on disk."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._numbers = itertools.count(1)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        name = f"{time.strftime('%Y%m%dT%H%M%S')}-{next(self._numbers):05d}.eml"
        partial = self.directory / f".{name}.part"
        partial.write_bytes(content)
        partial.rename(self.directory / name)  # readers never see half a message
        return "250 Message accepted for delivery"


class MailSink:
    def __init__(self, directory: Path, port: int) -> None:
        self.directory = directory
        self.port = port
        self._controller: Controller | None = None

    @property
    def host(self) -> str:
        return LOOPBACK

    def start(self) -> MailSink:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._controller = Controller(
            _WriteToDirectory(self.directory),
            hostname=LOOPBACK,
            port=self.port,
            # Its thread may start slowly on a busy machine (aiosmtpd's default: 5 s).
            ready_timeout=30,
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def messages(self) -> list[EmailMessage]:
        """Every message received so far, oldest first."""
        return [_parse(path.read_bytes()) for path in sorted(self.directory.glob("*.eml"))]

    def __enter__(self) -> MailSink:
        return self.start()

    def __exit__(self, *_exc: Any) -> None:
        self.stop()


def _parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message
