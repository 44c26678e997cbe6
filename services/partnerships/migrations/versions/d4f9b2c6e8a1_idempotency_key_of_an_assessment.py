"""idempotency key of an assessment: an opener's retry returns the assessment it first opened

Revision ID: d4f9b2c6e8a1
Revises: 6303670b68b0
Create Date: 2026-12-01 11:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op


revision: str = 'd4f9b2c6e8a1'
down_revision: str | None = '6303670b68b0'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Assessments opened before this revision have no key; NULLs never collide.
    op.add_column('joint_assessment', sa.Column('idempotency_key', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))
    op.create_index('uq_joint_assessment_idempotency', 'joint_assessment', ['opened_by', 'idempotency_key'], unique=True)


def downgrade() -> None:
    op.drop_index('uq_joint_assessment_idempotency', table_name='joint_assessment')
    with op.batch_alter_table('joint_assessment', schema=None) as batch_op:
        batch_op.drop_column('idempotency_key')
