"""Each service as its own OS process: health, readiness and metrics endpoints, clean SIGTERM,
and scale-out through consumer groups (two extractors and two stores on six partitions)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from services.core.bus import Outgoing
from services.core.config import Settings
from services.core.db import make_engine, session_factory
from services.core.kafka import committed_lag, ensure_topics, kafka_publisher
from services.core.localkafka import free_port
from services.core.migrate import upgrade
from services.core.topics import Topics
from services.store import queries
from services.store.tables import StoreArticle, StoreFact
from services.testing.corpus import generate


def service_env(settings: Settings, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "INFRALEDGER_KAFKA_BOOTSTRAP": str(settings.kafka_bootstrap),
            "INFRALEDGER_DATABASE_URL": settings.database_url,
            "INFRALEDGER_TOPIC_PREFIX": settings.topic_prefix,
            "INFRALEDGER_GROUP_PREFIX": settings.group_prefix,
            "INFRALEDGER_PARTITIONS": str(settings.partitions),
            "INFRALEDGER_DATA_DIR": str(settings.data_dir),
            "INFRALEDGER_LOG_FORMAT": "json",
            "INFRALEDGER_GRACE_PERIOD": "10s",
        }
    )
    env.update(extra)
    return env


@contextmanager
def service_processes(
    names: list[str], settings: Settings, logs: Path, **extra: str
) -> Iterator[list[subprocess.Popen[bytes]]]:
    logs.mkdir(parents=True, exist_ok=True)
    processes = []
    for index, name in enumerate(names):
        with (logs / f"{name}-{index}.log").open("wb") as log:
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "services.cli", name],
                    env=service_env(settings, **extra),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
    try:
        yield processes
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def poll_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.25)


def get(url: str) -> httpx.Response | None:
    try:
        return httpx.get(url, timeout=2)
    except httpx.HTTPError:
        return None


@pytest.mark.parametrize("service", ["crawler", "extractor", "store", "alerts", "api"])
def test_each_service_alone_serves_health_readiness_and_metrics_and_stops_on_sigterm(
    service: str, kafka_bootstrap: str, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = make_settings(kafka_bootstrap=kafka_bootstrap)
    sources = tmp_path / "sources.yaml"
    sources.write_text("sources: []\n", encoding="utf-8")  # no traffic beyond this machine
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    port_variable = "INFRALEDGER_API_PORT" if service == "api" else "INFRALEDGER_HEALTH_PORT"
    with service_processes(
        [service], settings, tmp_path / "logs",
        INFRALEDGER_SOURCES=str(sources), **{port_variable: str(port)},
    ) as (process,):  # fmt: skip
        poll_until(lambda: (r := get(base + "/healthz")) is not None and r.status_code == 200,
                   60, "/healthz")  # fmt: skip
        poll_until(lambda: (r := get(base + "/readyz")) is not None and r.status_code == 200,
                   60, "/readyz")  # fmt: skip
        ready = httpx.get(base + "/readyz").json()
        metrics = httpx.get(base + "/metrics").text
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0

    assert ready["ready"] is True and ready["checks"]["database"] is True
    if service in ("extractor", "store", "alerts"):
        assert ready["checks"][service] is True  # its partitions are assigned
    assert "infraledger_messages_consumed_total" in metrics
    assert "infraledger_batch_processing_seconds" in metrics


async def _publish(settings: Settings, count: int) -> list[str]:
    await ensure_topics(settings)
    corpus = generate(count, seed=11)
    topic = Topics(settings.topic_prefix).articles
    async with kafka_publisher(settings) as publisher:
        await publisher.publish_many(
            [Outgoing(topic, c.article.id, c.article.model_dump_json().encode()) for c in corpus]
        )
    return [c.article.id for c in corpus]


def _drained(settings: Settings) -> bool:
    topics = Topics(settings.topic_prefix)

    async def lag() -> int:
        extractor = await committed_lag(
            settings, f"{settings.group_prefix}-extractor", [topics.articles]
        )
        store = await committed_lag(settings, f"{settings.group_prefix}-store", [topics.facts])
        return extractor + store

    return asyncio.run(lag()) == 0


def _ledger_snapshot(url: str) -> tuple[int, int, dict[str, object]]:
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            articles = session.scalar(select(func.count()).select_from(StoreArticle)) or 0
            facts = session.scalar(select(func.count()).select_from(StoreFact)) or 0
            page = queries.commitments(session, limit=1000)
            state = {c.key: c.state.model_dump() for c in page.items}
    finally:
        engine.dispose()
    return articles, facts, state


def test_two_extractors_and_two_stores_share_six_partitions_without_loss_or_duplicates(
    kafka_bootstrap: str, make_settings: Callable[..., Settings], pg_url: str, tmp_path: Path
) -> None:
    scaled = make_settings(kafka_bootstrap=kafka_bootstrap, database_url=pg_url, partitions=6)
    upgrade(pg_url)
    ids = asyncio.run(_publish(scaled, 120))
    with service_processes(["extractor", "store"], scaled, tmp_path / "logs-scaled"):
        # The second pair joins while messages flow: partitions move mid-stream.
        poll_until(lambda: _ledger_snapshot(pg_url)[0] >= 10, 120, "the first articles stored")
        with service_processes(["extractor", "store"], scaled, tmp_path / "logs-scaled-2"):
            poll_until(lambda: _drained(scaled), 240, "the scaled pipeline to drain")
    scaled_snapshot = _ledger_snapshot(pg_url)

    single_db = f"sqlite:///{tmp_path / 'single.db'}"
    single = make_settings(kafka_bootstrap=kafka_bootstrap, database_url=single_db, partitions=6)
    upgrade(single_db)
    asyncio.run(_publish(single, 120))
    with service_processes(["extractor", "store"], single, tmp_path / "logs-single"):
        poll_until(lambda: _drained(single), 240, "the single pipeline to drain")
    single_snapshot = _ledger_snapshot(single_db)

    articles, facts, ledger = scaled_snapshot
    assert articles == len(set(ids)) == 120
    assert (articles, facts) == single_snapshot[:2]
    assert ledger == single_snapshot[2]
