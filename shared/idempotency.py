"""Idempotent creation: a client's retry of a create returns the first result.

A creating route takes an optional `Idempotency-Key` header (the gateway forwards
a mutation's `idempotencyKey` there). The owning service stores the key with the
aggregate it creates, unique per principal and key, in the same transaction; so
a retry (after a timeout, a lost answer, a service killed mid-request) finds the
first aggregate and creates nothing, and two concurrent attempts with one key
end with one aggregate: the loser's insert hits the unique constraint, and it
answers with the winner's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

from fastapi import Header
from sqlalchemy.exc import IntegrityError

IDEMPOTENCY_KEY_PATTERN = r"^[A-Za-z0-9._:-]{1,100}$"

IdempotencyKeyDep = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        pattern=IDEMPOTENCY_KEY_PATTERN,
        description="A client-chosen key; a retry with the same key returns the first result",
    ),
]

T = TypeVar("T")


async def create_once(
    key: str | None,
    find: Callable[[str], Awaitable[T | None]],
    create: Callable[[], Awaitable[T]],
) -> T:
    """`create()`, unless `find(key)` already has what a first attempt created.

    `find` and `create` each run their own transaction. With no key, just `create()`.
    """
    if key is None:
        return await create()
    existing = await find(key)
    if existing is not None:
        return existing
    try:
        return await create()
    except IntegrityError:
        # A concurrent attempt with the same key committed first.
        winner = await find(key)
        if winner is None:
            raise
        return winner
