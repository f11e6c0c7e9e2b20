"""Database migrations (Alembic), run by ``infraledger db upgrade`` and at every service start.

The migration scripts live in ``services/core/migrations``; the models they must match are every
service's ``tables`` module, collected on :data:`services.core.db.Base`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData
from sqlalchemy.orm import Session, sessionmaker

from services.core.db import Base, make_engine, session_factory

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
    """Bring the database at ``url`` to ``revision`` (idempotent; safe on every start)."""
    engine = make_engine(url)
    try:
        config = alembic_config(url)
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
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
