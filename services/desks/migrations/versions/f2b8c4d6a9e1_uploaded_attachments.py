"""uploaded attachments: blob key, hash, scan verdict, internal flag

Revision ID: f2b8c4d6a9e1
Revises: f2b8d4a6c1e3
Create Date: 2026-12-01 23:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op


revision: str = 'f2b8c4d6a9e1'
down_revision: str | None = 'f2b8d4a6c1e3'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing rows are references: no blob, no scan, visible to the client as before.
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('storage_key', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('sha256', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('scan_status', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('internal', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_column('internal')
        batch_op.drop_column('scan_status')
        batch_op.drop_column('sha256')
        batch_op.drop_column('storage_key')
