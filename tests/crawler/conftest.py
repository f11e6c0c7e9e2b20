"""Fixtures of the crawler's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from services.core.db import make_engine
from services.core.migrate import upgrade


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on a migrated database, SQLite and then PostgreSQL (``db_url``)."""
    upgrade(db_url)
    eng = make_engine(db_url)
    yield eng
    eng.dispose()
