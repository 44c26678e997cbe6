"""What this process remembers of rows that never change once committed: a request's
facts (its client, desk, title, country and region; not its owner, which moves) and
the terms known to be followable (a set nothing deletes from).

Most events name a request the service already knows, and a notification needs its
title; reading it once per process instead of once per event saves a query per event.
A fact is remembered only when the transaction that read or wrote it commits, so a
batch that rolls back (a request inserted and then undone) leaves nothing behind, and
another replica's rows are read from the database the first time. Remembering
committed facts is safe across replicas because no statement changes them: a request
first heard of by its assignment keeps the empty title it was inserted with, as before.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session, SessionTransaction
from sqlmodel import col

from services.notifications.models import KnownRequest
from services.notifications.recording import READS_NO_KEPT_ROWS
from shared.db import AsyncSession, began_within

# About 300 bytes each: 20 000 requests in flight cost a few megabytes.
MAX_REMEMBERED_REQUESTS = 20_000


@dataclass(frozen=True)
class RequestFacts:
    id: str
    client_code: str
    desk_code: str
    title: str
    country: str | None
    region: str | None


class _Remembered:
    """The committed facts of this process, the least recently used forgotten first."""

    def __init__(self) -> None:
        self.requests: OrderedDict[str, RequestFacts] = OrderedDict()
        self.terms: set[tuple[str, str]] = set()

    def request(self, request_id: str) -> RequestFacts | None:
        facts = self.requests.get(request_id)
        if facts is not None:
            self.requests.move_to_end(request_id)
        return facts

    def add(self, value: RequestFacts | tuple[str, str]) -> None:
        if isinstance(value, RequestFacts):
            self.requests[value.id] = value
            self.requests.move_to_end(value.id)
            while len(self.requests) > MAX_REMEMBERED_REQUESTS:
                self.requests.popitem(last=False)
        else:
            self.terms.add(value)


# Per database (its engine): the tests, and a process that opens another database,
# never read one database's facts for another's.
_BY_ENGINE: weakref.WeakKeyDictionary[Engine, _Remembered] = weakref.WeakKeyDictionary()


def _remembered(session: Session) -> _Remembered:
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    found = _BY_ENGINE.get(engine)
    if found is None:
        found = _BY_ENGINE[engine] = _Remembered()
    return found


_SEEN = "notifications.seen_facts"
_Seen = tuple[SessionTransaction | None, RequestFacts | tuple[str, str]]

_FACTS = select(
    col(KnownRequest.id),
    col(KnownRequest.client_code),
    col(KnownRequest.desk_code),
    col(KnownRequest.title),
    col(KnownRequest.country),
    col(KnownRequest.region),
).execution_options(**READS_NO_KEPT_ROWS)


def seen(session: AsyncSession, value: RequestFacts | tuple[str, str]) -> None:
    """Remember this request's facts, or this known term, once the transaction commits."""
    sync_session = session.sync_session
    noted: list[_Seen] = sync_session.info.setdefault(_SEEN, [])
    noted.append((sync_session.get_nested_transaction(), value))


async def request_facts(session: AsyncSession, request_id: str) -> RequestFacts | None:
    """The request's facts, from this process's memory or from the database."""
    facts = _remembered(session.sync_session).request(request_id)
    if facts is not None:
        return facts
    row = (await session.execute(_FACTS.where(col(KnownRequest.id) == request_id))).first()
    if row is None:
        return None
    facts = RequestFacts(*row)
    seen(session, facts)
    return facts


def known_terms(session: AsyncSession, terms: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """Those of these terms (kind, code) this process knows to be committed."""
    remembered = _remembered(session.sync_session).terms
    return {term for term in terms if term in remembered}


@sa_event.listens_for(Session, "after_commit")
def _remember(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint released: not committed until its outer transaction is
    noted: list[_Seen] | None = session.info.pop(_SEEN, None)
    if not noted:
        return
    remembered = _remembered(session)
    for _, value in noted:
        remembered.add(value)


@sa_event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, previous: SessionTransaction) -> None:
    """What was seen in a rolled-back transaction or savepoint is not remembered."""
    noted: list[_Seen] | None = session.info.get(_SEEN)
    if noted:
        noted[:] = [entry for entry in noted if not began_within(entry[0], previous)]


@sa_event.listens_for(Session, "after_transaction_end")
def _end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_SEEN, None)
