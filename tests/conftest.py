"""Shared fixtures: a real Apache Kafka broker and a real PostgreSQL cluster for the session.

Neither is ever skipped: if the broker or PostgreSQL cannot start, the fixture fails loudly.
Set ``INFRALEDGER_TEST_KAFKA_BOOTSTRAP`` / ``INFRALEDGER_TEST_POSTGRES_URL`` to use existing ones.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from services.core.config import Settings, load_settings
from services.core.localkafka import LocalKafka
from services.core.localpg import LocalPostgres

_counter = itertools.count()


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A single-node Apache Kafka (KRaft) on loopback for the whole session."""
    existing = os.environ.get("INFRALEDGER_TEST_KAFKA_BOOTSTRAP")
    if existing:
        yield existing
        return
    broker = LocalKafka(data_dir=tmp_path_factory.mktemp("kafka"), partitions=3)
    broker.start()
    try:
        yield broker.bootstrap
    finally:
        broker.stop()


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPostgres | str]:
    """A private PostgreSQL cluster (or the server named by INFRALEDGER_TEST_POSTGRES_URL)."""
    existing = os.environ.get("INFRALEDGER_TEST_POSTGRES_URL")
    if existing:
        yield existing
        return
    server = LocalPostgres(tmp_path_factory.mktemp("pg") / "data")
    server.start()
    try:
        yield server
    finally:
        server.stop("immediate")


def _fresh_database(postgres: LocalPostgres | str, label: str) -> str:
    name = re.sub(r"[^a-z0-9_]", "_", f"t{os.getpid()}_{next(_counter)}_{label}".lower())[:60]
    if isinstance(postgres, str):
        from sqlalchemy import create_engine, text

        engine = create_engine(postgres, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        return postgres.rsplit("/", 1)[0] + "/" + name
    return postgres.create_database(name)


@pytest.fixture
def pg_url(postgres: LocalPostgres | str, request: pytest.FixtureRequest) -> str:
    """A new, empty PostgreSQL database for one test."""
    return _fresh_database(postgres, request.node.name)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(
    request: pytest.FixtureRequest, tmp_path: Path, postgres: LocalPostgres | str
) -> str:
    """Runs the test once on a new SQLite file and once on a new PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    return _fresh_database(postgres, request.node.name)


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Settings isolated to one test: its own data dir, topic prefix and consumer groups."""

    def build(**overrides: Any) -> Settings:
        unique = f"t{os.getpid()}x{next(_counter)}"
        values: dict[str, Any] = {
            "data_dir": tmp_path / "var",
            "database_url": f"sqlite:///{tmp_path / 'infraledger.db'}",
            "topic_prefix": f"{unique}.",
            "group_prefix": unique,
            "partitions": 3,
            "allow_networks": "127.0.0.0/8",
            "crawl_delay": 0.0,
        }
        values.update(overrides)
        return load_settings(**values)

    return build
