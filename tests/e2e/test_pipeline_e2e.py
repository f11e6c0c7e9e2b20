"""The whole pipeline on the real broker: a news site's feed → crawler → Kafka → extractor → Kafka
→ store → change event → a signed webhook POST — once as tasks of one process (``up``), once as
separate OS processes (as deployed).  Assertions are on the stored rows and the received body.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from e2e_servers import Page, Receiver, Site, news_site, rss_feed, seed_site_pages, webhook_receiver
from standardwebhooks.webhooks import Webhook

from services.alerts.matching import Filter
from services.alerts.repository import create_endpoint
from services.core.config import Settings
from services.core.db import make_engine, session_factory, transaction, utcnow
from services.core.migrate import upgrade
from services.replay.publish import publish_records
from services.replay.sources import read_path
from services.runtime import ALL_SERVICES, running
from services.store import queries
from services.up import wait_drained

SEED_PATH = "/article/579068ff91aef37f"
PUBLISHED = datetime(2025, 10, 31, 10, 30, tzinfo=UTC)


@pytest.fixture
def site() -> Iterator[Site]:
    with news_site(seed_site_pages(SEED_PATH)) as served:
        served.pages["/rss/it.xml"] = Page(
            rss_feed([("젠슨 황 방한", served.url(SEED_PATH), PUBLISHED)]),
            "application/rss+xml; charset=utf-8",
        )
        yield served


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as hooks:
        yield hooks


def pipeline_settings(
    make_settings: Callable[..., Settings], kafka: str, db: str, site: Site, tmp_path: Path
) -> Settings:
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        "sources:\n"
        "  - name: test-news\n"
        "    lang: ko\n"
        f"    feeds: [{site.url('/rss/it.xml')}]\n"
        "    poll_every: 3s\n",  # first poll within 3 s of start (stable phase)
        encoding="utf-8",
    )
    return make_settings(
        kafka_bootstrap=kafka,
        database_url=db,
        sources=sources,
        webhook_retry_schedule="0,0.5s,1s",
        webhook_timeout=5,
    )


def subscribe(settings: Settings, url: str) -> str:
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with transaction(session_factory(engine)) as session:
            _, secret = create_endpoint(
                session, url, Filter(), utcnow(), allow_networks=settings.allow_networks
            )
        return secret
    finally:
        engine.dispose()


def ledger(settings: Settings) -> dict[tuple[str, str | None, str], Any]:
    engine = make_engine(settings.database_url)
    try:
        with session_factory(engine)() as session:
            page = queries.commitments(session, limit=500)
            return {
                (c.subject.id, c.counterparty.id if c.counterparty else None, c.type): c
                for c in page.items
            }
    finally:
        engine.dispose()


def headline_delivery(receiver: Receiver) -> dict[str, Any] | None:
    for request in receiver.received:
        body = json.loads(request.body)
        data = body.get("data", {})
        quantity = (data.get("after") or {}).get("quantity") or {}
        if data.get("subject", {}).get("id") == "nvidia" and quantity.get("value") == 260000:
            return {"request": request, "body": body}
    return None


def assert_seed_ledger(settings: Settings) -> None:
    rows = ledger(settings)
    headline = rows[("nvidia", "korea", "supply")].state
    assert headline.quantity is not None
    assert (headline.quantity.value, headline.quantity.unit, headline.quantity.qualifier) == (
        260000, "gpu", "up_to",
    )  # fmt: skip
    assert headline.gpu_model is not None and "GB200" in headline.gpu_model
    expected = {
        ("kr-government", "up_to"),
        ("samsung-electronics", "at_least"),
        ("hyundai-motor-group", "exact"),
    }
    found = {
        (subject, row.state.quantity.qualifier)
        for (subject, _, kind), row in rows.items()
        if kind == "gpu_commitment" and row.state.quantity and row.state.quantity.value == 50000
    }
    assert expected <= found


def assert_signed_headline(receiver: Receiver, secret: str) -> None:
    found = headline_delivery(receiver)
    assert found is not None, [r.body[:200] for r in receiver.received]
    request = found["request"]
    verified = Webhook(secret).verify(request.body, dict(request.headers))
    assert verified["data"]["kind"] == "new"
    assert verified["data"]["evidence"]["sentence"].startswith("가장 눈에 띄는 부분은")
    assert request.headers["webhook-id"].startswith("msg_")


async def wait_for(condition: Callable[[], bool], timeout: float = 120.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():  # noqa: ASYNC110 - the condition is set by server threads
            await asyncio.sleep(0.2)


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
async def test_feed_article_becomes_ledger_rows_and_a_signed_webhook_in_one_process(
    database: str,
    kafka_bootstrap: str,
    make_settings: Callable[..., Settings],
    tmp_path: Path,
    request: pytest.FixtureRequest,
    site: Site,
    receiver: Receiver,
) -> None:
    db = (
        f"sqlite:///{tmp_path / 'e2e.db'}"
        if database == "sqlite"
        else request.getfixturevalue("pg_url")
    )
    settings = pipeline_settings(make_settings, kafka_bootstrap, db, site, tmp_path)
    secret = subscribe(settings, receiver.url)

    stop = asyncio.Event()
    switch_interval = sys.getswitchinterval()
    async with running(settings, ALL_SERVICES, stop) as rt:
        # the retention (INFRALEDGER_RETENTION) runs beside the crawler, the store and the alerts
        retention = {"crawler-retention", "store-retention", "alerts-retention"}
        assert retention <= {t.get_name() for t in rt.tasks}
        await wait_for(lambda: headline_delivery(receiver) is not None)
        assert all(rt.readiness().values())

    assert sys.getswitchinterval() == switch_interval  # the test process goes on as it was
    assert SEED_PATH in site.requests and "/rss/it.xml" in site.requests
    assert_seed_ledger(settings)
    assert_signed_headline(receiver, secret)


def test_feed_article_flows_through_services_running_as_separate_processes(
    kafka_bootstrap: str,
    make_settings: Callable[..., Settings],
    pg_url: str,
    tmp_path: Path,
    site: Site,
    receiver: Receiver,
) -> None:
    settings = pipeline_settings(make_settings, kafka_bootstrap, pg_url, site, tmp_path)
    secret = subscribe(settings, receiver.url)
    env = {**os.environ, **{k: str(v) for k, v in settings.masked().items() if v not in (None, "")}}
    env["INFRALEDGER_DATABASE_URL"] = pg_url
    env["INFRALEDGER_ALLOW_NETWORKS"] = "127.0.0.0/8"
    env["INFRALEDGER_WEBHOOK_RETRY_SCHEDULE"] = "0,0.5s,1s"
    env["INFRALEDGER_LOG_FORMAT"] = "json"
    logs = tmp_path / "logs"
    logs.mkdir()
    processes = {}
    for name in ALL_SERVICES:
        with (logs / f"{name}.log").open("wb") as log:
            processes[name] = subprocess.Popen(
                [sys.executable, "-m", "services.cli", name],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
    try:
        deadline = time.monotonic() + 150
        while headline_delivery(receiver) is None:
            assert time.monotonic() < deadline, "no webhook within 150 s"
            for name, process in processes.items():
                assert process.poll() is None, (logs / f"{name}.log").read_text()[-3000:]
            time.sleep(0.3)
    finally:
        for process in processes.values():
            process.send_signal(signal.SIGTERM)
        codes = {name: process.wait(timeout=60) for name, process in processes.items()}

    assert codes == dict.fromkeys(ALL_SERVICES, 0), codes
    assert_seed_ledger(settings)
    assert_signed_headline(receiver, secret)


async def test_the_crawlers_warc_archive_replays_to_the_same_ledger_as_the_live_crawl(
    kafka_bootstrap: str,
    make_settings: Callable[..., Settings],
    tmp_path: Path,
    site: Site,
) -> None:
    live = pipeline_settings(
        make_settings, kafka_bootstrap, f"sqlite:///{tmp_path / 'live.db'}", site, tmp_path
    )
    stop = asyncio.Event()
    async with running(live, ("crawler", "extractor", "store"), stop) as rt:
        await wait_for(lambda: ("nvidia", "korea", "supply") in ledger(live))
        await wait_drained(rt, alerts=False)
    archives = sorted(live.warc_dir.glob("*.warc.gz"))
    assert archives, "the crawler archived nothing"

    replayed = make_settings(
        kafka_bootstrap=kafka_bootstrap, database_url=f"sqlite:///{tmp_path / 'replayed.db'}"
    )
    stop = asyncio.Event()
    async with running(replayed, ("extractor", "store"), stop) as rt:
        records = [record for path in archives for record in read_path(path)]
        summary = await publish_records(records, rt.publisher, rt.topics, replay_id="warc")
        await wait_drained(rt, alerts=False)

    assert summary.published == 1 and not summary.errors
    assert {k: v.state for k, v in ledger(replayed).items()} == {
        k: v.state for k, v in ledger(live).items()
    }
