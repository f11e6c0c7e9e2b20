from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from compute_helpers import Ledger

from services.compute.context import ComputeContext, load_context
from services.core.db import make_engine, session_factory
from services.core.migrate import upgrade


@pytest.fixture
def ledger(db_url: str) -> Iterator[Ledger]:
    """An empty ledger, migrated with Alembic, on SQLite and on PostgreSQL."""
    upgrade(db_url)
    engine = make_engine(db_url)
    try:
        yield Ledger(session_factory(engine), itertools.count())
    finally:
        engine.dispose()


@pytest.fixture
def compute() -> ComputeContext:
    return load_context()
