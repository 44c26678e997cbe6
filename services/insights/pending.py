"""The derived work of a batch of events, done once at its end.

A handler changes the fact an event is about and leaves the rest here (`later`): the
request whose lines and figures must be derived again, the counts its change moves
(a product's monthly supply, unmet demand). They are done together, each request
derived once however many of its events the batch holds and one statement per table
for the whole batch (store.refresh_requests, store.apply_counts), right before the
first statement that is not the handlers' own (`FACTS_ONLY`): the consumer's inbox
INSERT at the batch's end, or any read of the derived tables in the same transaction;
and at the latest before the transaction commits.

Lines and figures are a function of the facts alone, and the counts are sums, so doing
them once after several events gives what doing them after each event gave.

A failure anywhere in a batch rolls the consumer's whole transaction back (work left
here included) and the consumer applies the batch again in a new one, each event in
its own savepoint. From a transaction's first savepoint on, work is done at once, in
the handler, inside that event's savepoint: an error while deriving is that event's own
(retried, then dead-lettered), and a savepoint that rolls back takes only its event's
work along.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import event as sa_event
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from services.insights.store import Counts, apply_counts, refresh_requests
from shared.db import AsyncSession

_PENDING = "insights.pending"
_AT_ONCE = "insights.derive_at_once"

# The execution option of the handlers' own statements: they read and write facts, and
# none of the derived tables the pending work writes, so that work can wait past them.
FACTS_ONLY = {"insights_facts_only": True}


@dataclass
class _Work:
    requests: set[str] = field(default_factory=set)
    before: Counts = field(default_factory=list)
    after: Counts = field(default_factory=list)


async def later(
    session: AsyncSession,
    request_id: str | None = None,
    *,
    before: Counts | None = None,
    after: Counts | None = None,
) -> None:
    """Derive the request's lines and figures again, and move the aggregates from the
    contributions `before` to `after`, at the batch's end (or now, see above)."""
    info = session.sync_session.info
    work = _Work() if info.get(_AT_ONCE) else info.setdefault(_PENDING, _Work())
    if request_id is not None:
        work.requests.add(request_id)
    work.before += before or []
    work.after += after or []
    if info.get(_AT_ONCE):
        await session.run_sync(_do, work)


def _do(session: Session, work: _Work) -> None:
    session.flush()  # the facts the ORM holds, for the Core reads of the derivation
    refresh_requests(session, work.requests)
    apply_counts(session, work.before, work.after)


def _do_pending(session: Session) -> None:
    work: _Work | None = session.info.pop(_PENDING, None)
    if work is not None:  # taken out first: the statements it runs come back here
        _do(session, work)


@sa_event.listens_for(Session, "do_orm_execute")
def _before_a_statement(state: ORMExecuteState) -> None:
    if _PENDING in state.session.info and not state.execution_options.get("insights_facts_only"):
        _do_pending(state.session)


@sa_event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    _do_pending(session)


@sa_event.listens_for(Session, "after_transaction_create")
def _at_a_savepoint(session: Session, transaction: SessionTransaction) -> None:
    """Savepoints isolate events from each other: from the first on, derive at once."""
    if transaction.nested:
        session.info[_AT_ONCE] = True


@sa_event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
        session.info.pop(_AT_ONCE, None)
