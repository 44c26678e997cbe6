"""linked requests: a request's parent, its status derived from its children, the
request it was merged into

Revision ID: f2b8d4a6c1e3
Revises: a9c4e2f7b3d1
Create Date: 2026-12-01 23:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op


revision: str = 'f2b8d4a6c1e3'
down_revision: str | None = 'a9c4e2f7b3d1'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE, not a batch: in a batch, SQLite would rebuild service_request for
    # the expression default (false()), and dropping the old table fails once clocks
    # and comments refer to its rows (and would drop the queue search's triggers).
    op.add_column(
        'service_request',
        sa.Column('parent_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    )
    op.add_column(
        'service_request',
        sa.Column(
            'derives_status_from_children', sa.Boolean(), server_default=sa.false(), nullable=False
        ),
    )
    op.add_column(
        'service_request',
        sa.Column('merged_into_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    )
    op.create_index('ix_service_request_parent_id', 'service_request', ['parent_id'])
    op.create_index('ix_service_request_merged_into_id', 'service_request', ['merged_into_id'])


def downgrade() -> None:
    with op.batch_alter_table('service_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_request_merged_into_id'))
        batch_op.drop_index(batch_op.f('ix_service_request_parent_id'))
        batch_op.drop_column('merged_into_id')
        batch_op.drop_column('derives_status_from_children')
        batch_op.drop_column('parent_id')
