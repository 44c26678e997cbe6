"""language of a lesson, and the original a translation links to

Revision ID: b5d8f0a2c4e6
Revises: c3e8a1d5b7f2
Create Date: 2026-12-01 23:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op


revision: str = 'b5d8f0a2c4e6'
down_revision: str | None = 'c3e8a1d5b7f2'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Lessons written before languages were recorded are English (the repository's
    # working language until now): the server default fills them in, and each gets its
    # `language` facet row so that search and feeds filter and count them like new ones.
    # Not in batch mode: on SQLite that rebuilds the table, dropping the full-text triggers.
    op.add_column('lesson', sa.Column('language', sa.String(length=8), server_default='en', nullable=False))
    op.add_column('lesson', sa.Column('translation_of', sa.String(length=36), nullable=True))
    op.create_index('ix_lesson_translation_of', 'lesson', ['translation_of'], unique=False)
    op.execute(
        "INSERT INTO lesson_tag (lesson_id, facet, value) "
        "SELECT id, 'language', language FROM lesson"
    )


def downgrade() -> None:
    op.execute("DELETE FROM lesson_tag WHERE facet = 'language'")
    op.drop_index('ix_lesson_translation_of', table_name='lesson')
    with op.batch_alter_table('lesson', schema=None) as batch_op:
        batch_op.drop_column('translation_of')
        batch_op.drop_column('language')
