"""alerts: endpoints that took every kind, or the default kinds, also hear settled disputes

The store publishes a new kind of change, ``settled``: the last source of a disputed figure
comes round to the current one, and the dispute is over (until now a reaffirmation, which
notifies nobody).  As in 0013, the endpoints whose lists meant every kind or the default hear it
too; an endpoint that chose its kinds otherwise keeps its choice.

Data only: the previous release runs on this schema (a kind it does not know matches no
change), so the downgrade leaves the lists as they are.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 08:05:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from services.core.migrate import endpoints_hear_new_kind

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BEFORE = (
    "new", "increased", "decreased", "reaffirmed", "revised", "conflict", "retracted", "withdrawn"
)
"""Every kind there was before this revision (fixed here: the code's list grows)."""


def upgrade() -> None:
    endpoints_hear_new_kind(op.get_bind(), _BEFORE, "settled")


def downgrade() -> None:
    """The lists stay: the previous release ignores a kind it does not know."""
