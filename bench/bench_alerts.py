"""Webhook delivery: throughput to a local receiver, and the time from a fact arriving on
``facts.v1`` to its signed webhook being received.

    python bench/bench_alerts.py [--quick]

A fresh Apache Kafka and PostgreSQL are started under a temporary directory.  The receiver is a
separate process on 127.0.0.1 answering 204, so it does not share the sender's interpreter.

- ``alerts.deliveries_per_s``: N queued deliveries (one endpoint) sent by the delivery worker
  until all are settled; the ceiling is the same number of plain signed POSTs sent by one httpx
  client to the same receiver with the same concurrency, without the database bookkeeping.
- ``alerts.fact_to_webhook_p50_ms`` / ``p99``: facts published one at a time to ``facts.v1``
  with the store, outbox relay, alerts consumer and delivery worker running; measured from the
  publish to the receiver's arrival time.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import multiprocessing
import shutil
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

import httpx  # noqa: E402
from results import entry, print_table, record  # noqa: E402

from services.alerts.matching import Filter  # noqa: E402
from services.alerts.repository import create_endpoint, enqueue_changes  # noqa: E402
from services.alerts.service import run_delivery_worker, wait_settled  # noqa: E402
from services.alerts.signing import sign  # noqa: E402
from services.core.bus import Outgoing  # noqa: E402
from services.core.config import Settings, load_settings  # noqa: E402
from services.core.db import make_engine, session_factory, transaction, utcnow  # noqa: E402
from services.core.localkafka import LocalKafka, free_port  # noqa: E402
from services.core.localpg import LocalPostgres  # noqa: E402
from services.core.migrate import upgrade  # noqa: E402
from services.core.models import (  # noqa: E402
    ArticleV1,
    ChangeEvidence,
    ChangeV1,
    CommitmentState,
    Entity,
    Evidence,
    ExtractionV1,
    ExtractorRef,
    FactV1,
    OrgRef,
    Quantity,
    stable_id,
)
from services.runtime import running  # noqa: E402


def _receiver(port: int, arrivals: Any) -> None:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            arrivals.put((time.time(), body[:4000]))
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


def change(index: int) -> ChangeV1:
    quantity = Quantity(value=1000.0 + index, unit="gpu", qualifier="exact", text=str(index))
    now = datetime.now(UTC)
    return ChangeV1(
        id=stable_id("bench-change", str(index)),
        kind="new",
        key=f"gpu_commitment|bench-{index}|nvidia|gpu|-",
        type="gpu_commitment",
        subject=OrgRef(id=f"bench-{index}", name=f"Bench {index}"),
        counterparty=OrgRef(id="nvidia", name="NVIDIA"),
        after=CommitmentState(quantity=quantity),
        evidence=ChangeEvidence(
            article_id=stable_id("a", str(index)), url=f"https://news.example/{index}",
            sentence="Bench deploys GPUs.", start=0, end=19,
        ),
        effective_at=now,
        recorded_at=now,
    )


async def baseline_posts(url: str, count: int, concurrency: int) -> float:
    """Signed POSTs of the same size, without the database: the ceiling."""
    body = change(0).model_dump_json().encode()
    secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    semaphore = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(timeout=15) as client:

        async def post(i: int) -> None:
            async with semaphore:
                stamp = int(time.time())
                headers = {
                    "webhook-id": f"msg_{i}",
                    "webhook-timestamp": str(stamp),
                    "webhook-signature": sign((secret,), f"msg_{i}", stamp, body),
                }
                (await client.post(url, content=body, headers=headers)).raise_for_status()

        began = time.perf_counter()
        await asyncio.gather(*(post(i) for i in range(count)))
        return count / (time.perf_counter() - began)


async def delivery_throughput(settings: Settings, url: str, count: int) -> float:
    engine = make_engine(settings.database_url)
    factory = session_factory(engine)
    with transaction(factory) as session:
        create_endpoint(session, url, Filter(), utcnow(), allow_networks=settings.allow_networks)
        enqueue_changes(session, [change(i) for i in range(count)], utcnow(), 0.0)
    stop = asyncio.Event()
    began = time.perf_counter()
    worker = asyncio.create_task(run_delivery_worker(factory, settings, stop, poll_interval=0.05))
    settled = await wait_settled(factory, timeout=600)
    elapsed = time.perf_counter() - began
    stop.set()
    await worker
    engine.dispose()
    assert settled, "deliveries did not settle"
    return count / elapsed


def extraction(index: int) -> ExtractionV1:
    text = f"Latency Corp {index} will deploy {1000 + index:,} NVIDIA H100 GPUs."
    url = f"https://news.example/latency/{index}"
    published = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=index)
    article = ArticleV1(
        id=stable_id(url), url=url, source="bench", lang="en", title="t",
        published_at=published, fetched_at=published, text=text,
        content_hash=hashlib.sha256(text.encode()).hexdigest(),
    )  # fmt: skip
    fact = FactV1(
        type="gpu_commitment",
        subject=Entity(id=f"latency-{index}", name=f"Latency Corp {index}", mention="Latency"),
        counterparty=Entity(id="nvidia", name="NVIDIA", mention="NVIDIA"),
        quantity=Quantity(value=1000.0 + index, unit="gpu", qualifier="exact", text="1,000"),
        gpu_model="H100",
        evidence=Evidence(sentence=text, start=0, end=len(text)),
        extractor=ExtractorRef(version="bench", rule="bench"),
    )
    return ExtractionV1(
        article=article, extractor_version="bench", facts=(fact,), extracted_at=published
    )


async def fact_to_webhook(settings: Settings, url: str, arrivals: Any, count: int) -> list[float]:
    engine = make_engine(settings.database_url)
    with transaction(session_factory(engine)) as session:
        create_endpoint(session, url, Filter(), utcnow(), allow_networks=settings.allow_networks)
    engine.dispose()
    latencies = []
    stop = asyncio.Event()
    async with running(settings, ("store", "alerts"), stop) as rt:
        await asyncio.sleep(3)  # let the consumers join their groups before timing
        for index in range(count):
            message = extraction(index)
            sent = time.time()
            await rt.publisher.publish_many(
                [Outgoing(rt.topics.facts, message.article.id, message.model_dump_json().encode())]
            )
            latencies.append((await _arrival_of(arrivals, f"latency-{index}") - sent) * 1000)
    return latencies


def wait_listening(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


async def _arrival_of(arrivals: Any, marker: str) -> float:
    """When the webhook whose body names ``marker`` arrived (earlier arrivals are skipped)."""
    while True:
        arrived, body = await asyncio.to_thread(arrivals.get, True, 60)
        if marker.encode() in body:
            return float(arrived)


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    deliveries, facts = (200, 10) if args.quick else (2000, 50)
    root = Path(tempfile.mkdtemp(prefix="bench-alerts-"))
    kafka = LocalKafka(root / "kafka", partitions=6)
    postgres = LocalPostgres(root / "pg")
    port = free_port()
    context = multiprocessing.get_context("spawn")
    arrivals = context.Queue()
    receiver = context.Process(target=_receiver, args=(port, arrivals), daemon=True)
    try:
        kafka.start()
        postgres.start()
        receiver.start()
        wait_listening(port)
        url = f"http://127.0.0.1:{port}/hook"
        base = {
            "kafka_bootstrap": kafka.bootstrap, "allow_networks": "127.0.0.0/8",
            "data_dir": root / "var", "webhook_retry_schedule": "0,1s,2s",
        }  # fmt: skip
        throughput_db = postgres.create_database("throughput")
        upgrade(throughput_db)
        settings = load_settings(**base, database_url=throughput_db)
        ceiling = asyncio.run(baseline_posts(url, deliveries, settings.webhook_concurrency))
        rate = asyncio.run(delivery_throughput(settings, url, deliveries))
        latency_db = postgres.create_database("latency")
        upgrade(latency_db)
        latencies = asyncio.run(
            fact_to_webhook(load_settings(**base, database_url=latency_db), url, arrivals, facts)
        )
    finally:
        receiver.kill()
        kafka.stop()
        postgres.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)
    rows = [
        entry("alerts.deliveries_per_s", rate, "deliveries/s", ceiling=ceiling,
              note=f"{deliveries} deliveries, one endpoint, PostgreSQL"),
        entry("alerts.fact_to_webhook_p50_ms", statistics.median(latencies), "ms",
              lower_is_better=True, note=f"{facts} facts, one at a time"),
        entry("alerts.fact_to_webhook_p99_ms", percentile(latencies, 0.99), "ms",
              lower_is_better=True),
    ]  # fmt: skip
    print_table(rows)
    record(rows)


if __name__ == "__main__":
    main()
