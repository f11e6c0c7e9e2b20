"""crawler: when each source last gave a new article, so a source gone quiet can be alerted on

A source whose site changed its layout, moved its feed or put a bot wall before its pages can
keep answering every poll while yielding nothing for weeks.  The crawler now keeps, per source,
the end of the last poll that published a new article, and exports it (with the last
successful poll) as a gauge that survives restarts.

Additive (a nullable column): the previous release runs on this schema.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 04:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import services.core.db

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("crawler_sources", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "last_article_at", services.core.db.UTCDateTime(timezone=True), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("crawler_sources", schema=None) as batch_op:
        batch_op.drop_column("last_article_at")
