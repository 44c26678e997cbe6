"""idempotency key of a draft: a writer's retried create returns the draft it first made

Revision ID: c3e8a1d5b7f2
Revises: 5754655331b6
Create Date: 2026-12-01 11:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op


revision: str = 'c3e8a1d5b7f2'
down_revision: str | None = '5754655331b6'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Lessons written before this revision have no key; NULLs never collide. Not in
    # batch mode: on SQLite that rebuilds the table, dropping the full-text triggers.
    op.add_column('lesson', sa.Column('idempotency_key', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))
    op.create_index('uq_lesson_idempotency', 'lesson', ['created_by', 'idempotency_key'], unique=True)


def downgrade() -> None:
    op.drop_index('uq_lesson_idempotency', table_name='lesson')
    with op.batch_alter_table('lesson', schema=None) as batch_op:
        batch_op.drop_column('idempotency_key')
