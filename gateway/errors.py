"""GraphQL errors always carry `extensions.code`; internal ones are logged and masked."""

from __future__ import annotations

import logging

import strawberry
from graphql import GraphQLError
from pydantic import ValidationError
from strawberry.extensions import MaskErrors
from strawberry.types import ExecutionContext

from gateway.clients import ServiceError
from gateway.live import SubscriptionOverflow
from shared.errors import DomainError, current_trace_id

log = logging.getLogger(__name__)


class CodedErrors(MaskErrors):
    """Give every error a stable code; hide anything we did not raise on purpose."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda _error: True, error_message="internal error")

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        original = error.original_error
        if isinstance(original, ServiceError):
            extensions = {"code": original.code, **original.details}
            return self._copy(error, original.message, extensions)
        if isinstance(original, ValidationError):
            # A request body (contracts/http/) refused the caller's arguments: refused as
            # the service would have refused the same body.
            return self._copy(error, "invalid input", _invalid_input(original))
        if isinstance(original, SubscriptionOverflow):
            return self._copy(error, str(original), {"code": "SUBSCRIPTION_OVERFLOW"})
        if original is None or isinstance(original, GraphQLError):
            extensions = dict(error.extensions or {})
            extensions.setdefault("code", "GRAPHQL_VALIDATION_FAILED")
            return self._copy(error, error.message, extensions)
        trace_id = current_trace_id()
        log.error("unexpected error in a resolver (trace %s)", trace_id, exc_info=original)
        return self._copy(error, self.error_message, {"code": "INTERNAL", "trace_id": trace_id})

    @staticmethod
    def _copy(error: GraphQLError, message: str, extensions: dict[str, object]) -> GraphQLError:
        return GraphQLError(
            message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions=extensions,
        )


def _invalid_input(error: ValidationError) -> dict[str, object]:
    """The service's own answer to a body it refuses (shared/errors.py)."""
    errors = [
        {"loc": ["body", *item["loc"]], "msg": item["msg"], "type": item["type"]}
        for item in error.errors(include_url=False, include_input=False)
    ]
    return {"code": "BAD_USER_INPUT", "errors": errors}


# What a caller got wrong (a malformed query, a refused or unknown id...): theirs, not ours.
_CLIENT_ERRORS = (GraphQLError, ServiceError, SubscriptionOverflow, DomainError, ValidationError)


class GatewaySchema(strawberry.Schema):
    """Logs a caller's mistakes at WARNING; unexpected errors are CodedErrors' to log."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            original = error.original_error
            if original is None or isinstance(original, _CLIENT_ERRORS):
                log.warning("GraphQL error for the caller: %s", error.message)
