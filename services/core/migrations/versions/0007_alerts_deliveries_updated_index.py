"""alerts: deliveries indexed by their last change, for the retention's prune

The alerts service deletes deliveries settled (delivered or failed) longer ago than
``INFRALEDGER_RETENTION`` every hour; the index lets it find them without reading every row.

The migrations run in one transaction, where PostgreSQL cannot build an index ``CONCURRENTLY``:
this one holds off the table's writers while it is built.  Where the deliveries table is already
large, build the index by hand first, without the lock, and the migration leaves it be::

    CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_alerts_deliveries_updated
        ON alerts_deliveries (updated_at);

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 15:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_alerts_deliveries_updated", "alerts_deliveries", ["updated_at"], if_not_exists=True
    )


def downgrade() -> None:
    op.drop_index("ix_alerts_deliveries_updated", table_name="alerts_deliveries")
