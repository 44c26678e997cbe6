"""The reference data intake reads for every request, kept per process.

The catalog copy, the approval rules and the desks' calendars change rarely (a
`ProductCataloged` event, an admin's edit) and are read by every submit. Each process
keeps them, labelled with the `reference_revision` they were read at; every flush
that adds, changes or deletes one of their rows bumps that revision in the same
transaction (whichever route, handler, seed or replica makes the change). Intake reads
the revision as one more column of its client-and-desk query and reads the data again
only when it moved, so an edit applies to the next request, in every replica, as when
every submit read the tables.

Read in the transaction that saw the revision, the kept data is never older than its
label (under PostgreSQL's read committed it may be newer, and then the next request
sees a newer revision and reads it again).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, ScalarSelect, select, update
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session
from sqlmodel import col

from services.desks import domain
from services.desks.calendars import DeskWorkingTime
from services.desks.clocks import working_time
from services.desks.models import ApprovalRule, CatalogProduct, DeskCalendar, ReferenceRevision
from services.desks.store import rule_spec
from shared.db import AsyncSession

# The tables whose rows the kept data is made of.
KEPT_MODELS = (CatalogProduct, ApprovalRule, DeskCalendar)


@dataclass(frozen=True)
class ReferenceData:
    revision: int
    catalog: dict[str, domain.KnownProduct]
    active_rules: list[domain.ApprovalRuleSpec]
    working_times: dict[str, DeskWorkingTime]

    def catalog_of(self, codes: Iterable[str]) -> dict[str, domain.KnownProduct]:
        """The catalog entries for these codes (unknown codes are absent)."""
        return {code: self.catalog[code] for code in codes if code in self.catalog}

    def working_time_of(self, desk_code: str) -> DeskWorkingTime:
        return self.working_times.get(desk_code) or working_time(None)


def revision_column() -> ScalarSelect[Any]:
    """The current revision, as a column to add to a query intake makes anyway."""
    return select(col(ReferenceRevision.revision)).scalar_subquery()


# Per database (each engine), so services and tests sharing a process keep apart.
_KEPT: weakref.WeakKeyDictionary[Engine, ReferenceData] = weakref.WeakKeyDictionary()


async def reference_data(session: AsyncSession, revision: int) -> ReferenceData:
    """The reference data at `revision` (read in this transaction), kept or read anew."""
    engine = session.sync_session.get_bind()
    assert isinstance(engine, Engine)
    kept = _KEPT.get(engine)
    if kept is not None and kept.revision == revision:
        return kept
    products = (await session.scalars(select(CatalogProduct))).all()
    rules = (await session.scalars(select(ApprovalRule).where(col(ApprovalRule.active)))).all()
    calendars = (await session.scalars(select(DeskCalendar))).all()
    kept = ReferenceData(
        revision=revision,
        catalog={
            row.code: domain.KnownProduct(row.code, row.active, row.request_form)
            for row in products
        },
        active_rules=[rule_spec(rule) for rule in rules],
        working_times={calendar.desk_code: working_time(calendar) for calendar in calendars},
    )
    _KEPT[engine] = kept
    return kept


@sa_event.listens_for(Session, "before_flush")
def _bump_on_change(session: Session, _context: Any, _instances: Any) -> None:
    """A flush that writes a row of the kept data bumps the revision with it."""
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(row, KEPT_MODELS) for row in changed):
        session.execute(
            update(ReferenceRevision)
            .values(revision=col(ReferenceRevision.revision) + 1)
            .execution_options(synchronize_session=False)
        )
