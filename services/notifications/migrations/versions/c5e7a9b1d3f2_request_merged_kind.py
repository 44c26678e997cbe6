"""the request merged kind, on for everyone registered before it

As with the kinds before it: a person's `kinds` are the kinds they want and a new
person gets every kind, so `request_merged` (a desk merged a duplicate) starts on for
the people registered earlier too; each can turn it off in the preferences.

Revision ID: c5e7a9b1d3f2
Revises: a9c4e1f7b3d2
Create Date: 2026-12-01 23:10:00.000000
"""

import json
from collections.abc import Callable, Sequence

import sqlalchemy as sa

from alembic import op


revision: str = 'c5e7a9b1d3f2'
down_revision: str | None = 'a9c4e1f7b3d2'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW_KIND = "request_merged"
person = sa.table("person", sa.column("key", sa.String), sa.column("kinds", sa.JSON))


def upgrade() -> None:
    _each_person(lambda kinds: kinds if NEW_KIND in kinds else [*kinds, NEW_KIND])


def downgrade() -> None:
    _each_person(lambda kinds: [kind for kind in kinds if kind != NEW_KIND])


def _each_person(change: Callable[[list[str]], list[str]]) -> None:
    connection = op.get_bind()
    for key, kinds in connection.execute(sa.select(person.c.key, person.c.kinds)).all():
        stored = json.loads(kinds) if isinstance(kinds, str) else list(kinds)
        connection.execute(
            person.update().where(person.c.key == key).values(kinds=change(stored))
        )
