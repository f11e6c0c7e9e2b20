"""Database migrations (Alembic), run by ``infraledger db upgrade`` and at every service start.

The migration scripts live in ``services/core/migrations``; the models they must match are every
service's ``tables`` module, collected on :data:`services.core.db.Base`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, MetaData
from sqlalchemy.orm import Session, sessionmaker

from services.core.db import Base, make_engine, session_factory
from services.core.errors import TerminalError
from services.core.schema_fit import misfits

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
TABLE_MODULES = (
    "services.crawler.tables",
    "services.store.tables",
    "services.alerts.tables",
)


def target_metadata() -> MetaData:
    """Every service's tables, imported so that they register on :data:`Base`."""
    import importlib

    for module in TABLE_MODULES:
        importlib.import_module(module)
    return Base.metadata


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


class UnknownSchema(TerminalError):
    """The database is at a revision this release does not know, and its schema does not fit
    this release's tables: nothing it would do there can succeed."""


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision`` (idempotent; safe on every start).

    A database at a revision this release's scripts do not have (another release migrated it,
    presumably a newer one) is left as it is when its schema fits this release's tables
    (:func:`services.core.schema_fit.misfits`): the previous release runs on it during a
    rollout or after a rollback.  When it does not fit, :class:`UnknownSchema` says why.
    """
    _run(url, command.upgrade, revision, newer_schema_ok=revision == "head")


def downgrade(url: str, revision: str) -> None:
    """Take the database at ``url`` back to ``revision`` (``base``: no tables), for a rollback.

    The services run :func:`upgrade` at start, so a rolled-back database must be served by the
    release whose newest revision is ``revision``.
    """
    _run(url, command.downgrade, revision)


def current_revisions(url: str) -> tuple[str, ...]:
    """The revision(s) the database at ``url`` is at (none before the first migration)."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_heads()
    finally:
        engine.dispose()


def schema_differences(connection: Connection) -> list[Any]:
    """Alembic's comparison of the database on ``connection`` with this release's tables."""
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, target_metadata()))


def endpoints_hear_new_kind(connection: Connection, before: Sequence[str], kind: str) -> None:
    """A data migration for a new kind of change: the alerts endpoints whose kinds were every
    kind there was (``before``), or the default (every one but ``reaffirmed``), hear ``kind``
    too; an endpoint that chose its kinds otherwise keeps its choice.  ``before`` is fixed in
    the revision that calls it (the code's list grows).  Revisions 0013 and 0017 run it: a
    change here changes what both do."""
    endpoints = sa.table(
        "alerts_endpoints", sa.column("id", sa.String), sa.column("kinds", sa.JSON)
    )
    whole = (frozenset(before), frozenset(before) - {"reaffirmed"})
    for endpoint_id, kinds in connection.execute(sa.select(endpoints.c.id, endpoints.c.kinds)):
        if frozenset(kinds) in whole:
            connection.execute(
                endpoints.update()
                .where(endpoints.c.id == endpoint_id)
                .values(kinds=sorted({*kinds, kind}))
            )


def _accept_unknown(connection: Connection, script: ScriptDirectory) -> bool:
    """Whether the database on ``connection`` is at a revision ``script`` does not have (another
    release migrated it) whose schema fits this release's tables: run on it as it is.  Raises
    :class:`UnknownSchema` when it does not fit; False when every revision is known."""
    known = {each.revision for each in script.walk_revisions()}
    unknown = set(MigrationContext.configure(connection).get_current_heads()) - known
    if not unknown:
        return False
    problems = misfits(schema_differences(connection))
    newest = ", ".join(script.get_heads())
    revisions = ", ".join(sorted(unknown))
    if problems:
        raise UnknownSchema(
            f"database is at revision {revisions}, which this release (newest {newest}) does "
            f"not know, and its schema does not fit this release: {'; '.join(problems[:10])}. "
            "Run the release that migrated it, or take the database back with that release's "
            f"`infraledger db downgrade {newest}`"
        )
    log.warning(
        "database is at revision %s, which this release (newest %s) does not know; its schema "
        "fits this release's tables: running on it unchanged",
        revisions,
        newest,
    )
    return True


def _run(
    url: str,
    step: Callable[[Config, str], None],
    revision: str,
    *,
    newer_schema_ok: bool = False,
) -> None:
    """``step`` to ``revision`` in one transaction on one connection; with
    ``newer_schema_ok``, first :func:`_accept_unknown` on the same connection."""
    engine = make_engine(url)
    try:
        config = alembic_config(url)
        with engine.begin() as connection:
            if newer_schema_ok and _accept_unknown(connection, ScriptDirectory.from_config(config)):
                return
            config.attributes["connection"] = connection
            step(config, revision)
    finally:
        engine.dispose()


@contextmanager
def migrated(url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions on ``url`` after bringing its schema up to date; the engine is disposed on exit.

    What every one-shot command (``ledger``, ``webhooks``, ``export``, ``replay stored``) uses.
    """
    upgrade(url)
    engine = make_engine(url)
    try:
        yield session_factory(engine)
    finally:
        engine.dispose()
