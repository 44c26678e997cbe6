"""Domain errors with stable codes, and the one place they become HTTP responses.

Services raise `DomainError(code, message)`; `install_error_handlers` maps the
code to an HTTP status. The gateway maps the same codes to GraphQL
`extensions.code`. Unexpected exceptions are logged with the trace id and
masked as INTERNAL.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from opentelemetry import trace
from sqlalchemy.exc import DBAPIError

from shared.conflicts import TRANSIENT_SQLSTATES, TransientConflict

log = logging.getLogger(__name__)

HTTP_STATUS_BY_CODE: dict[str, int] = {
    "UNAUTHENTICATED": 401,
    "FORBIDDEN": 403,
    "NOT_FOUND": 404,
    "REQUEST_NOT_FOUND": 404,
    "ASSESSMENT_NOT_FOUND": 404,
    "ENGAGEMENT_NOT_FOUND": 404,
    "EXPERT_NOT_FOUND": 404,
    "LESSON_NOT_FOUND": 404,
    "NOTIFICATION_NOT_FOUND": 404,
    "PREFERENCES_NOT_FOUND": 404,
    "APPROVAL_RULE_NOT_FOUND": 404,
    "ATTACHMENT_NOT_FOUND": 404,
    "ATTACHMENT_TOO_LARGE": 413,
    "UNSUPPORTED_MEDIA_TYPE": 415,
    "ATTACHMENT_INFECTED": 422,
    "ATTACHMENT_NOT_SCANNED": 409,
    "STORAGE_UNAVAILABLE": 503,
    "BAD_USER_INPUT": 422,
    "UNKNOWN_PRODUCT": 422,
    "UNKNOWN_CLIENT": 422,
    "UNKNOWN_PARTNER": 422,
    "INVALID_DETAILS": 422,
    "INVALID_FORM": 422,
    "ILLEGAL_TRANSITION": 409,
    "VERSION_CONFLICT": 409,
    "CONFLICT": 409,
    "PRECONDITION_FAILED": 409,
    "CAPACITY_EXCEEDED": 409,
    "PRODUCT_INACTIVE": 409,
    "EXPERT_DOUBLE_BOOKED": 409,
    "EXPERT_UNAVAILABLE": 409,
    "DELIVERABLE_REQUIRED": 409,
    # Linked requests (services/desks/links.py)
    "LINK_TO_ITSELF": 422,
    "MERGE_INTO_ITSELF": 422,
    "LINK_OTHER_CLIENT": 409,
    "LINK_CYCLE": 409,
    "LINK_TOO_DEEP": 409,
    "LINK_LIMIT": 409,
    "ALREADY_LINKED": 409,
    "NOT_LINKED": 409,
    "REQUEST_CLOSED": 409,
    "MERGE_ACROSS_DESKS": 409,
    "MERGE_NOT_OVERLAPPING": 409,
    "MERGE_HAS_CHILDREN": 409,
    "SERVICE_UNAVAILABLE": 503,
    "INTERNAL": 500,
}


class DomainError(Exception):
    """A refusal the caller can act on: a stable code, a message and optional details."""

    def __init__(self, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details

    @property
    def http_status(self) -> int:
        return HTTP_STATUS_BY_CODE.get(self.code, 400)

    def body(self) -> dict[str, Any]:
        return {"detail": {"code": self.code, "message": self.message, **self.details}}


def current_trace_id() -> str:
    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else ""


def check_version(subject: str, *, current: int, expected: int) -> None:
    """Optimistic concurrency: act only on the version the caller saw; a mismatch is
    VERSION_CONFLICT with both versions. Commands reach it through shared/commands.py."""
    if expected != current:
        raise DomainError(
            "VERSION_CONFLICT",
            f"{subject} changed meanwhile (version {current}, you saw {expected}); reload it",
            current_version=current,
            expected_version=expected,
        )


# PostgreSQL's "untranslatable character" and "invalid byte sequence" (a NUL in text).
UNSTORABLE_TEXT_SQLSTATES = frozenset({"22P05", "22021"})


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain_error(_request: Request, error: DomainError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if error.code == "UNAUTHENTICATED" else None
        return JSONResponse(error.body(), status_code=error.http_status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid_input(_request: Request, error: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(item.get("loc", ())), "msg": item.get("msg", ""), "type": item.get("type")}
            for item in error.errors()
        ]
        body = {"detail": {"code": "BAD_USER_INPUT", "message": "invalid input", "errors": errors}}
        return JSONResponse(body, status_code=422)

    @app.exception_handler(DBAPIError)
    async def _database_error(request: Request, error: DBAPIError) -> JSONResponse:
        # Text PostgreSQL cannot store (a NUL character) is the caller's input, not our
        # fault; the transaction rolled back, so nothing changed.
        sqlstate = getattr(error.orig, "sqlstate", None)
        if sqlstate in TRANSIENT_SQLSTATES:
            # Rolled back to break a deadlock: RetryTransientConflicts runs it again.
            raise TransientConflict(_first_line(error)) from error
        if sqlstate in UNSTORABLE_TEXT_SQLSTATES:
            body = {
                "detail": {
                    "code": "BAD_USER_INPUT",
                    "message": "the text holds a character that cannot be stored (NUL)",
                }
            }
            return JSONResponse(body, status_code=422)
        return await _internal(request, error)

    @app.exception_handler(Exception)
    async def _internal(_request: Request, error: Exception) -> JSONResponse:
        trace_id = current_trace_id()
        # The cause on the first line too: a log viewer that folds tracebacks still shows it.
        log.exception("unhandled error (trace %s): %s", trace_id, _first_line(error))
        body = {
            "detail": {
                "code": "INTERNAL",
                "message": "internal error",
                "trace_id": trace_id,
            }
        }
        return JSONResponse(body, status_code=500)


def _first_line(error: Exception, limit: int = 300) -> str:
    """The error's type and the first line of its message (a database error's message
    runs on with the statement and its parameters)."""
    cause = getattr(error, "orig", None) or error
    message = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {message[0] if message else ''}"[:limit]
