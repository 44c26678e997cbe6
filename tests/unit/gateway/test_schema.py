"""Gateway rules that hold before any service is called: depth limit, authentication
of every operation, and masking of unexpected errors."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.app import build_schema
from gateway.context import GatewayContext
from gateway.settings import GatewaySettings
from shared.auth import Principal, Role
from shared.errors import DomainError


class ExplodingClients:
    """Service clients whose every call fails unexpectedly (a bug, not a refusal)."""

    def __getattr__(self, _name: str) -> Any:
        raise RuntimeError("secret internal detail")


def context(principal: Principal | None, error: DomainError | None = None) -> GatewayContext:
    return GatewayContext(ExplodingClients(), "Bearer x", principal, error)  # type: ignore[arg-type]


CLIENT = Principal(subject="s", role=Role.client, client="MINUSMA")


@pytest.fixture
def schema() -> Any:
    return build_schema(GatewaySettings(max_query_depth=3))


async def test_queries_deeper_than_the_limit_are_refused(schema: Any) -> None:
    query = "{ myRequests { edges { node { desk { name } } } } }"
    result = await schema.execute(query, context_value=context(CLIENT))
    assert result.data is None
    assert "exceeds maximum operation depth" in result.errors[0].message
    assert result.errors[0].extensions["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_operations_without_a_valid_token_do_not_execute(schema: Any) -> None:
    refusal = DomainError("UNAUTHENTICATED", "missing bearer token")
    result = await schema.execute("{ __typename }", context_value=context(None, refusal))
    assert result.data is None
    assert result.errors[0].extensions == {"code": "UNAUTHENTICATED"}


async def test_unexpected_errors_are_masked(schema: Any) -> None:
    result = await schema.execute("{ products { code } }", context_value=context(CLIENT))
    [error] = result.errors
    assert error.message == "internal error"
    assert error.extensions["code"] == "INTERNAL"
    assert "secret" not in str(result.errors)


async def test_an_operation_seen_before_is_not_validated_again(
    schema: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The validation cache is keyed by the rules: a rule class built per operation
    would make every operation miss it and validate the whole document again."""
    import strawberry.schema.schema as strawberry_schema

    validated: list[object] = []
    validate = strawberry_schema.validate

    def counting_validate(*args: Any, **kwargs: Any) -> Any:
        validated.append(args[1])
        return validate(*args, **kwargs)

    monkeypatch.setattr(strawberry_schema, "validate", counting_validate)
    query = "query Cached($first: Int!) { myRequests(first: $first) { edges { cursor } } }"
    for first in (1, 2, 3):
        await schema.execute(query, variable_values={"first": first}, context_value=context(CLIENT))
    assert len(validated) == 1
