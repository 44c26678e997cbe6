"""desk queue by desk and time: a desk's page is read in order and stops at its size

Revision ID: a8c4e2f6b1d3
Revises: b5e1d7c3a9f2
Create Date: 2026-12-02 13:10:00.000000
"""

from collections.abc import Sequence

from alembic import op


revision: str = 'a8c4e2f6b1d3'
down_revision: str | None = 'b5e1d7c3a9f2'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A desk officer's queue is the desk's requests, newest (or oldest) first, keyset-paged
    # on (created_at, id). With only the desk_code index, SQLite read every request of the
    # desk and sorted them for a page of 20 (63 ms CPU p95 at 100 000 stored, 17 ms at
    # 1 000: tests/bench/desks_growth.py); this index is read in the page's order.
    op.create_index(
        'ix_service_request_desk_created_at', 'service_request', ['desk_code', 'created_at', 'id']
    )


def downgrade() -> None:
    op.drop_index('ix_service_request_desk_created_at', table_name='service_request')
