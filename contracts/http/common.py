"""What the services' HTTP shapes share."""

from __future__ import annotations

from pydantic import BaseModel, Field

PRODUCT_CODE = r"^[A-Z][A-Z0-9_]{1,63}$"
"""A catalog product's code, e.g. ELECTORAL_ASSISTANCE."""


class ExpectedVersion(BaseModel):
    """The body of every command that changes an existing aggregate."""

    expected_version: int = Field(
        ge=1, description="The version the caller saw; a stale one is refused (VERSION_CONFLICT)"
    )
