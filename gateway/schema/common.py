"""What every part of the schema shares: scalars, enums, paging, error shaping."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Annotated, Any, NewType, TypeVar, cast

import strawberry
from graphql import EnumValueNode, GraphQLError, StringValueNode, ValueNode
from pydantic import BaseModel
from strawberry.experimental.pydantic import type as pydantic_type
from strawberry.schema.name_converter import NameConverter
from strawberry.types import Info
from strawberry.types.base import get_object_definition
from strawberry.types.enum import EnumValue, StrawberryEnumDefinition

from contracts import enums
from gateway.clients import ServiceError
from gateway.context import GatewayContext
from gateway.schema.conversion import convert

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


# The contracts' enums (contracts/enums.py) are the schema's enums, under these names.
for contract_enum, graphql_name in (
    (enums.Urgency, None),
    (enums.RequestStatus, None),
    (enums.DeclineReason, None),
    (enums.LessonStatus, None),
    (enums.Sensitivity, None),
    (enums.SourceKind, "LessonSource"),
    (enums.AssessmentStatus, None),
    (enums.TaskStatus, "AssessmentTaskStatus"),
    (enums.DeliveryStatus, "WebhookDeliveryStatus"),
    (enums.MailStatus, None),
    (enums.ClientKind, None),
):
    strawberry.enum(contract_enum, name=graphql_name)


class GatewayNames(NameConverter):
    """GraphQL's names, with an enum's values in upper case: `Urgency.routine` of the
    contracts is `ROUTINE` in the schema, as GraphQL enum values are written."""

    def from_enum_value(self, enum: StrawberryEnumDefinition, enum_value: EnumValue) -> str:
        return enum_value.name.upper()


GraphQLType = TypeVar("GraphQLType")


def derived(
    model: type[BaseModel], *, description: str | None = None
) -> Callable[[type[GraphQLType]], type[GraphQLType]]:
    """The GraphQL type of a contract model (strawberry's pydantic integration): every
    field of the model, with its type and description, so a field added to the contract
    is in the schema without a line here. The class body retypes only a field whose
    GraphQL type differs from the model's (an ID, a ProductCode, JSON, a rename) and adds
    resolved fields, which are listed after the model's fields as the schema always had."""

    def wrap(cls: type[GraphQLType]) -> type[GraphQLType]:
        graphql_type = pydantic_type(model, all_fields=True, description=description)(cls)
        definition = get_object_definition(graphql_type, strict=True)
        definition.fields.sort(key=lambda field: field.base_resolver is not None)
        return cast(type[GraphQLType], graphql_type)

    return wrap


def from_contract(graphql_type: type[GraphQLType], answer: BaseModel) -> GraphQLType:
    """The GraphQL object of a service's validated answer (for a `derived` type)."""
    return cast(GraphQLType, convert(graphql_type, answer))


def all_from_contract(graphql_type: type[GraphQLType], answers: list[Any]) -> list[GraphQLType]:
    return [from_contract(graphql_type, answer) for answer in answers]


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None

    @classmethod
    def of(cls, page: Any) -> PageInfo:
        """The page info of a service's keyset page (`has_next_page`, `end_cursor`)."""
        return cls(has_next_page=page.has_next_page, end_cursor=page.end_cursor)


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
