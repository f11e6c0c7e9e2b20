"""Whether this release's code can run on a database another release migrated (pure).

A database at a revision this release's scripts do not have was migrated by another release,
presumably a newer one during a rollout or after a rollback.  The migrations are meant to stay
backward compatible for one release; whether they did is read from the schema itself: Alembic
compares the database with this release's tables, and :func:`misfits` keeps the differences that
would make this release's statements fail.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, Index, Table, UniqueConstraint


def misfits(differences: Sequence[Any]) -> list[str]:
    """What in the database this release cannot run on, from
    :func:`alembic.autogenerate.compare_metadata` (the database against this release's tables).

    A table or column this release uses and does not find, a column of another type, a column
    it does not know that needs a value (NOT NULL without a default), a NOT NULL where it may
    write NULL, a unique index, unique constraint or foreign key it does not know.  Not misfits:
    tables and nullable columns it does not know, indexes it lacks or does not know (speed, not
    correctness), defaults and comments.
    """
    found: list[str] = []
    for difference in differences:
        if isinstance(difference, list):  # a column's modifications, one tuple each
            found += (m for m in map(_modification, difference) if m is not None)
        elif (misfit := _difference(difference)) is not None:
            found.append(misfit)
    return found


def _difference(difference: tuple[Any, ...]) -> str | None:
    kind, *rest = difference
    if kind == "add_table":
        table: Table = rest[0]
        return f"table {table.name} is missing"
    if kind == "add_column":
        _, table_name, column = rest
        return f"column {table_name}.{column.name} is missing"
    if kind == "remove_column":
        _, table_name, column = rest
        return _unknown_column(table_name, column)
    if kind == "remove_index":
        index: Index = rest[0]
        return f"unique index {index.name} is unknown" if index.unique else None
    if kind == "remove_constraint" and isinstance(rest[0], UniqueConstraint):
        return f"unique constraint {rest[0].name} on {rest[0].table.name} is unknown"
    if kind == "remove_fk":
        return f"foreign key {rest[0].name} on {rest[0].parent.name} is unknown"
    return None


def _unknown_column(table_name: str, column: Column[Any]) -> str | None:
    if column.nullable or column.server_default is not None or column.autoincrement is True:
        return None
    return f"column {table_name}.{column.name} is unknown and NOT NULL without a default"


def _modification(modification: tuple[Any, ...]) -> str | None:
    kind, _, table_name, column_name, _, existing, wanted = modification
    if kind == "modify_type":
        return f"column {table_name}.{column_name} is {existing}, not {wanted}"
    if kind == "modify_nullable" and existing is False and wanted is True:
        return f"column {table_name}.{column_name} is NOT NULL where this release writes NULL"
    return None
