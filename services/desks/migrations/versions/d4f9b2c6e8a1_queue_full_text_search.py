"""queue full-text search

The searchable text of each request (`request_search_text`, backfilled from the
requests and comments already stored) and its index, which is not in the models
(see services/desks/search.py): on SQLite an external-content FTS5 table kept in
sync by triggers; on PostgreSQL a generated, weighted tsvector column (public text
A, internal notes D) with a GIN index. A later migration that makes SQLite rebuild
`request_search_text` (batch mode) drops its triggers and may renumber its rowids:
it must run SQLITE_SEARCH_DOWN and SQLITE_SEARCH_UP again.

Revision ID: d4f9b2c6e8a1
Revises: 96b2b41ea5c6
Create Date: 2026-12-01 20:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op


revision: str = 'd4f9b2c6e8a1'
down_revision: str | None = '96b2b41ea5c6'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('request_search_text',
    sa.Column('request_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('public_text', sa.Text(), nullable=False),
    sa.Column('internal_text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['service_request.id'], ),
    sa.PrimaryKeyConstraint('request_id')
    )
    for statement in _backfill() + _search_ddl(up=True):
        op.execute(statement)


def downgrade() -> None:
    for statement in _search_ddl(up=False):
        op.execute(statement)
    op.drop_table('request_search_text')


def _backfill() -> list[str]:
    """Every stored request's text: title, description, then its comments oldest first."""
    if op.get_bind().dialect.name == "postgresql":
        newline, joined = "E'\\n'", "string_agg(body, E'\\n' ORDER BY created_at, id)"
    else:
        newline, joined = "char(10)", "group_concat(body, char(10))"

    def comments(internal: str) -> str:
        return (
            f"coalesce((SELECT {joined} FROM comment WHERE comment.request_id = "
            f"service_request.id AND comment.internal = {internal}), '')"
        )

    return [
        "INSERT INTO request_search_text (request_id, public_text, internal_text) "
        f"SELECT id, title || {newline} || description || {newline} || {comments('false')}, "
        f"{comments('true')} FROM service_request"
    ]


SQLITE_SEARCH_UP = [
    "CREATE VIRTUAL TABLE request_search_fts USING fts5(public_text, internal_text, "
    "content='request_search_text', content_rowid='rowid', "
    "tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER request_search_fts_insert AFTER INSERT ON request_search_text BEGIN "
    "INSERT INTO request_search_fts(rowid, public_text, internal_text) "
    "VALUES (new.rowid, new.public_text, new.internal_text); END",
    "CREATE TRIGGER request_search_fts_delete AFTER DELETE ON request_search_text BEGIN "
    "INSERT INTO request_search_fts(request_search_fts, rowid, public_text, internal_text) "
    "VALUES ('delete', old.rowid, old.public_text, old.internal_text); END",
    "CREATE TRIGGER request_search_fts_update AFTER UPDATE OF public_text, internal_text "
    "ON request_search_text BEGIN "
    "INSERT INTO request_search_fts(request_search_fts, rowid, public_text, internal_text) "
    "VALUES ('delete', old.rowid, old.public_text, old.internal_text); "
    "INSERT INTO request_search_fts(rowid, public_text, internal_text) "
    "VALUES (new.rowid, new.public_text, new.internal_text); END",
    "INSERT INTO request_search_fts(request_search_fts) VALUES ('rebuild')",
]
SQLITE_SEARCH_DOWN = [
    "DROP TRIGGER IF EXISTS request_search_fts_update",
    "DROP TRIGGER IF EXISTS request_search_fts_delete",
    "DROP TRIGGER IF EXISTS request_search_fts_insert",
    "DROP TABLE IF EXISTS request_search_fts",
]
POSTGRES_SEARCH_UP = [
    "ALTER TABLE request_search_text ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('english', public_text), 'A') || "
    "setweight(to_tsvector('english', internal_text), 'D')) STORED",
    "CREATE INDEX ix_request_search_text_vector ON request_search_text "
    "USING gin (search_vector)",
]
POSTGRES_SEARCH_DOWN = [
    "DROP INDEX IF EXISTS ix_request_search_text_vector",
    "ALTER TABLE request_search_text DROP COLUMN IF EXISTS search_vector",
]


def _search_ddl(*, up: bool) -> list[str]:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        return SQLITE_SEARCH_UP if up else SQLITE_SEARCH_DOWN
    if dialect == "postgresql":
        return POSTGRES_SEARCH_UP if up else POSTGRES_SEARCH_DOWN
    raise NotImplementedError(f"no request search for {dialect}")
