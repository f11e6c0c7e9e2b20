"""alerts and store: endpoints that took every kind, or the default kinds, also hear settled
disputes; the downgrade rewrites settled versions as the reaffirmations the release before folds

The store publishes a new kind of change, ``settled``: the last source of a disputed figure
comes round to the current one, and the dispute is over (until now a reaffirmation, which
notifies nobody).  As in 0013, the endpoints whose lists meant every kind or the default hear it
too; an endpoint that chose its kinds otherwise keeps its choice.

Data only, the schema is 0016's.  Unlike ``withdrawn`` (a change, never a version), ``settled``
is stored as a version's kind and a commitment's last kind, which the previous release's
readers (API, dashboard, export) refuse; so the downgrade rewrites it, in the histories, the
commitments and the change log (its kind and JSON), as ``reaffirmed``: what the previous release
folds such a step to.  The endpoints' lists keep ``settled`` (a kind the previous release does
not know matches no change).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 08:05:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
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


_KIND_COLUMNS = (
    ("store_commitment_versions", "kind"),
    ("store_commitments", "last_kind"),
    ("store_changes", "kind"),
)
_SETTLED, _REAFFIRMED = '"kind":"settled"', '"kind":"reaffirmed"'
"""A change's kind in its JSON (``ChangeV1.model_dump_json``: compact, one top-level ``kind``)."""


def downgrade() -> None:
    connection = op.get_bind()
    rewritten = "REPLACE(value, :settled, :reaffirmed)"  # SQLite keeps JSON as its text
    if connection.dialect.name == "postgresql":
        rewritten = "CAST(REPLACE(CAST(value AS TEXT), :settled, :reaffirmed) AS JSON)"
    connection.execute(
        sa.text(f"UPDATE store_changes SET value = {rewritten} WHERE kind = 'settled'"),
        {"settled": _SETTLED, "reaffirmed": _REAFFIRMED},
    )
    for table, column in _KIND_COLUMNS:
        connection.execute(
            sa.text(f"UPDATE {table} SET {column} = 'reaffirmed' WHERE {column} = 'settled'")
        )
