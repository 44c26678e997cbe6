"""insights: the months each 3W line was active in (who_does_what_span)

What a 3W window's count of lines reads: a few runs of months per line instead of a
row per line and month. Filled here from the monthly aggregate it is derived from, so
no rebuild is needed; the consumer keeps it in step after (store._respan). The fill is
written out here rather than imported from the service (store.span_rows), so that a
later change to the service's code cannot change what this revision did.

Revision ID: 5a7c3e91b2d4
Revises: ed8c5110634f
Create Date: 2026-12-02 06:45:00.000000
"""

import itertools
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = '5a7c3e91b2d4'
down_revision: str | None = 'ed8c5110634f'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# A 3W line's all-time key, and the end month of a line still active.
KEY_COLUMNS = ("country", "desk_code", "party_kind", "party", "product_code", "client_code", "status")
OPEN = ""


def upgrade() -> None:
    span = op.create_table('who_does_what_span',
    sa.Column('country', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('desk_code', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('party_kind', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('party', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('product_code', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('client_code', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('start_month', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('end_month', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('region', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.PrimaryKeyConstraint('country', 'desk_code', 'party_kind', 'party', 'product_code', 'client_code', 'status', 'start_month')
    )
    keys = ", ".join(KEY_COLUMNS)
    monthly = op.get_bind().execute(
        sa.text(f"SELECT {keys}, start_month, end_month, region FROM who_does_what ORDER BY {keys}")
    )
    rows = span_rows(monthly)
    for offset in range(0, len(rows), 2000):
        op.bulk_insert(span, rows[offset : offset + 2000])


def span_rows(monthly: Iterable[Sequence[Any]]) -> list[dict[str, Any]]:
    """Monthly rows (key..., start month, end month, region), in key order, as span rows:
    each line's months merged into maximal runs of consecutive months."""
    width = len(KEY_COLUMNS)
    rows: list[dict[str, Any]] = []
    for key, group in itertools.groupby(monthly, key=lambda row: tuple(row[:width])):
        months = [tuple(row[width:]) for row in group]
        identity = dict(zip(KEY_COLUMNS, key, strict=True))
        rows += [
            {**identity, "start_month": start, "end_month": end, "region": months[0][2]}
            for start, end in active_spans((start, end) for start, end, _ in months)
        ]
    return rows


def active_spans(months: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    spans: list[tuple[str, str]] = []
    for start, end in sorted(months):
        if spans and (spans[-1][1] == OPEN or start <= next_month(spans[-1][1])):
            held = spans[-1][1]
            spans[-1] = (spans[-1][0], OPEN if OPEN in (held, end) else max(held, end))
        else:
            spans.append((start, end))
    return spans


def next_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:])
    return f"{year + 1:04d}-01" if number == 12 else f"{year:04d}-{number + 1:02d}"


def downgrade() -> None:
    op.drop_table('who_does_what_span')
