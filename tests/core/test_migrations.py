"""The Alembic migrations build exactly the schema the ORM tables declare, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from services.core.db import make_engine
from services.core.migrate import target_metadata, upgrade


def test_upgrade_creates_every_table_and_leaves_no_difference_to_the_models(db_url: str) -> None:
    upgrade(db_url)
    upgrade(db_url)  # a second run at every service start is a no-op
    engine = make_engine(db_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, target_metadata())
            tables = set(inspect(connection).get_table_names())
    finally:
        engine.dispose()
    assert differences == []
    assert set(target_metadata().tables) <= tables
