"""Requests whose transaction the database rolled back to break a conflict run again.

PostgreSQL breaks a deadlock (SQLSTATE 40P01) or a serialization conflict (40001) by
rolling one of the transactions back; its documentation asks the application to run
that transaction again, which then meets the other one committed. OneDoor's writers can
meet like that without any bug on either side: a consumer applies a batch of events in
one transaction, locking request A then B, while an intake links a new request to B
then A (each link's foreign key locks the row it names).

The database error handler (shared/errors.py) turns such an error into
`TransientConflict`, before any byte of the answer is sent; this middleware then runs
the whole request again (a fresh session, its body replayed) a few times with a short
random pause, and answers 503 with a `Retry-After` if the conflict persists. Nothing is
half done: the rolled-back attempt changed nothing. Bodies above `REPLAYABLE_BYTES`
(uploads) are streamed through and not retried.
"""

from __future__ import annotations

import asyncio
import logging
import random

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

TRANSIENT_SQLSTATES = frozenset({"40P01", "40001"})  # deadlock, serialization failure
ATTEMPTS = 4
REPLAYABLE_BYTES = 1024 * 1024
PAUSE_S = (0.01, 0.1)  # random, so two retried requests do not meet again in step


class TransientConflict(Exception):
    """The transaction was rolled back to resolve a conflict; running it again is safe."""


class RetryTransientConflicts:
    def __init__(self, app: ASGIApp, attempts: int = ATTEMPTS) -> None:
        self.app = app
        self.attempts = attempts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        messages, complete = await _read_body(receive)
        if not complete:  # too large to keep: once, streamed on from where it stands
            await self.app(scope, _replay(messages, receive), send)
            return
        for attempt in range(1, self.attempts + 1):
            try:
                await self.app(scope, _replay(messages, receive), send)
                return
            except TransientConflict as conflict:
                log.warning(
                    "%s %s: %s (attempt %d/%d)",
                    scope["method"],
                    scope["path"],
                    conflict,
                    attempt,
                    self.attempts,
                )
                if attempt < self.attempts:
                    await asyncio.sleep(random.uniform(*PAUSE_S))
        await _busy()(scope, receive, send)


async def _read_body(receive: Receive) -> tuple[list[Message], bool]:
    """The request's body messages, up to REPLAYABLE_BYTES; whether that was all."""
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages, True  # the client went away; the app will see that
        size += len(message.get("body", b""))
        if not message.get("more_body", False):
            return messages, True
        if size > REPLAYABLE_BYTES:
            return messages, False


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed


def _busy() -> JSONResponse:
    """The answer once every attempt met a conflict (before any byte of an answer)."""
    return JSONResponse(
        {
            "detail": {
                "code": "SERVICE_UNAVAILABLE",
                "message": "the change kept meeting concurrent changes; send it again",
            }
        },
        status_code=503,
        headers={"Retry-After": "1"},
    )
