"""alerts: an endpoint's last failure, so that one failure a week ago is not a week of failing

An endpoint is disabled once it has failed without a success for
``INFRALEDGER_WEBHOOK_DISABLE_AFTER`` (5 days).  ``failing_since`` was cleared only by a success,
so an endpoint that sees a change a week failed one attempt, stayed "failing" through the quiet
week, and was disabled by the next week's first transient 502.  With the time of the last
failure, a failure later than any retry could follow the previous one starts a new run.

Additive (a nullable column): the previous release runs on this schema.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 01:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import services.core.db

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alerts_endpoints", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "last_failure_at", services.core.db.UTCDateTime(timezone=True), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("alerts_endpoints", schema=None) as batch_op:
        batch_op.drop_column("last_failure_at")
