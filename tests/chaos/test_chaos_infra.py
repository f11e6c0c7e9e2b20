"""Scenarios 3, 4 and 5: the broker, a broker of a 3-node cluster, and PostgreSQL go away.

Promise: the ledger ends exactly as in the fault-free reference run and every alert arrives once.
"""

from __future__ import annotations

import random
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import (
    CONSUMERS,
    HEARTBEAT_MS,
    SESSION_TIMEOUT_MS,
    Outcome,
    Run,
    fresh_database,
    run_scenario,
)
from report import record

from services.core.localkafka import LocalKafka
from services.core.localpg import LocalPostgres
from services.core.models import ArticleV1

BROKER_DOWN_S = 30.0
PG_DOWN_S = 20.0


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[LocalKafka]:
    """A single broker of this scenario alone: it is killed and restarted on its data."""
    broker = LocalKafka(
        data_dir=tmp_path / "kafka", partitions=3,
        session_timeout_ms=SESSION_TIMEOUT_MS, heartbeat_ms=HEARTBEAT_MS,
    )  # fmt: skip
    broker.start()
    try:
        yield broker
    finally:
        for node in broker.nodes:  # throw-away data: no need for a graceful shutdown
            broker.kill_node(node)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[LocalKafka]:
    """Three brokers: replication factor 3, min.insync.replicas 2."""
    brokers = LocalKafka(
        data_dir=tmp_path / "kafka3", nodes_count=3, partitions=3,
        session_timeout_ms=SESSION_TIMEOUT_MS, heartbeat_ms=HEARTBEAT_MS,
    )  # fmt: skip
    brokers.start()
    try:
        yield brokers
    finally:
        for node in brokers.nodes:
            brokers.kill_node(node)


@pytest.fixture
def own_postgres(tmp_path: Path) -> Iterator[LocalPostgres]:
    server = LocalPostgres(tmp_path / "pg")
    server.start()
    try:
        yield server
    finally:
        server.stop("immediate")


def test_the_single_broker_killed_and_restarted_mid_stream_on_its_data(
    own_broker: LocalKafka,
    chaos_pg: LocalPostgres,
    chaos_corpus: list[ArticleV1],
    reference: Outcome,
    tmp_path: Path,
) -> None:
    node = own_broker.nodes[0]

    def kill_the_broker(run: Run) -> float:
        run.at_published(200)
        own_broker.kill_node(node, signal.SIGKILL)
        own_broker.start_node(node)
        own_broker.wait_ready([node])
        return time.monotonic()

    result = run_scenario(
        "3. single broker SIGKILLed, restarted",
        kafka=own_broker.bootstrap, database_url=fresh_database(chaos_pg, "broker"),
        work=tmp_path, articles=chaos_corpus, reference=reference,
        fault=kill_the_broker, record=record, rate=25.0,
    )  # fmt: skip

    assert result.comparison.lost == 0, result.comparison.details
    assert result.comparison.duplicated == 0, result.comparison.details


def test_a_3_node_cluster_loses_one_broker_for_30s_then_another(
    cluster: LocalKafka,
    chaos_pg: LocalPostgres,
    chaos_corpus: list[ArticleV1],
    reference: Outcome,
    tmp_path: Path,
) -> None:
    first, second = random.Random(4).sample(cluster.nodes, 2)

    def one_broker_down_at_a_time(run: Run) -> float:
        for service in CONSUMERS:  # a running pipeline loses a broker (see README: start-up)
            run.pipeline.wait_ready(service)
        for node, moment in ((first, 80), (second, 330)):
            run.at_published(moment)
            cluster.kill_node(node, signal.SIGKILL)
            time.sleep(BROKER_DOWN_S)  # the fault itself: the broker stays dead for 30 s
            cluster.start_node(node)
            cluster.wait_ready([node])
        return time.monotonic()

    result = run_scenario(
        "4. 3-node cluster, one broker down 30 s, twice",
        kafka=cluster.bootstrap, database_url=fresh_database(chaos_pg, "cluster"),
        work=tmp_path, articles=chaos_corpus, reference=reference,
        fault=one_broker_down_at_a_time, record=record, rate=7.0, replication_factor=3,
    )  # fmt: skip

    assert result.comparison.lost == 0, result.comparison.details
    assert result.comparison.duplicated == 0, result.comparison.details


def test_postgresql_restarted_mid_stream_then_unavailable_for_20s(
    chaos_kafka: LocalKafka,
    own_postgres: LocalPostgres,
    chaos_corpus: list[ArticleV1],
    reference: Outcome,
    tmp_path: Path,
) -> None:
    def restart_then_outage(run: Run) -> float:
        run.at_published(150)
        own_postgres.stop("immediate")
        own_postgres.start()
        run.at_published(350)
        own_postgres.stop("fast")
        time.sleep(PG_DOWN_S)  # the fault itself: no database for 20 s
        own_postgres.start()
        return time.monotonic()

    result = run_scenario(
        "5. PostgreSQL restarted, then down 20 s",
        kafka=chaos_kafka.bootstrap, database_url=fresh_database(own_postgres, "pg"),
        work=tmp_path, articles=chaos_corpus, reference=reference,
        fault=restart_then_outage, record=record, rate=12.0,
    )  # fmt: skip

    assert result.comparison.lost == 0, result.comparison.details
    assert result.comparison.duplicated == 0, result.comparison.details
