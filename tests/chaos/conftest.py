"""Infrastructure of the chaos suite: its own broker and PostgreSQL (scenarios kill them),
the corpus, and the fault-free reference run every scenario is compared with."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from corpus import corpus
from harness import (
    CONSUMERS,
    HEARTBEAT_MS,
    SESSION_TIMEOUT_MS,
    Outcome,
    fresh_database,
    run_scenario,
)
from report import REPORT_ROWS, record

from services.core.localkafka import LocalKafka
from services.core.localpg import LocalPostgres
from services.core.models import ArticleV1


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "chaos: the reliability suite (real processes, faults)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.chaos)
            item.add_marker(pytest.mark.timeout(600))  # the reference run, a cluster start


def pytest_sessionstart(session: pytest.Session) -> None:
    REPORT_ROWS.start()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if REPORT_ROWS.rows:
        terminalreporter.section("chaos report")
        terminalreporter.write_line(REPORT_ROWS.table())
        terminalreporter.write_line(f"written to {REPORT_ROWS.path}")


@pytest.fixture(scope="session")
def chaos_corpus() -> list[ArticleV1]:
    return corpus(500, seed=9)


@pytest.fixture(scope="session")
def chaos_kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalKafka]:
    """A single-node broker of the suite (scenario 3 kills its own, not this one)."""
    broker = LocalKafka(
        data_dir=tmp_path_factory.mktemp("chaos-kafka"), partitions=3,
        session_timeout_ms=SESSION_TIMEOUT_MS, heartbeat_ms=HEARTBEAT_MS,
    )  # fmt: skip
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture(scope="session")
def chaos_pg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPostgres]:
    server = LocalPostgres(tmp_path_factory.mktemp("chaos-pg") / "data")
    server.start()
    try:
        yield server
    finally:
        server.stop("immediate")


@pytest.fixture(scope="session")
def reference(
    chaos_kafka: LocalKafka,
    chaos_pg: LocalPostgres,
    chaos_corpus: list[ArticleV1],
    tmp_path_factory: pytest.TempPathFactory,
) -> Outcome:
    """The fault-free run over the corpus; every scenario is compared with it."""
    result = run_scenario(
        "0. reference (no faults)",
        kafka=chaos_kafka.bootstrap,
        database_url=fresh_database(chaos_pg, "reference"),
        work=tmp_path_factory.mktemp("reference"),
        articles=chaos_corpus,
        reference=None,
        fault=lambda run: None,
        record=record,
        rate=100.0,
    )
    assert result.exit_codes == dict.fromkeys(CONSUMERS, 0)
    assert result.comparison.duplicated == 0
    return result.outcome
