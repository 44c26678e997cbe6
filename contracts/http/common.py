"""What the services' HTTP shapes share."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

from contracts.enums import CONTENT_LANGUAGES

PRODUCT_CODE = r"^[A-Z][A-Z0-9_]{1,63}$"
"""A catalog product's code, e.g. ELECTORAL_ASSISTANCE."""


class ExpectedVersion(BaseModel):
    """The body of every command that changes an existing aggregate."""

    expected_version: int = Field(
        ge=1, description="The version the caller saw; a stale one is refused (VERSION_CONFLICT)"
    )


def _known_language(code: str) -> str:
    if code not in CONTENT_LANGUAGES:
        raise ValueError(f"not a content language: {code!r} (one of {sorted(CONTENT_LANGUAGES)})")
    return code


ContentLanguage = Annotated[
    str,
    Field(
        min_length=2,
        max_length=8,
        description=f"The content's language, a BCP-47 code: {', '.join(sorted(CONTENT_LANGUAGES))}",
    ),
    AfterValidator(_known_language),
]
"""The language a request or a lesson is written in (contracts/enums.CONTENT_LANGUAGES)."""
