"""store: when each commitment's current figure was last asserted, for the disputes it enters

A conflict keeps the figure it disputes as a claim, dated when its sources last said it.  A
source repeating itself adds no version, so that time was the version's; the store now keeps it
per commitment, as it keeps when the commitment was last seen (``observed_until``).

Additive (a nullable column): the previous release runs on this schema.  A row without the
time (written before, or by the previous release) has it worked out from the facts the next
time a fact of its commitment arrives.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 07:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import services.core.db

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("store_commitments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "asserted_until", services.core.db.UTCDateTime(timezone=True), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("store_commitments", schema=None) as batch_op:
        batch_op.drop_column("asserted_until")
