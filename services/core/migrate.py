"""Database migrations (Alembic), run by ``infraledger db upgrade`` and at every service start.

The migration scripts live in ``services/core/migrations``; the models they must match are every
service's ``tables`` module, collected on :data:`services.core.db.Base`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData
from sqlalchemy.orm import Session, sessionmaker

from services.core.db import Base, make_engine, session_factory

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


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision`` (idempotent; safe on every start).

    A database that a newer release has already migrated (its revision is not among this
    release's scripts) is left as it is: migrations stay backward compatible for one release, so
    the previous release runs on it during a rollout or after a rollback.
    """
    if revision == "head":
        newer = _unknown_revisions(url)
        if newer:
            log.warning(
                "database is at revision %s, newer than this release knows (newest %s); "
                "running on it unchanged",
                ", ".join(sorted(newer)),
                _script(url).get_current_head(),
            )
            return
    _run(url, command.upgrade, revision)


def downgrade(url: str, revision: str) -> None:
    """Take the database at ``url`` back to ``revision`` (``base``: no tables), for a rollback.

    The services run :func:`upgrade` at start, so a rolled-back database must be served by the
    release whose newest revision is ``revision``.
    """
    _run(url, command.downgrade, revision)


def _script(url: str) -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config(url))


def current_revisions(url: str) -> tuple[str, ...]:
    """The revision(s) the database at ``url`` is at (none before the first migration)."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_heads()
    finally:
        engine.dispose()


def _unknown_revisions(url: str) -> set[str]:
    """The database's revisions that this release's migration scripts do not have."""
    known = {script.revision for script in _script(url).walk_revisions()}
    return set(current_revisions(url)) - known


def _run(url: str, step: Callable[[Config, str], None], revision: str) -> None:
    engine = make_engine(url)
    try:
        config = alembic_config(url)
        with engine.begin() as connection:
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
