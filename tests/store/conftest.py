"""Fixtures of the store's contract suite: every scenario runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from services.core.db import make_engine, session_factory
from services.core.migrate import upgrade

from .ledger import LedgerHarness


@pytest.fixture
def factory(db_url: str) -> Iterator[sessionmaker[Session]]:
    """A session factory on a fresh database (SQLite, then PostgreSQL) with the store's tables."""
    upgrade(db_url)
    engine = make_engine(db_url)
    try:
        yield session_factory(engine)
    finally:
        engine.dispose()


@pytest.fixture
def ledger(factory: sessionmaker[Session]) -> LedgerHarness:
    return LedgerHarness(factory)
