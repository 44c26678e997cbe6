"""insights: the months each 3W line was active in (who_does_what_span)

What a 3W window's count of lines reads: a few runs of months per line instead of a
row per line and month. Filled here from the monthly aggregate it is derived from, so
no rebuild is needed; the consumer keeps it in step after (store._respan).

Revision ID: 5a7c3e91b2d4
Revises: ed8c5110634f
Create Date: 2026-12-02 06:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op
from services.insights.store import TOTAL_KEY_COLUMNS, span_rows

revision: str = '5a7c3e91b2d4'
down_revision: str | None = 'ed8c5110634f'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


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
    keys = ", ".join(TOTAL_KEY_COLUMNS)
    monthly = op.get_bind().execute(
        sa.text(f"SELECT {keys}, start_month, end_month, region FROM who_does_what ORDER BY {keys}")
    )
    rows = span_rows(monthly)
    for offset in range(0, len(rows), 2000):
        op.bulk_insert(span, rows[offset : offset + 2000])


def downgrade() -> None:
    op.drop_table('who_does_what_span')
