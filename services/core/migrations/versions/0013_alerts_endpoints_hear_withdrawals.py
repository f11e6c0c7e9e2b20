"""alerts: endpoints that took every kind, or the default kinds, also hear withdrawals

The store publishes a new kind of change, ``withdrawn`` (a re-extraction no longer reads the
state it reported last).  An endpoint stores its kinds as a list, so one made with the default
(every kind but ``reaffirmed``), or with every kind, would not hear it; this adds it to those
lists.  An endpoint that chose its kinds otherwise keeps its choice.

Data only: the previous release runs on this schema (a kind it does not know matches no
change), so the downgrade leaves the lists as they are.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 11:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from services.core.migrate import endpoints_hear_new_kind

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BEFORE = ("new", "increased", "decreased", "reaffirmed", "revised", "conflict", "retracted")
"""Every kind there was before this revision (fixed here: the code's list grows)."""


def upgrade() -> None:
    endpoints_hear_new_kind(op.get_bind(), _BEFORE, "withdrawn")


def downgrade() -> None:
    """The lists stay: the previous release ignores a kind it does not know."""
