"""Fixtures of the alerts tests: a database with the alerts tables, real receivers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from alerts_helpers import Behaviour, Receiver, StartReceiver
from sqlalchemy.orm import Session, sessionmaker

from services.alerts.tables import TABLES
from services.core.db import Base, make_engine, session_factory


@pytest.fixture
def factory(db_url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions on a fresh SQLite or PostgreSQL database holding the alerts tables."""
    engine = make_engine(db_url)
    Base.metadata.create_all(engine, tables=list(TABLES))
    try:
        yield session_factory(engine)
    finally:
        engine.dispose()


@pytest.fixture
async def receivers() -> AsyncIterator[StartReceiver]:
    """Starts receivers on 127.0.0.1 with a given behaviour; closes them after the test."""
    started: list[Receiver] = []

    async def start(behaviour: Behaviour) -> Receiver:
        receiver = Receiver(behaviour)
        await receiver.start()
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        await receiver.close()
