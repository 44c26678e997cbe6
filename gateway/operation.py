"""Everything the gateway does around a GraphQL operation, as one strawberry extension.

Strawberry builds each extension anew per operation and enters each hook it defines as a
context manager: the gateway's eight extensions (token limit, validation rules, parse
and validation caches, authentication, variable bounds, coded errors, metrics) were
eight objects and ten hook context managers per operation. Here they are one object
with four hooks, each doing its part in the order the parts need:

- operation: the token limit and the validation rules for the parser and validator;
  after the operation, every error coded and masked (`CodedErrors`) and the
  operation's metrics recorded (gateway/metrics.py).
- parse and validate: cached per query text and rule set, for the process's lifetime.
- execute: without a valid token nothing runs, introspection included; then the
  variables' bounds (gateway/limits.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from functools import lru_cache

from graphql import ASTValidationRule, GraphQLError, parse
from strawberry.schema.schema import validate_document
from strawberry.types import ExecutionResult

from gateway.errors import CodedErrors
from gateway.limits import variable_refusal
from gateway.metrics import record_operation

# Distinct query texts kept parsed and validated; a caller's endless new texts evict
# the oldest, they cannot grow memory.
CACHED_DOCUMENTS = 1000

_parse = lru_cache(maxsize=CACHED_DOCUMENTS)(parse)
_validate = lru_cache(maxsize=CACHED_DOCUMENTS)(validate_document)


class GatewayOperation(CodedErrors):
    """Pass as a factory (a fresh one per operation): it holds the operation's context.

    `rules` must be the same classes for the schema's lifetime: the validation cache is
    keyed by them."""

    def __init__(
        self, *, max_tokens: int, rules: Sequence[type[ASTValidationRule]], max_list_items: int
    ) -> None:
        super().__init__()
        self.max_tokens = max_tokens
        self.rules = tuple(rules)
        self.max_list_items = max_list_items

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.parse_options["max_tokens"] = self.max_tokens
        context.validation_rules = context.validation_rules + self.rules
        started = time.perf_counter()
        yield from super().on_operation()  # codes and masks the errors after the operation
        record_operation(context, time.perf_counter() - started)

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        context.graphql_document = _parse(context.query, **context.parse_options)
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None:
            context.pre_execution_errors = _validate(
                context.schema._schema, document, context.validation_rules
            )
        yield

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        refusal = _auth_refusal(context.context) or self._variables_refusal()
        if refusal is not None:
            context.result = ExecutionResult(data=None, errors=[refusal])
        yield

    def _variables_refusal(self) -> GraphQLError | None:
        message = variable_refusal(self.execution_context.variables or {}, self.max_list_items)
        return GraphQLError(message, extensions={"code": "BAD_USER_INPUT"}) if message else None


def _auth_refusal(context: object) -> GraphQLError | None:
    """The caller's token was refused (GatewayContext.authenticate): the whole operation is."""
    error = getattr(context, "auth_error", None)
    if error is None:
        return None
    return GraphQLError(error.message, extensions={"code": error.code})
