"""What the notifications service accepts."""

from __future__ import annotations

from pydantic import BaseModel, Field

from contracts.enums import Language, NotificationKind


class PreferencesBody(BaseModel):
    """A person's preferences, all at once (a command on their preferences: it names the
    version its caller read)."""

    expected_version: int = Field(
        ge=1, description="The version the caller saw; a stale one is refused (VERSION_CONFLICT)"
    )
    kinds: list[NotificationKind] = Field(max_length=len(NotificationKind))
    email_enabled: bool
    email_address: str | None = Field(default=None, max_length=254)
    language: Language
