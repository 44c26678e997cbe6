"""search vector kept in the lesson's row, compressed: search reads no TOAST table

A lesson's title, summary and body with its weighted tsvector pass PostgreSQL's 2 kB
row threshold, so the vector (the largest value) went out of line: every match of a
search, and every row of a broad one's scan, then read the TOAST index and table to
rank or test it (ten times the buffers of the row itself). MAIN storage keeps it in
the row, compressed (the body goes out of line first, which only the page's lessons
read), with lz4 where the server has it (faster to decompress than pglz). Stored
vectors follow a new setting only when rewritten: the no-op update recomputes them.
SQLite: nothing to do (FTS5 keeps its index in tables of its own).

Revision ID: e2c6b9d4a8f0
Revises: d7a4c2e9f1b3
Create Date: 2026-12-02 02:15:00.000000
"""

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text


revision: str = 'e2c6b9d4a8f0'
down_revision: str | None = 'd7a4c2e9f1b3'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HAS_LZ4 = (
    "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
)


def upgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE lesson ALTER COLUMN search_vector SET STORAGE MAIN")
    if connection.execute(text(HAS_LZ4)).scalar():
        op.execute("ALTER TABLE lesson ALTER COLUMN search_vector SET COMPRESSION lz4")
    op.execute("UPDATE lesson SET title = title")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE lesson ALTER COLUMN search_vector SET COMPRESSION DEFAULT")
    op.execute("ALTER TABLE lesson ALTER COLUMN search_vector SET STORAGE EXTENDED")
