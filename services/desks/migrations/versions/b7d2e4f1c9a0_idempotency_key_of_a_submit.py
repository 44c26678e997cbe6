"""idempotency key of a submit: a client's retry returns the request it first stored

Revision ID: b7d2e4f1c9a0
Revises: a338e9e6afef
Create Date: 2026-12-01 11:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op


revision: str = 'b7d2e4f1c9a0'
down_revision: str | None = 'a338e9e6afef'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Requests stored before this revision have no key; NULLs never collide. A plain
    # column and a unique index: no table rebuild on SQLite.
    op.add_column('service_request', sa.Column('idempotency_key', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))
    op.create_index('uq_service_request_idempotency', 'service_request', ['submitted_by', 'idempotency_key'], unique=True)


def downgrade() -> None:
    op.drop_index('uq_service_request_idempotency', table_name='service_request')
    with op.batch_alter_table('service_request', schema=None) as batch_op:
        batch_op.drop_column('idempotency_key')
