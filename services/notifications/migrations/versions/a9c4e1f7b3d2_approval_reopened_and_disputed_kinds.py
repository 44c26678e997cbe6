"""approval, reopened and disputed kinds, on for everyone registered before them

A person's `kinds` are the kinds they want, and a new person gets every kind; so the
four new kinds (a request awaits approval, an approval was decided, a client reopened
a request, disputed a delivery) start on for the people registered before them too
(each can turn them off in the preferences).

Revision ID: a9c4e1f7b3d2
Revises: 7f28b9fd3a38
Create Date: 2026-12-01 20:30:00.000000
"""

import json
from collections.abc import Callable, Sequence

import sqlalchemy as sa

from alembic import op


revision: str = 'a9c4e1f7b3d2'
down_revision: str | None = '7f28b9fd3a38'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW_KINDS = ["approval_requested", "approval_decided", "request_reopened", "delivery_disputed"]
person = sa.table("person", sa.column("key", sa.String), sa.column("kinds", sa.JSON))


def upgrade() -> None:
    _each_person(lambda kinds: [*kinds, *(kind for kind in NEW_KINDS if kind not in kinds)])


def downgrade() -> None:
    _each_person(lambda kinds: [kind for kind in kinds if kind not in NEW_KINDS])


def _each_person(change: Callable[[list[str]], list[str]]) -> None:
    connection = op.get_bind()
    for key, kinds in connection.execute(sa.select(person.c.key, person.c.kinds)).all():
        stored = json.loads(kinds) if isinstance(kinds, str) else list(kinds)
        connection.execute(
            person.update().where(person.c.key == key).values(kinds=change(stored))
        )
