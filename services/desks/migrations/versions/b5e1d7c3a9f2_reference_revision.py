"""reference revision: intake keeps the catalog, approval rules and calendars per process

Revision ID: b5e1d7c3a9f2
Revises: a4c7e9b1d3f5
Create Date: 2026-12-02 07:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'b5e1d7c3a9f2'
down_revision: str | None = 'a4c7e9b1d3f5'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('reference_revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    # The one row every change of the reference data bumps (services/desks/reference.py).
    op.execute("INSERT INTO reference_revision (id, revision) VALUES (1, 0)")


def downgrade() -> None:
    op.drop_table('reference_revision')
