"""State machines as data: a table of allowed moves and one function that applies them."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Generic, TypeVar

from shared.errors import DomainError

S = TypeVar("S", bound=StrEnum)


class StateMachine(Generic[S]):
    def __init__(self, subject: str, transitions: Mapping[S, frozenset[S]]) -> None:
        self.subject = subject
        self.transitions = transitions

    def move(self, current: S, target: S) -> S:
        """Return `target` if the table allows the move, else refuse it with a stable code."""
        if target not in self.transitions[current]:
            raise DomainError(
                "ILLEGAL_TRANSITION",
                f"{self.subject} cannot go from {current.value} to {target.value}",
                from_status=current.value,
                to_status=target.value,
            )
        return target
