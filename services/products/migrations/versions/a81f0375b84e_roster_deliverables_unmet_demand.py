"""engagement origin and dates, deliverables, expert roster, unmet demand

Engagements keep the client kind, region and description of the routed request
(EngagementDelivered carries them), who decided and when it was accepted and
delivered; products remember who last edited them (the seed or an admin).

Revision ID: a81f0375b84e
Revises: 3b767dafe51f
Create Date: 2026-11-29 06:47:02.986381
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import shared.db
from alembic import op


revision: str = 'a81f0375b84e'
down_revision: str | None = '3b767dafe51f'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('expert',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('skills', sa.JSON(), nullable=False),
    sa.Column('languages', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('unmet_demand',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('product_code', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('client_code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('client_kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('country', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('region', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('desk_code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('reason_code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('recorded_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('recorded_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('request_id', 'product_code')
    )
    with op.batch_alter_table('unmet_demand', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unmet_demand_product_code'), ['product_code'], unique=False)

    op.create_table('assignment',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('engagement_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('expert_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('assigned_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('assigned_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['engagement_id'], ['engagement.id'], ),
    sa.ForeignKeyConstraint(['expert_id'], ['expert.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignment_engagement_id'), ['engagement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assignment_expert_id'), ['expert_id'], unique=False)

    op.create_table('deliverable',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('engagement_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('delivered_on', sa.Date(), nullable=False),
    sa.Column('recorded_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('recorded_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['engagement_id'], ['engagement.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('deliverable', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deliverable_engagement_id'), ['engagement_id'], unique=False)

    op.create_table('expert_availability',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('expert_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['expert_id'], ['expert.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('expert_availability', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_expert_availability_expert_id'), ['expert_id'], unique=False)

    with op.batch_alter_table('engagement', schema=None) as batch_op:
        # Engagements opened before this revision did not keep where the request came
        # from; they read as blank (the routed request's copy is at the desk).
        batch_op.add_column(sa.Column('client_kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('region', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('description', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('decided_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch_op.add_column(sa.Column('accepted_at', shared.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('delivered_at', shared.db.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('product', schema=None) as batch_op:
        # Products that exist already came from the seed.
        batch_op.add_column(sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False, server_default='seed'))



def downgrade() -> None:
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.drop_column('updated_by')

    with op.batch_alter_table('engagement', schema=None) as batch_op:
        batch_op.drop_column('delivered_at')
        batch_op.drop_column('accepted_at')
        batch_op.drop_column('decided_by')
        batch_op.drop_column('description')
        batch_op.drop_column('region')
        batch_op.drop_column('client_kind')

    with op.batch_alter_table('expert_availability', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_expert_availability_expert_id'))

    op.drop_table('expert_availability')
    with op.batch_alter_table('deliverable', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deliverable_engagement_id'))

    op.drop_table('deliverable')
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assignment_expert_id'))
        batch_op.drop_index(batch_op.f('ix_assignment_engagement_id'))

    op.drop_table('assignment')
    with op.batch_alter_table('unmet_demand', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unmet_demand_product_code'))

    op.drop_table('unmet_demand')
    op.drop_table('expert')
