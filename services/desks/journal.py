"""A request's history rows (timeline entries, status changes), written in bulk.

Nothing in a transaction needs these rows back as objects, yet as ORM objects each
costs an INSERT … RETURNING of its own (their ids are generated). Here they are kept
beside the session and written with one bulk INSERT per table, each table's in the order
they were added, at the latest moment that still hides nothing:

- before a query of the session runs (after flushing the ORM's own pending changes, so
  the requests they point at exist), so a query in the same transaction sees them as it
  would see flushed objects; and before an UPDATE or DELETE of their own tables;
- before the transaction, or the savepoint they were added in, commits.

An UPDATE or DELETE of another table (a routing's status, an SLA clock stopped) does not
write them: it cannot read them (no statement of the desks reads these tables in a
subquery of an UPDATE or DELETE); nor does a query marked `READS_NO_KEPT_ROWS` (the
event handlers' read of a routing and its request). So the history rows of a whole
batch of events wait for its end and go in one INSERT per table.

A savepoint that rolls back takes the rows added in it along, as it would take ORM
objects (the event consumer applies a batch in savepoints).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy import event as sa_event
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from shared.db import AsyncSession, forget_kept_rows

_KEPT = "desks.journal_rows"

# (the transaction or savepoint the row was added in, its table, the row)
_Row = tuple[SessionTransaction | None, Table, dict[str, Any]]


def keep(session: AsyncSession, table: Table, rows: Iterable[dict[str, Any]]) -> None:
    """Add rows to `table` in the session's transaction (written in bulk, see above)."""
    sync_session = session.sync_session
    kept: list[_Row] = sync_session.info.setdefault(_KEPT, [])
    owner = sync_session.get_nested_transaction()
    kept.extend((owner, table, row) for row in rows)


def _write(session: Session) -> None:
    kept: list[_Row] | None = session.info.get(_KEPT)
    if not kept:
        return
    session.flush()  # the rows refer to requests the ORM may not have inserted yet
    by_table: dict[Table, list[dict[str, Any]]] = {}
    for _, table, row in kept:
        by_table.setdefault(table, []).append(row)
    kept.clear()
    # Straight on the session's connection: the ORM's execute adds its bulk-insert path
    # and this module's own listener to every one of these plain INSERTs.
    connection = session.connection()
    for table, rows in by_table.items():
        connection.execute(insert(table), rows)


# The execution option of a query that reads none of the kept rows' tables, not even in
# a subquery: the rows wait for a later statement (the event consumer's batch then
# writes its events' history rows together).
READS_NO_KEPT_ROWS = {"desks_reads_no_kept_rows": True}


@sa_event.listens_for(Session, "do_orm_execute")
def _before_a_statement(state: ORMExecuteState) -> None:
    if (state.is_update or state.is_delete or state.is_insert) and not _on_kept_table(state):
        return
    if state.is_select and state.execution_options.get("desks_reads_no_kept_rows"):
        return
    _write(state.session)


def _on_kept_table(state: ORMExecuteState) -> bool:
    kept: list[_Row] | None = state.session.info.get(_KEPT)
    if not kept:
        return False
    target = getattr(state.statement, "table", None)
    return any(table is target for _, table, _ in kept)


@sa_event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    _write(session)


@sa_event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    forget_kept_rows(session, transaction, _KEPT)
