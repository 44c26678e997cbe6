"""business calendars of the desks, and SLA clocks in working time

Revision ID: a9c4e2f7b3d1
Revises: e7a3c5d9f1b4
Create Date: 2026-12-01 23:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import shared.db
from alembic import op


revision: str = 'a9c4e2f7b3d1'
down_revision: str | None = 'e7a3c5d9f1b4'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_clock = sa.table(
    'sla_clock',
    sa.column('request_id', sa.String),
    sa.column('clock', sa.String),
    sa.column('due_at', shared.db.UTCDateTime(timezone=True)),
    sa.column('target_s', sa.Float),
    sa.column('counted_from', shared.db.UTCDateTime(timezone=True)),
)
_request = sa.table(
    'service_request',
    sa.column('id', sa.String),
    sa.column('created_at', shared.db.UTCDateTime(timezone=True)),
)


def upgrade() -> None:
    op.create_table('desk_calendar',
    sa.Column('desk_code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('time_zone', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('working_hours', sa.JSON(), nullable=False),
    sa.Column('holidays', sa.JSON(), nullable=False),
    sa.Column('around_the_clock', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.ForeignKeyConstraint(['desk_code'], ['desk.code'], ),
    sa.PrimaryKeyConstraint('desk_code')
    )
    with op.batch_alter_table('sla_clock', schema=None) as batch_op:
        batch_op.add_column(sa.Column('target_s', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('elapsed_s', sa.Float(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('counted_from', shared.db.UTCDateTime(timezone=True), nullable=True))
    _backfill_progress()
    with op.batch_alter_table('sla_clock', schema=None) as batch_op:
        batch_op.alter_column('target_s', existing_type=sa.Float(), nullable=False)
        batch_op.alter_column('counted_from', existing_type=shared.db.UTCDateTime(timezone=True), nullable=False)
        batch_op.alter_column('elapsed_s', existing_type=sa.Float(), server_default=None)


def _backfill_progress() -> None:
    """Clocks from before calendars ran around the clock: each counts from its request's
    submission towards its due time (which already holds the holds' and approvals'
    waits), so its due time and what is left are the same as before."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(_clock.c.request_id, _clock.c.clock, _clock.c.due_at, _request.c.created_at)
        .join(_request, _request.c.id == _clock.c.request_id)
    ).all()
    for request_id, clock, due_at, created_at in rows:
        bind.execute(
            _clock.update()
            .where(_clock.c.request_id == request_id, _clock.c.clock == clock)
            .values(target_s=(due_at - created_at).total_seconds(), counted_from=created_at)
        )


def downgrade() -> None:
    with op.batch_alter_table('sla_clock', schema=None) as batch_op:
        batch_op.drop_column('counted_from')
        batch_op.drop_column('elapsed_s')
        batch_op.drop_column('target_s')
    op.drop_table('desk_calendar')
