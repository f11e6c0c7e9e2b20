"""store: facts carry their effective time; (key, effective_at) indexes on facts and versions

A late fact re-derives only the tail of its key's history; these indexes let the store read
just that tail (facts and versions from the cut on) instead of every row of the key.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 09:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import services.core.db

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("store_facts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("effective_at", services.core.db.UTCDateTime(timezone=True), nullable=True)
        )
    op.execute(
        "UPDATE store_facts SET effective_at = (SELECT a.effective_at FROM store_articles a "
        "WHERE a.id = store_facts.article_id)"
    )
    with op.batch_alter_table("store_facts", schema=None) as batch_op:
        batch_op.alter_column(
            "effective_at",
            existing_type=services.core.db.UTCDateTime(timezone=True),
            nullable=False,
        )
        batch_op.drop_index(batch_op.f("ix_store_facts_key"))
        batch_op.create_index("ix_store_facts_key_effective", ["key", "effective_at"], unique=False)
    with op.batch_alter_table("store_commitment_versions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_store_commitment_versions_key_effective", ["key", "effective_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("store_commitment_versions", schema=None) as batch_op:
        batch_op.drop_index("ix_store_commitment_versions_key_effective")
    with op.batch_alter_table("store_facts", schema=None) as batch_op:
        batch_op.drop_index("ix_store_facts_key_effective")
        batch_op.create_index(batch_op.f("ix_store_facts_key"), ["key"], unique=False)
        batch_op.drop_column("effective_at")
