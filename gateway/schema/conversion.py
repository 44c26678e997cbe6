"""A contract model into its GraphQL type (`derived`), by a converter built once per type.

Strawberry's `from_pydantic` works out every field's type on every call: it resolves
each field's annotation and walks isinstance checks down the type, for the answer and
each nested model (a request: five models, 120 field types). That was about a quarter
of the gateway's CPU for a `request(id)` query. The answer is the same for every
object of a type, so here it is worked out on the first conversion of the type (when
the schema, and so every lazy annotation, is complete) and kept as one small function
per field. What each function does is what strawberry does for that field's type
(strawberry/experimental/pydantic/conversion.py): None stays None where optional,
lists item by item, a nested model into its own GraphQL type (the one its model class
names, as strawberry picks it), enums and scalars as they are. A union, which no
contract type has, goes to strawberry's own conversion.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel
from strawberry.experimental.pydantic.conversion import (
    _convert_from_pydantic_to_strawberry_type as strawberry_conversion,
)
from strawberry.types.base import (
    StrawberryList,
    StrawberryOptional,
    get_object_definition,
    has_object_definition,
)
from strawberry.types.private import is_private
from strawberry.types.union import StrawberryUnion

Convert = Callable[[Any], Any]

# One converter per GraphQL type, built at its first conversion.
_converters: dict[type, Callable[[BaseModel], Any]] = {}


def convert(graphql_type: type, model: BaseModel) -> Any:
    """`graphql_type.from_pydantic(model)`, without working the types out again."""
    converter = _converters.get(graphql_type)
    if converter is None:
        converter = _converters[graphql_type] = _object_converter(graphql_type)
    return converter(model)


def _object_converter(graphql_type: type) -> Callable[[BaseModel], Any]:
    from_pydantic = getattr(graphql_type, "from_pydantic", None)
    if from_pydantic is not None and from_pydantic.__name__ != "from_pydantic_default":
        return from_pydantic  # type: ignore[no-any-return]  # the type's own conversion
    # A `derived` type keeps its model, as strawberry's from_pydantic does; a plain
    # strawberry type filled from a model does not.
    keeps_model = from_pydantic is not None
    definition = get_object_definition(graphql_type, strict=True)
    fields = [
        (field.python_name, _value_converter(field.type))
        for field in definition.fields
        if field.init
    ]
    private = [
        item.name
        for item in (
            dataclasses.fields(graphql_type) if dataclasses.is_dataclass(graphql_type) else ()
        )
        if is_private(item.type)
    ]

    def from_model(model: BaseModel) -> Any:
        kwargs = {name: value(getattr(model, name, None)) for name, value in fields}
        for name in private:
            if hasattr(model, name):
                kwargs[name] = getattr(model, name)
        converted = graphql_type(**kwargs)
        if keeps_model:
            converted._original_model = model
        return converted

    return from_model


def _value_converter(field_type: Any) -> Convert:
    if isinstance(field_type, StrawberryOptional):
        inner = _value_converter(field_type.of_type)
        return lambda value: None if value is None else inner(value)
    if isinstance(field_type, StrawberryUnion):
        return lambda value: strawberry_conversion(field_type, value)
    if isinstance(field_type, StrawberryList):
        item = _value_converter(field_type.of_type)
        return lambda values: [item(value) for value in values]
    if has_object_definition(field_type):
        # The nested model's own GraphQL type where its class names one, as strawberry picks.
        return lambda value: convert(getattr(type(value), "_strawberry_type", field_type), value)
    return _unchanged


def _unchanged(value: Any) -> Any:
    return value
