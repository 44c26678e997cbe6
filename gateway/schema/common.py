"""What every part of the schema shares: scalars, enums, paging, error shaping."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any, NewType

import strawberry
from graphql import EnumValueNode, GraphQLError, StringValueNode, ValueNode
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult, Info

from gateway.clients import ServiceError
from gateway.context import GatewayContext

GatewayInfo = Info[GatewayContext, None]


def _parse_product_code(node: ValueNode, _variables: Any = None) -> str:
    # Accept both `ELECTORAL_ASSISTANCE` and "ELECTORAL_ASSISTANCE": the catalog is
    # data, so codes cannot be a static GraphQL enum, yet read like one.
    if isinstance(node, EnumValueNode | StringValueNode):
        return node.value
    raise GraphQLError("a product code is a name such as ELECTORAL_ASSISTANCE")


ProductCode = NewType("ProductCode", str)
PRODUCT_CODE_SCALAR = strawberry.scalar(
    name="ProductCode",
    description="A product code from the catalog, e.g. ELECTORAL_ASSISTANCE",
    serialize=str,
    parse_value=str,
    parse_literal=_parse_product_code,
)


@strawberry.enum
class Urgency(Enum):
    ROUTINE = "routine"
    PRIORITY = "priority"
    IMMEDIATE = "immediate"


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


def optional_time(value: str | None) -> datetime | None:
    """A service's ISO timestamp, or None where the field is empty."""
    return datetime.fromisoformat(value) if value else None


def optional_date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def context_of(info: GatewayInfo) -> GatewayContext:
    return info.context


def as_graphql_error(error: ServiceError) -> GraphQLError:
    return GraphQLError(error.message, extensions={"code": error.code, **error.details})


def bad_input(message: str, code: str = "BAD_USER_INPUT") -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})


# The patterns the services give their codes; an argument that does not match is
# refused here, before it reaches a URL, a query or a log line.
CODE = re.compile(r"[A-Z][A-Z0-9_]{1,63}")
COUNTRY = re.compile(r"[A-Z]{3}")
EXPERT_ID = re.compile(r"[A-Z0-9][A-Z0-9-]{1,39}")
FEED_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,200}")


IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9._:-]{1,100}")
IdempotencyKey = Annotated[
    str | None,
    strawberry.argument(
        description="A key you choose (letters, digits, . _ : -, up to 100): a retry with "
        "the same key returns what the first attempt created, and creates nothing"
    ),
]


def idempotency_headers(key: str | None) -> dict[str, str]:
    """The `Idempotency-Key` header the owning service honours, for a creating mutation."""
    if key is None:
        return {}
    return {"Idempotency-Key": code_arg(key, IDEMPOTENCY_KEY, "idempotencyKey")}


def uuid_arg(value: object, name: str = "id") -> str:
    """A UUID argument in its canonical form, or BAD_USER_INPUT."""
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise bad_input(f"{name} must be a UUID") from None


def code_arg(value: object, pattern: re.Pattern[str] = CODE, name: str = "code") -> str:
    """A code argument that matches its pattern, or BAD_USER_INPUT."""
    text = str(value)
    if not pattern.fullmatch(text):
        raise bad_input(f"{name} must match {pattern.pattern}")
    return text


def check_page_size(first: int, limit: int = 100) -> None:
    if not 1 <= first <= limit:
        raise bad_input(f"first must be between 1 and {limit}")


class Authenticated(SchemaExtension):
    """Refuse the whole operation, introspection included, without a valid token."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context.context
        error = getattr(context, "auth_error", None)
        if error is not None:
            self.execution_context.result = ExecutionResult(
                data=None, errors=[GraphQLError(error.message, extensions={"code": error.code})]
            )
        yield
