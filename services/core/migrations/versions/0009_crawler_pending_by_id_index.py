"""crawler: claims indexed by status and id, so that pending ones are read a page at a time

A republish reads the pending claims 500 at a time, in id order from where the last page ended.
The index on ``status`` alone found every pending row and sorted them (messages included) for
each page; on ``(status, id)`` a page is one ordered range.  It replaces the index on ``status``,
whose lookups it serves too.  On a large ``crawler_urls`` table, build it by hand first, without
holding off the crawler's writers (the migrations run in one transaction, where PostgreSQL
cannot build an index ``CONCURRENTLY``)::

    CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_crawler_urls_status_id
        ON crawler_urls (status, id);

and check that it is valid before upgrading (a build that failed half way leaves an invalid
index, which this migration would take as built)::

    SELECT indisvalid FROM pg_index WHERE indexrelid = 'ix_crawler_urls_status_id'::regclass;

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 22:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_crawler_urls_status_id", "crawler_urls", ["status", "id"], if_not_exists=True
    )
    op.drop_index("ix_crawler_urls_status", table_name="crawler_urls")


def downgrade() -> None:
    op.create_index("ix_crawler_urls_status", "crawler_urls", ["status"])
    op.drop_index("ix_crawler_urls_status_id", table_name="crawler_urls")
