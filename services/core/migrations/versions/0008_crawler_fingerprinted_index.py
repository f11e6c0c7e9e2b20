"""crawler: live articles' fingerprints indexed by claim time, for the retention

The crawler forgets the MinHash signature and LSH band keys of articles claimed longer ago than
``INFRALEDGER_RETENTION`` every hour; this partial index over the rows that still have a
signature finds the oldest of them without reading the rows already forgotten.  On a large
``crawler_urls`` table, build it by hand first, without holding off the crawler's writers (the
migrations run in one transaction, where PostgreSQL cannot build an index ``CONCURRENTLY``)::

    CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_crawler_urls_fingerprinted
        ON crawler_urls (created_at) WHERE signature IS NOT NULL;

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 17:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FINGERPRINTED = sa.text("signature IS NOT NULL")


def upgrade() -> None:
    op.create_index(
        "ix_crawler_urls_fingerprinted",
        "crawler_urls",
        ["created_at"],
        sqlite_where=FINGERPRINTED,
        postgresql_where=FINGERPRINTED,
        if_not_exists=True,
    )


def downgrade() -> None:
    op.drop_index("ix_crawler_urls_fingerprinted", table_name="crawler_urls")
