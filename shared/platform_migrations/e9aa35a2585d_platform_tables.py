"""The platform's own tables: outbox, inbox and platform state.

The first revision of the `platform` branch, which every service's migrations
include (shared/migrations.py). Databases made before this branch existed got
these tables from their service's initial revision: there a table that is
already present is left as it is, rows and all, and only the branch's version
row is added, so they reach the new head without a stamp by hand.

Revision ID: e9aa35a2585d
Revises:
Create Date: 2026-12-01 14:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from shared.db import UTCDateTime

revision: str = "e9aa35a2585d"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("platform",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    present = set(sa.inspect(op.get_bind()).get_table_names())
    if "outbox_message" not in present:
        _create_outbox_message()
    if "inbox_entry" not in present:
        _create_inbox_entry()
    if "platform_state" not in present:
        _create_platform_state()


def downgrade() -> None:
    op.drop_table("platform_state")
    op.drop_table("inbox_entry")
    op.drop_table("outbox_message")


def _create_outbox_message() -> None:
    op.create_table(
        "outbox_message",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("event_id", sqlmodel.AutoString(length=64), nullable=False),
        sa.Column("topic", sqlmodel.AutoString(length=200), nullable=False),
        sa.Column("key", sqlmodel.AutoString(length=200), nullable=False),
        sa.Column("event_type", sqlmodel.AutoString(length=200), nullable=False),
        sa.Column("source", sqlmodel.AutoString(length=200), nullable=False),
        sa.Column("subject", sqlmodel.AutoString(length=200), nullable=True),
        sa.Column("occurred_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("correlation_id", sqlmodel.AutoString(length=64), nullable=False),
        sa.Column("causation_id", sqlmodel.AutoString(length=64), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("extra_headers", sa.JSON(), nullable=True),
        sa.Column("traceparent", sqlmodel.AutoString(length=100), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("seq"),
    )
    with op.batch_alter_table("outbox_message") as batch_op:
        batch_op.create_index("ix_outbox_message_created_at", ["created_at"])
        batch_op.create_index("ix_outbox_message_event_id", ["event_id"])
        batch_op.create_index(
            "ix_outbox_message_unsent",
            ["seq"],
            sqlite_where=sa.text("sent_at IS NULL"),
            postgresql_where=sa.text("sent_at IS NULL"),
        )


def _create_inbox_entry() -> None:
    op.create_table(
        "inbox_entry",
        sa.Column("consumer", sqlmodel.AutoString(length=200), nullable=False),
        sa.Column("event_id", sqlmodel.AutoString(length=64), nullable=False),
        sa.Column("event_type", sqlmodel.AutoString(length=200), nullable=False),
        sa.Column("outcome", sqlmodel.AutoString(length=20), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("processed_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id"),
    )


def _create_platform_state() -> None:
    op.create_table(
        "platform_state",
        sa.Column("key", sqlmodel.AutoString(length=100), nullable=False),
        sa.Column("value", sqlmodel.AutoString(length=500), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
