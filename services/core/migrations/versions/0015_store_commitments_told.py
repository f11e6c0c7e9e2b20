"""store: what analysts were told last of each commitment

An article dropped by one reading and read again the same way by the next makes again the
changes analysts were told.  They are news when the commitment's last told changes were
something else, and are not when they were these very changes, in this order: the re-reading
puts back what analysts heard last.  The store keeps, per commitment, digests of the last
changes it published with ``notify`` true (``told``, oldest first).

Additive (a nullable column): the previous release runs on this schema.  A row without it
(written before, or by the previous release) tells every change made again, as before.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 16:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("store_commitments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("told", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("store_commitments", schema=None) as batch_op:
        batch_op.drop_column("told")
