"""follows of themes, countries and regions, and their two kinds on for everyone

A person follows a theme, a country or a region (`follow`) and hears of its lessons
(`known_lesson` keeps a published lesson's terms) and of its requests (`known_request`
now keeps their country and region); `known_term` is what may be followed. The two new
kinds start on for the people registered before them, as a new person gets every kind.

Revision ID: b5d2f8a1c6e4
Revises: c5e7a9b1d3f2
Create Date: 2026-12-02 00:00:00.000000
"""

import json
from collections.abc import Callable, Sequence

import sqlalchemy as sa
import sqlmodel

import shared.db
from alembic import op


revision: str = 'b5d2f8a1c6e4'
down_revision: str | None = 'c5e7a9b1d3f2'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW_KINDS = ["followed_lesson_changed", "followed_request_changed"]
person = sa.table("person", sa.column("key", sa.String), sa.column("kinds", sa.JSON))


def upgrade() -> None:
    op.create_table('follow',
    sa.Column('person_key', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_key'], ['person.key'], ),
    sa.PrimaryKeyConstraint('person_key', 'kind', 'code')
    )
    with op.batch_alter_table('follow', schema=None) as batch_op:
        batch_op.create_index('ix_follow_kind_code', ['kind', 'code'], unique=False)
    op.create_table('known_lesson',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('themes', sa.JSON(), nullable=False),
    sa.Column('countries', sa.JSON(), nullable=False),
    sa.Column('regions', sa.JSON(), nullable=False),
    sa.Column('sensitivity', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('known_term',
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.PrimaryKeyConstraint('kind', 'code')
    )
    with op.batch_alter_table('known_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('country', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True))
        batch_op.add_column(sa.Column('region', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
    _each_person(lambda kinds: [*kinds, *(kind for kind in NEW_KINDS if kind not in kinds)])


def downgrade() -> None:
    _each_person(lambda kinds: [kind for kind in kinds if kind not in NEW_KINDS])
    with op.batch_alter_table('known_request', schema=None) as batch_op:
        batch_op.drop_column('region')
        batch_op.drop_column('country')
    op.drop_table('known_term')
    op.drop_table('known_lesson')
    with op.batch_alter_table('follow', schema=None) as batch_op:
        batch_op.drop_index('ix_follow_kind_code')
    op.drop_table('follow')


def _each_person(change: Callable[[list[str]], list[str]]) -> None:
    connection = op.get_bind()
    for key, kinds in connection.execute(sa.select(person.c.key, person.c.kinds)).all():
        stored = json.loads(kinds) if isinstance(kinds, str) else list(kinds)
        connection.execute(
            person.update().where(person.c.key == key).values(kinds=change(stored))
        )
