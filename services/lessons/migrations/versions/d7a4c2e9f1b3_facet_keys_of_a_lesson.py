"""facet keys of a lesson: its facet rows flattened, so search counts facets per combination

Revision ID: d7a4c2e9f1b3
Revises: b5d8f0a2c4e6
Create Date: 2026-12-02 01:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'd7a4c2e9f1b3'
down_revision: str | None = 'b5d8f0a2c4e6'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Each lesson's "facet:value" keys from its facet rows, sorted as store.facet_keys sorts
# them (by code point: SQLite's BINARY collation, PostgreSQL's "C").
BACKFILL = {
    "sqlite": (
        "UPDATE lesson SET facet_keys = (SELECT json_group_array(key) FROM ("
        "SELECT facet || ':' || value AS key FROM lesson_tag "
        "WHERE lesson_tag.lesson_id = lesson.id ORDER BY key))"
    ),
    "postgresql": (
        "UPDATE lesson SET facet_keys = coalesce((SELECT json_agg(facet || ':' || value "
        "ORDER BY facet || ':' || value COLLATE \"C\") FROM lesson_tag "
        "WHERE lesson_tag.lesson_id = lesson.id), '[]')"
    ),
}


def upgrade() -> None:
    # Not in batch mode: on SQLite that rebuilds the table, dropping the full-text triggers
    # (the update below does not fire them: it touches no indexed text).
    op.add_column('lesson', sa.Column('facet_keys', sa.JSON(), server_default='[]', nullable=False))
    op.execute(BACKFILL[op.get_bind().dialect.name])


def downgrade() -> None:
    op.drop_column('lesson', 'facet_keys')  # SQLite >= 3.35 drops it in place, triggers kept
