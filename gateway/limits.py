"""Bounds on what one HTTP request to the door may cost, checked before anything runs.

Depth, aliases and tokens are strawberry's own limiters (see `app.build_schema`),
applied with the rest by gateway/operation.py;
here the rest: the body size, a query cost, and the length of list arguments.
A refusal is a GraphQL error with a code like any other.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    ValidationRule,
)
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The arguments that say how many items a list field answers with.
PAGE_ARGUMENTS = ("first", "limit")
# A list field without a page argument is counted as this many items.
DEFAULT_LIST_COST = 20


def query_cost_rule(max_cost: int) -> type[ValidationRule]:
    """A validation rule refusing operations whose estimated cost exceeds `max_cost`.

    Each field costs 1; a field with `first`/`limit` multiplies the cost of what it
    selects by that number (a variable counts as 100, the largest page). So a cheap
    query stays cheap, and 2,000 aliased pages of 100 requests each are refused
    before a single service is called.
    """

    class QueryCost(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            fragments = {
                definition.name.value: definition
                for definition in self.context.document.definitions
                if isinstance(definition, FragmentDefinitionNode)
            }
            cost = _selection_cost(node.selection_set, fragments, set())
            if cost > max_cost:
                self.report_error(
                    GraphQLError(
                        f"the operation costs about {cost}, more than the limit of {max_cost}: "
                        "ask for smaller pages or fewer fields",
                        node,
                        extensions={"code": "QUERY_TOO_COSTLY", "cost": cost, "limit": max_cost},
                    )
                )

    return QueryCost


def _selection_cost(
    selection_set: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    visiting: set[str],
) -> int:
    if selection_set is None:
        return 0
    cost = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            inner = _selection_cost(selection.selection_set, fragments, visiting)
            cost += 1 + _page_size(selection) * inner
        elif isinstance(selection, InlineFragmentNode):
            cost += _selection_cost(selection.selection_set, fragments, visiting)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is not None and name not in visiting:  # cycles: another rule's job
                cost += _selection_cost(fragment.selection_set, fragments, visiting | {name})
    return cost


def _page_size(field: FieldNode) -> int:
    for argument in field.arguments or ():
        if argument.name.value in PAGE_ARGUMENTS:
            if isinstance(argument.value, IntValueNode):
                return max(1, int(argument.value.value))
            return 100
    return 1


# No database or service here stores a NUL character (PostgreSQL text cannot hold
# one): refused at the door rather than failing deep inside a service.
NUL_REFUSAL = "text arguments must not contain the NUL character"


def argument_rule(max_items: int) -> type[ValidationRule]:
    """Refuse a literal list argument with more than `max_items` items, or a literal
    string holding NUL."""

    class ArgumentBounds(ValidationRule):
        def enter_list_value(self, node: ListValueNode, *_: Any) -> None:
            if len(node.values) > max_items:
                self.report_error(
                    GraphQLError(
                        f"a list argument has at most {max_items} items",
                        node,
                        extensions={"code": "BAD_USER_INPUT"},
                    )
                )

        def enter_string_value(self, node: StringValueNode, *_: Any) -> None:
            if "\x00" in node.value:
                self.report_error(
                    GraphQLError(NUL_REFUSAL, node, extensions={"code": "BAD_USER_INPUT"})
                )

    return ArgumentBounds


def variable_refusal(value: Any, max_items: int) -> str | None:
    """Why the variables are refused, if they are: the same bounds as for literals (no
    list longer than `max_items`, at any depth, no string holding NUL)."""
    if isinstance(value, str):
        return NUL_REFUSAL if "\x00" in value else None
    if isinstance(value, list) and len(value) > max_items:
        return f"a list argument has at most {max_items} items"
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    for item in items:
        if isinstance(item, dict | list | str):
            message = variable_refusal(item, max_items)
            if message:
                return message
    return None


def coded_error_body(message: str, code: str) -> bytes:
    return json.dumps(
        {"data": None, "errors": [{"message": message, "extensions": {"code": code}}]}
    ).encode()


class BodySizeLimit:
    """ASGI middleware: a request body over `max_bytes` is answered 413 unread.

    Checked on the declared length and again while reading, so a chunked body
    without a length cannot slip past.
    """

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        larger_for: Sequence[tuple[re.Pattern[str], int]] = (),
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        # Routes whose bodies are files (attachment uploads), each with its own bound.
        self.larger_for = larger_for

    def _limit(self, path: str) -> int:
        return next(
            (limit for route, limit in self.larger_for if route.fullmatch(path)), self.max_bytes
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self._limit(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > max_bytes:
            await self._refuse(scope, receive, send, max_bytes)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    raise BodyTooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except BodyTooLarge:
            await self._refuse(scope, receive, send, max_bytes)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, max_bytes: int) -> None:
        body = coded_error_body(f"the request body exceeds {max_bytes} bytes", "REQUEST_TOO_LARGE")
        await Response(body, status_code=413, media_type="application/json")(scope, receive, send)


class BodyTooLarge(Exception):
    pass
