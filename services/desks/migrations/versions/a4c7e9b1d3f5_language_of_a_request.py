"""language of a request

Revision ID: a4c7e9b1d3f5
Revises: f2b8c4d6a9e1
Create Date: 2026-12-01 23:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op


revision: str = 'a4c7e9b1d3f5'
down_revision: str | None = 'f2b8c4d6a9e1'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Requests submitted before languages were recorded were written for English-speaking
    # desks: the server default fills them in as English.
    with op.batch_alter_table('service_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), server_default='en', nullable=False))
        batch_op.create_index(batch_op.f('ix_service_request_language'), ['language'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('service_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_request_language'))
        batch_op.drop_column('language')
