"""store: which change of each commitment analysts were told last

A change made again after it left a history (an article dropped by one reading and read again
by the next) is news when analysts' last word about the commitment was something else, and is
not when their last word was that very change: the re-reading puts back what they were told.
The store keeps, per commitment, the id of the last version (or withdrawal) it published with
``notify`` true.

Additive (a nullable column): the previous release runs on this schema.  A row without it
(written before, or by the previous release) tells every change made again, as before.

Superseded by 0016, which replaces this column with ``told`` (the rule it served missed
notifications); kept so that a database one of the session's commits upgraded moves on.

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
        batch_op.add_column(sa.Column("told_version_id", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("store_commitments", schema=None) as batch_op:
        batch_op.drop_column("told_version_id")
