"""The gateway's converter of contract models (gateway/schema/conversion.py) gives what
strawberry's own `from_pydantic` gives, for every GraphQL type derived from a contract."""

from __future__ import annotations

import datetime as dt
import enum
import sys
import types
import typing
import uuid
from typing import Any

import pytest
from pydantic import BaseModel

from gateway.app import build_schema
from gateway.schema.conversion import convert
from gateway.schema.requests import ServiceRequest
from gateway.settings import GatewaySettings

build_schema(GatewaySettings())  # resolves every lazy annotation, as the app does


def derived_types() -> list[type]:
    found = {
        value
        for name, module in sys.modules.items()
        if name.startswith("gateway.schema")
        for value in vars(module).values()
        if isinstance(value, type) and "_pydantic_type" in vars(value)
    }
    return sorted(found, key=lambda graphql_type: graphql_type.__name__)


def sample(annotation: Any, *, optional_as_none: bool) -> Any:
    """A value of `annotation`, built without validation (the converter never validates)."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        return sample(args[0], optional_as_none=optional_as_none)
    if origin in (typing.Union, types.UnionType):
        if type(None) in args and optional_as_none:
            return None
        return sample(next(arg for arg in args if arg is not type(None)), optional_as_none=False)
    if origin in (list, tuple, set, frozenset):
        return [sample(args[0], optional_as_none=optional_as_none) for _ in range(2)]
    if origin is dict:
        return {"key": "value"}
    if origin is typing.Literal:
        return args[0]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return model_of(annotation, optional_as_none=optional_as_none)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return next(iter(annotation))
    simple = {
        bool: True,
        int: 7,
        float: 1.5,
        str: "text",
        uuid.UUID: uuid.UUID(int=5),
        dt.datetime: dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.UTC),
        dt.date: dt.date(2026, 1, 2),
    }
    return simple.get(annotation, "text")


def model_of(model: type[BaseModel], *, optional_as_none: bool) -> BaseModel:
    values = {
        name: sample(field.annotation, optional_as_none=optional_as_none)
        for name, field in model.model_fields.items()
    }
    return model.model_construct(**values)


@pytest.mark.parametrize("graphql_type", derived_types(), ids=lambda t: t.__name__)
@pytest.mark.parametrize("optional_as_none", [False, True], ids=["filled", "optional-none"])
def test_converts_as_strawberry_does(graphql_type: type, optional_as_none: bool) -> None:
    model = model_of(graphql_type._pydantic_type, optional_as_none=optional_as_none)  # type: ignore[attr-defined]
    expected = graphql_type.from_pydantic(model)  # type: ignore[attr-defined]
    converted = convert(graphql_type, model)
    assert type(converted) is type(expected)
    assert converted == expected
    assert converted._original_model is model


def test_the_comparison_compares_fields() -> None:
    assert ServiceRequest in derived_types()
    filled = model_of(ServiceRequest._pydantic_type, optional_as_none=False)  # type: ignore[attr-defined]
    empty = model_of(ServiceRequest._pydantic_type, optional_as_none=True)  # type: ignore[attr-defined]
    assert convert(ServiceRequest, filled) is not convert(ServiceRequest, filled)
    assert convert(ServiceRequest, filled) == convert(ServiceRequest, filled)
    assert convert(ServiceRequest, filled) != convert(ServiceRequest, empty)
