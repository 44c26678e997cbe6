"""narrow search rows and facet sets of lessons: search reads no lesson row per match

`lesson_search` holds, per lesson, what a search tests and counts (status, sensitivity,
publication date, translation link, facet set); `lesson_facet_set` each distinct
combination of facet values (a lesson's `facet_keys`) and `lesson_facet_set_value` its
values. The database keeps them in step with `lesson` by triggers, in the lesson's own
transaction, so every writer (the service, bulk loads, a backfill) does. On SQLite the
row's `doc` is the lesson's rowid, the FTS5 document id; on PostgreSQL the row also
carries the weighted search vector and its GIN index, moved from `lesson` (a match then
reads ~100-byte rows, not the lessons' title, summary and body).

A later migration that makes SQLite rebuild the `lesson` table (batch mode) renumbers
its rowids and drops its triggers: it must run SQLITE_DOWN and SQLITE_UP again (as for
the FTS5 index, 5754655331b6); SQLITE_UP ends with the rebuild of the rows.

Revision ID: 6bac6af111c1
Revises: e2c6b9d4a8f0
Create Date: 2026-12-02 06:43:55.210179
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy import text

import shared.db

revision: str = '6bac6af111c1'
down_revision: str | None = 'e2c6b9d4a8f0'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('lesson_facet_set',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('keys', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('keys')
    )
    op.create_table('lesson_search',
    sa.Column('doc', sa.Integer(), nullable=False),
    sa.Column('lesson_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('sensitivity', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('published_at', shared.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('translation_of', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.Column('facet_set_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('doc'),
    sa.UniqueConstraint('lesson_id')
    )
    # Not in batch mode (which would copy the table): plain CREATE INDEX on both.
    op.create_index('ix_lesson_search_newest', 'lesson_search', ['status', 'published_at', 'lesson_id'], unique=False)
    op.create_index('ix_lesson_search_visible', 'lesson_search', ['status', 'sensitivity', 'facet_set_id'], unique=False)
    op.create_table('lesson_facet_set_value',
    sa.Column('facet', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('value', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('facet_set_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['facet_set_id'], ['lesson_facet_set.id'], ),
    sa.PrimaryKeyConstraint('facet', 'value', 'facet_set_id')
    )
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        statements = SQLITE_UP
    elif dialect == "postgresql":
        statements = POSTGRES_UP
        if not op.get_bind().execute(text(HAS_LZ4)).scalar():
            statements = [s for s in statements if "COMPRESSION lz4" not in s]
    else:
        raise NotImplementedError(f"no lesson search for {dialect}")
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_DOWN if dialect == "sqlite" else POSTGRES_DOWN:
        op.execute(statement)
    op.drop_table('lesson_facet_set_value')
    op.drop_index('ix_lesson_search_visible', table_name='lesson_search')
    op.drop_index('ix_lesson_search_newest', table_name='lesson_search')
    op.drop_table('lesson_search')
    op.drop_table('lesson_facet_set')


# A facet set's keys are the lesson's `facet_keys` in one canonical spelling (json() on
# SQLite, jsonb's text on PostgreSQL), so one combination is one set however it was
# written. Sets are never deleted: one no lesson has any more counts nothing.
SQLITE_FACET_SET = (
    "INSERT OR IGNORE INTO lesson_facet_set (keys) VALUES (json(new.facet_keys)); "
    "INSERT OR IGNORE INTO lesson_facet_set_value (facet, value, facet_set_id) "
    "SELECT substr(key.value, 1, instr(key.value, ':') - 1), "
    "substr(key.value, instr(key.value, ':') + 1), facet_set.id "
    "FROM lesson_facet_set AS facet_set, json_each(facet_set.keys) AS key "
    "WHERE facet_set.keys = json(new.facet_keys); "
)
SQLITE_SET_OF_NEW = "(SELECT id FROM lesson_facet_set WHERE keys = json(new.facet_keys))"
SQLITE_UP = [
    "CREATE TRIGGER lesson_search_insert AFTER INSERT ON lesson BEGIN "
    + SQLITE_FACET_SET
    + "INSERT INTO lesson_search (doc, lesson_id, status, sensitivity, published_at, "
    "translation_of, facet_set_id) VALUES (new.rowid, new.id, new.status, new.sensitivity, "
    f"new.published_at, new.translation_of, {SQLITE_SET_OF_NEW}); END",
    "CREATE TRIGGER lesson_search_update AFTER UPDATE OF status, sensitivity, published_at, "
    "translation_of, facet_keys ON lesson BEGIN "
    + SQLITE_FACET_SET
    + "UPDATE lesson_search SET status = new.status, sensitivity = new.sensitivity, "
    "published_at = new.published_at, translation_of = new.translation_of, "
    f"facet_set_id = {SQLITE_SET_OF_NEW} WHERE doc = new.rowid; END",
    "CREATE TRIGGER lesson_search_delete AFTER DELETE ON lesson BEGIN "
    "DELETE FROM lesson_search WHERE doc = old.rowid; END",
    # The rows of the lessons already there (and the rebuild after a table rebuild).
    "DELETE FROM lesson_search",
    "INSERT OR IGNORE INTO lesson_facet_set (keys) SELECT DISTINCT json(facet_keys) FROM lesson",
    "INSERT OR IGNORE INTO lesson_facet_set_value (facet, value, facet_set_id) "
    "SELECT substr(key.value, 1, instr(key.value, ':') - 1), "
    "substr(key.value, instr(key.value, ':') + 1), facet_set.id "
    "FROM lesson_facet_set AS facet_set, json_each(facet_set.keys) AS key",
    "INSERT INTO lesson_search (doc, lesson_id, status, sensitivity, published_at, "
    "translation_of, facet_set_id) SELECT lesson.rowid, lesson.id, lesson.status, "
    "lesson.sensitivity, lesson.published_at, lesson.translation_of, facet_set.id "
    "FROM lesson JOIN lesson_facet_set AS facet_set ON facet_set.keys = json(lesson.facet_keys)",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS lesson_search_delete",
    "DROP TRIGGER IF EXISTS lesson_search_update",
    "DROP TRIGGER IF EXISTS lesson_search_insert",
]

# The same weighted vector `lesson.search_vector` was (title A, summary B, body C).
POSTGRES_VECTOR = (
    "setweight(to_tsvector('english', coalesce({row}.title, '')), 'A') || "
    "setweight(to_tsvector('english', coalesce({row}.summary, '')), 'B') || "
    "setweight(to_tsvector('english', coalesce({row}.body, '')), 'C')"
)
POSTGRES_WRITE = f"""
CREATE FUNCTION lesson_search_write() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    new_keys text := NEW.facet_keys::jsonb::text;
    set_id integer;
BEGIN
    SELECT id INTO set_id FROM lesson_facet_set WHERE keys = new_keys;
    IF set_id IS NULL THEN
        INSERT INTO lesson_facet_set (keys) VALUES (new_keys)
            ON CONFLICT (keys) DO NOTHING RETURNING id INTO set_id;
        IF set_id IS NULL THEN  -- another transaction made it meanwhile, and committed
            SELECT id INTO set_id FROM lesson_facet_set WHERE keys = new_keys;
        END IF;
        INSERT INTO lesson_facet_set_value (facet, value, facet_set_id)
            SELECT split_part(key, ':', 1), substr(key, strpos(key, ':') + 1), set_id
            FROM jsonb_array_elements_text(new_keys::jsonb) AS key
            ON CONFLICT DO NOTHING;
    END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO lesson_search (lesson_id, status, sensitivity, published_at,
            translation_of, facet_set_id, search_vector)
        VALUES (NEW.id, NEW.status, NEW.sensitivity, NEW.published_at,
            NEW.translation_of, set_id, {POSTGRES_VECTOR.format(row="NEW")});
    ELSE
        UPDATE lesson_search SET status = NEW.status, sensitivity = NEW.sensitivity,
            published_at = NEW.published_at, translation_of = NEW.translation_of,
            facet_set_id = set_id,
            search_vector = CASE
                WHEN (NEW.title, NEW.summary, NEW.body)
                    IS DISTINCT FROM (OLD.title, OLD.summary, OLD.body)
                THEN {POSTGRES_VECTOR.format(row="NEW")}
                ELSE search_vector END
        WHERE lesson_id = NEW.id;
    END IF;
    RETURN NULL;
END $$
"""
HAS_LZ4 = (
    "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
)
POSTGRES_UP = [
    # The vector moves from `lesson` to the narrow row (kept in it, compressed, as
    # e2c6b9d4a8f0 kept it in the lesson's).
    "DROP INDEX IF EXISTS ix_lesson_search_vector",
    "ALTER TABLE lesson DROP COLUMN IF EXISTS search_vector",
    "ALTER TABLE lesson_search ADD COLUMN search_vector tsvector",
    "ALTER TABLE lesson_search ALTER COLUMN search_vector SET STORAGE MAIN",
    "ALTER TABLE lesson_search ALTER COLUMN search_vector SET COMPRESSION lz4",
    POSTGRES_WRITE,
    "CREATE TRIGGER lesson_search_write AFTER INSERT OR UPDATE OF title, summary, body, "
    "status, sensitivity, published_at, translation_of, facet_keys ON lesson "
    "FOR EACH ROW EXECUTE FUNCTION lesson_search_write()",
    "CREATE FUNCTION lesson_search_delete() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN DELETE FROM lesson_search WHERE lesson_id = OLD.id; RETURN NULL; END $$",
    "CREATE TRIGGER lesson_search_delete AFTER DELETE ON lesson "
    "FOR EACH ROW EXECUTE FUNCTION lesson_search_delete()",
    # The rows of the lessons already there.
    "INSERT INTO lesson_facet_set (keys) SELECT DISTINCT facet_keys::jsonb::text FROM lesson "
    "ON CONFLICT DO NOTHING",
    "INSERT INTO lesson_facet_set_value (facet, value, facet_set_id) "
    "SELECT split_part(key, ':', 1), substr(key, strpos(key, ':') + 1), facet_set.id "
    "FROM lesson_facet_set AS facet_set, jsonb_array_elements_text(facet_set.keys::jsonb) AS key "
    "ON CONFLICT DO NOTHING",
    "INSERT INTO lesson_search (lesson_id, status, sensitivity, published_at, translation_of, "
    "facet_set_id, search_vector) SELECT lesson.id, lesson.status, lesson.sensitivity, "
    "lesson.published_at, lesson.translation_of, facet_set.id, "
    + POSTGRES_VECTOR.format(row="lesson")
    + " FROM lesson JOIN lesson_facet_set AS facet_set "
    "ON facet_set.keys = lesson.facet_keys::jsonb::text",
    "CREATE INDEX ix_lesson_search_vector ON lesson_search USING gin (search_vector)",
]
POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS lesson_search_delete ON lesson",
    "DROP FUNCTION IF EXISTS lesson_search_delete()",
    "DROP TRIGGER IF EXISTS lesson_search_write ON lesson",
    "DROP FUNCTION IF EXISTS lesson_search_write()",
    "DROP INDEX IF EXISTS ix_lesson_search_vector",
    "ALTER TABLE lesson ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
    + POSTGRES_VECTOR.format(row="lesson").replace("lesson.", "")
    + ") STORED",
    "ALTER TABLE lesson ALTER COLUMN search_vector SET STORAGE MAIN",
    "CREATE INDEX ix_lesson_search_vector ON lesson USING gin (search_vector)",
]
