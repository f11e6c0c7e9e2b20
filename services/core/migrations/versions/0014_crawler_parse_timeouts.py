"""crawler: how many times each URL's parse ran past its deadline, so a busy moment is retried

A page whose parse ran past ``INFRALEDGER_PARSE_TIMEOUT`` was remembered as no article at once,
and never fetched again: on a host busy for a moment, that lost a good article for good.  The
crawler now tries such a URL again when it is listed again, and gives it up only after
``INFRALEDGER_PARSE_TIMEOUT_ATTEMPTS`` parses past the deadline; this table keeps the count
across restarts, until the URL is parsed or given up.

Additive (a new table): the previous release runs on this schema.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 11:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import services.core.db

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "crawler_parse_timeouts",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_at", services.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("crawler_parse_timeouts")
