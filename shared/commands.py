"""The one pipeline every command route runs through.

A command changes the service's state: begin one transaction → load the aggregate
and lock its row → check the version the caller saw → bump it → the route's domain
step (its rule, its rows, its events) → commit → the answer. The route names which
aggregate, who may act and what the domain decides; the pipeline does the rest:

    async with commands.change(
        REQUEST, request_id, visibility(principal), expected_version=body.expected_version
    ) as change:
        domain_step(change.aggregate, at=change.now)
        change.publish(SomethingHappened(...))
        return await change.present(present)

- The lock: `SELECT … FOR UPDATE` on PostgreSQL, so two commands on one aggregate
  queue and the second meets the first's version; SQLite ignores `FOR UPDATE`, and
  there the platform's `BEGIN IMMEDIATE` (shared/db.py) serialises writers anyway.
- The version: one name, `expected_version` (`expectedVersion` in GraphQL),
  required and ≥ 1 (`ExpectedVersion`, contracts/http/common.py); a stale one is VERSION_CONFLICT (409) with
  both versions. A command bumps the version once, however many steps it takes, and
  before its domain step, so history lines and events written in it carry the new one.
- Publishing: a unit of work is a `Publisher` (shared/messaging/outbox.py):
  `publish(event)` adds the event to the transactional outbox of the same session, so
  it is sent if and only if the change commits. Store helpers take a `Publisher`: a
  route passes its unit of work, an event handler its `EventContext`, the same outbox.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends
from sqlalchemy import ColumnElement, select

from contracts.events import Event
from shared.clock import Clock
from shared.db import AsyncSession
from shared.errors import DomainError, check_version
from shared.messaging import Outbox, Publisher
from shared.service import ClockDep, OutboxDep, SessionDep

__all__ = [
    "Aggregate",
    "Change",
    "Commands",
    "CommandsDep",
    "UnitOfWork",
    "bump_version",
]

A = TypeVar("A")
R = TypeVar("R")


@dataclass(frozen=True)
class Aggregate(Generic[A]):
    """What a service's commands act on: its table, how a refusal names it, and the code
    when it is missing (or not the caller's to see: the same answer, so ids of other
    tenants cannot be probed)."""

    model: type[A]
    name: str
    not_found: str
    key: str = "id"
    version_field: str = "version"  # the catalog's products count `revision`s


def bump_version(aggregate: Any, field: str = "version") -> None:
    """A change other readers must be able to tell: the one place a version grows.

    The pipeline calls it once per command; an event handler that changes an
    aggregate, or a command that changes a second one (an expert's calendar when a
    booking is made), calls it once for that aggregate."""
    setattr(aggregate, field, getattr(aggregate, field) + 1)


@dataclass
class UnitOfWork(Publisher):
    """One command's transaction: its session, its moment, and its outbox (it is a
    `Publisher`)."""

    session: AsyncSession
    outbox: Outbox
    clock: Clock
    now: datetime

    def publish(self, event: Event) -> None:
        self.outbox.add(self.session, event)

    async def answer(self, present: Callable[[AsyncSession, A], Awaitable[R]], item: A) -> R:
        """What the caller is told: the rows as they will commit (flushed, so
        database defaults and related rows are visible to the presenter)."""
        await self.session.flush()
        return await present(self.session, item)


@dataclass
class Change(UnitOfWork, Generic[A]):
    """A unit of work on one existing aggregate, locked and at its new version."""

    aggregate: A

    async def present(self, present: Callable[[AsyncSession, A], Awaitable[R]]) -> R:
        return await self.answer(present, self.aggregate)


Authorise = Callable[[A], Awaitable[None] | None]


class Commands:
    """The command pipeline, as a route dependency (`CommandsDep`)."""

    def __init__(self, session: SessionDep, outbox: OutboxDep, clock: ClockDep) -> None:
        self.session = session
        self.outbox = outbox
        self.clock = clock

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[UnitOfWork]:
        """A command that creates (or only appends to) something: no version to check."""
        async with self.session.begin():
            yield UnitOfWork(self.session, self.outbox, self.clock, self.clock.now())

    @asynccontextmanager
    async def change(
        self,
        aggregate: Aggregate[A],
        key: str,
        *where: ColumnElement[bool],
        expected_version: int,
        authorise: Authorise[A] | None = None,
    ) -> AsyncIterator[Change[A]]:
        """Lock the aggregate `key` if it also matches `where` (tenancy); let `authorise`
        refuse the caller (before the version check, so a caller who may not act learns
        nothing of versions); check and bump the version; hand the change to the route."""
        async with self.session.begin():
            found = await self._locked(aggregate, key, where)
            if authorise is not None:
                refused = authorise(found)
                if inspect.isawaitable(refused):
                    await refused
            current = getattr(found, aggregate.version_field)
            check_version(aggregate.name, current=current, expected=expected_version)
            bump_version(found, aggregate.version_field)
            self.session.add(found)
            yield Change(self.session, self.outbox, self.clock, self.clock.now(), found)

    async def _locked(
        self, aggregate: Aggregate[A], key: str, where: tuple[ColumnElement[bool], ...]
    ) -> A:
        query = (
            select(aggregate.model)
            .where(getattr(aggregate.model, aggregate.key) == key, *where)
            .with_for_update(of=aggregate.model)
            # A row this session read before is read again, under the lock.
            .execution_options(populate_existing=True)
        )
        found = (await self.session.scalars(query)).first()
        if found is None:
            raise DomainError(aggregate.not_found, f"no {_noun(aggregate.name)} {key}")
        return found


def _noun(name: str) -> str:
    return name.removeprefix("the ")


async def _commands(session: SessionDep, outbox: OutboxDep, clock: ClockDep) -> Commands:
    # Not `Depends(Commands)`: FastAPI would build the class in a worker thread.
    return Commands(session, outbox, clock)


CommandsDep = Annotated[Commands, Depends(_commands)]
