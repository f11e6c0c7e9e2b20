"""store: the last changes analysts were told of each commitment, not only the last one

0015's ``told_version_id`` (the last change told) let a batch that ended at that change keep
from analysts changes they had heard something else of since.  A batch now keeps changes from
them only when they are the very last ones told, in order, with the figures they leave
disputed: the store keeps digests of the last 16 (``told``, oldest first).

Additive for the release before 0015 (a nullable column; ``told_version_id`` is dropped): the
previous release runs on this schema.  A row without ``told`` tells every change made again.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 17:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("store_commitments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("told", sa.JSON(), nullable=True))
        batch_op.drop_column("told_version_id")


def downgrade() -> None:
    with op.batch_alter_table("store_commitments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("told_version_id", sa.String(length=32), nullable=True))
        batch_op.drop_column("told")
