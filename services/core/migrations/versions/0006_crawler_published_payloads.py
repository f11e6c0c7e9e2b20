"""crawler: published URLs no longer keep their article's payload

``crawler_urls.payload`` holds an article from its claim until Kafka acknowledged it, so that a
crawler restarted in between publishes it again.  Published rows kept it too (10–20 KB an
article, never read again): the crawler now clears it on publishing, and this clears the rows
published before.  The articles stay in the store and the WARC archive.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 13:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("UPDATE crawler_urls SET payload = NULL WHERE status = 'published'")


def downgrade() -> None:
    """Nothing to undo: a published row's payload was never read."""
