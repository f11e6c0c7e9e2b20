"""End to end: articles/s from ``articles.v1`` to ``ledger.changes.v1``, latency, memory, growth.

    python bench/bench_pipeline.py [--quick | --full] [--articles N]

Issue #10 items 4, 6 (the pipeline half) and 7 (the end-to-end half).  A fresh Kafka broker
(6 partitions) and PostgreSQL are started under a temporary directory; the services run as
their own processes (``python -m services.cli extractor|store|alerts``) exactly as deployed.

1. **Ceiling** — each stage alone on the same input: raw aiokafka produce → consume of the
   article messages; the extractor alone (articles backlog → its committed lag is 0); the store
   alone (the extractor's own ``facts.v1`` output, re-published to a fresh topic → lag 0).
   Each is measured before and again right after the sustained run and the two are averaged
   (the host's speed drifts ±2× within minutes); the slowest stage's mean is the ceiling.
2. **Sustained** — all services; the corpus published as fast as the producer goes; from the
   first publish to the last change on ``ledger.changes.v1`` (after every lag is 0).
3. **Latency** — a fresh slice of the corpus published at 10 %, 50 % and 90 % of the sustained
   rate; per article, publish → first change naming it (``evidence.article_id``); p50 and p99.
4. **Memory** — peak RSS (``VmHWM``) of each service process over 2 and 3.
5. **Growth** — on a ledger with services of its own (warmed up by 200 articles, 30 quick),
   the sustained measurement after preloading background facts to 10k, 100k and 1M (a tenth
   quick), three runs of new articles at each size and their median; then the smallest size's
   three runs once more on a fresh ledger, with the same articles, and the rows compare with
   the mean of the two medians: the host's speed drifts within minutes
   (``results.growth_rows``).  Until session 15 a size had one run, and the end-to-end series
   stopped at 100k without ``--full``.

``--quick`` runs a tenth of the articles.  Every wait is bounded; the broker, the database and
the service processes are stopped and the temporary directory removed even on failure.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT)]

from bench_store import (  # noqa: E402
    corpus_slice,
    postgres,
    preload,
    prepare_database,
    scratch,
    stored_facts,
)
from cpu import CpuMeter, breakdown, postmaster_pid  # noqa: E402
from results import (  # noqa: E402
    GROWTH_REPEATS,
    entry,
    growth_rows,
    listed,
    machine,
    print_table,
    record,
    stop_on_sigterm,
)

from services.core.config import Settings, load_settings  # noqa: E402
from services.core.localkafka import LocalKafka, free_port  # noqa: E402
from services.core.localpg import LocalPostgres  # noqa: E402
from services.core.models import ArticleV1  # noqa: E402
from services.core.polling import effective_at_header  # noqa: E402
from services.core.topics import Topics  # noqa: E402

PARTITIONS = 6
TARGET_RATIO = 0.7
TARGET_ARTICLES_PER_S = 1000.0
TARGET_P99_MS = 500.0
TARGET_RSS_MB = 300.0
STAGE_TIMEOUT = 900.0
CAUGHT_UP_EVERY = 0.1
"""Seconds between questions while waiting for a consumer group to catch up (each ≈1.2 ms of
CPU, ≈5.5 ms: about 1 % of a core taken from what is measured, and times ≈0.1 s late at worst)."""


# --------------------------------------------------------------------------- infrastructure


@contextlib.contextmanager
def kafka(root: Path) -> Iterator[LocalKafka]:
    """A private single-node broker under ``root``; stopped even when the benchmark fails."""
    broker = LocalKafka(root / "kafka", partitions=PARTITIONS)
    try:
        broker.start(timeout=180)
        yield broker
    finally:
        with contextlib.suppress(Exception):
            broker.stop()


def settings_for(bootstrap: str, url: str, prefix: str) -> Settings:
    return load_settings(
        kafka_bootstrap=bootstrap, database_url=url, topic_prefix=prefix,
        group_prefix=prefix.rstrip("."), partitions=PARTITIONS,
    )  # fmt: skip


def vm_hwm_mb(pid: int) -> float:
    """Peak resident set size of process ``pid`` so far (``VmHWM``), MB; 0 once it is gone.
    Unlike the ``ru_maxrss`` that ``wait4`` reports, it starts afresh at ``exec``: Linux carries
    the spawning parent's peak over a vfork+exec into the child's ``ru_maxrss``."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Service:
    """One ``python -m services.cli <name>`` process with its health port and log file."""

    name: str
    settings: Settings
    log: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> Service:
        env = dict(os.environ)
        env.update({
            "INFRALEDGER_KAFKA_BOOTSTRAP": self.settings.kafka_bootstrap or "",
            "INFRALEDGER_DATABASE_URL": self.settings.database_url,
            "INFRALEDGER_TOPIC_PREFIX": self.settings.topic_prefix,
            "INFRALEDGER_GROUP_PREFIX": self.settings.group_prefix,
            "INFRALEDGER_PARTITIONS": str(self.settings.partitions),
            "INFRALEDGER_LOG_FORMAT": "json",
            "INFRALEDGER_HEALTH_PORT": str(self.port),
            "INFRALEDGER_DATA_DIR": str(self.log.parent),
            "INFRALEDGER_GRACE_PERIOD": "10s",
        })  # fmt: skip
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "services.cli", self.name],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        return self

    def wait_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                tail = self.log.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{self.name} exited before it was ready:\n{tail}")
            with contextlib.suppress(OSError):
                url = f"http://127.0.0.1:{self.port}/readyz"
                with urllib.request.urlopen(url, timeout=2) as answer:
                    if answer.status == 200:
                        return
            time.sleep(0.1)
        raise TimeoutError(f"{self.name} not ready after {timeout:.0f}s")

    def peak_rss_mb(self) -> float:
        """Peak resident set size so far (``VmHWM``), MB."""
        return 0.0 if self.process is None else vm_hwm_mb(self.process.pid)

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def cpu_roots(
    broker: LocalKafka, procs: Sequence[Service] = (), pg: LocalPostgres | None = None
) -> dict[str, Callable[[], int | None]]:
    """The process trees of a running system, for a :class:`cpu.CpuMeter`: the broker, each
    service and the database server (each pid asked at the reading: None once it is gone)."""
    roots: dict[str, Callable[[], int | None]] = {
        "kafka": lambda: next(iter(broker.pids()), None),
    }
    for proc in procs:
        roots[proc.name] = lambda proc=proc: proc.process.pid if proc.process else None
    if pg is not None:
        roots["postgres"] = lambda: postmaster_pid(pg.data_dir)
    return roots


@contextlib.contextmanager
def services(names: Sequence[str], settings: Settings, logs: Path) -> Iterator[list[Service]]:
    """Start ``names`` as processes, wait until each is ready, stop them all on exit."""
    started: list[Service] = []
    try:
        for name in names:
            started.append(Service(name, settings, logs / f"{settings.group_prefix}-{name}.log"))
            started[-1].start()
        for service in started:
            service.wait_ready()
        yield started
    finally:
        for service in started:
            with contextlib.suppress(Exception):
                service.stop()


# --------------------------------------------------------------------------- kafka helpers


def producer(bootstrap: str) -> Any:
    """A producer configured as the services' own (``services.core.kafka.producer_for``)."""
    from services.core.kafka import producer_for

    return producer_for(load_settings(kafka_bootstrap=bootstrap))


async def create_topics(bootstrap: str, names: Sequence[str]) -> None:
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        new = [NewTopic(n, PARTITIONS, 1) for n in names if n not in existing]
        if new:
            await admin.create_topics(new)
    finally:
        await admin.close()


Item = tuple[bytes, bytes, list[tuple[str, bytes]]]
"""key, value, headers of one message."""


async def publish(
    bootstrap: str, topic: str, items: Sequence[Item], rate: float | None = None
) -> list[float]:
    """Publish ``items`` (at ``rate`` per second, or as fast as possible); send times."""
    client = producer(bootstrap)
    await client.start()
    sent: list[float] = []
    try:
        began = time.perf_counter()
        futures = []
        for index, (key, value, headers) in enumerate(items):
            if rate:
                ahead = began + index / rate - time.perf_counter()
                if ahead > 0:
                    await asyncio.sleep(ahead)
            sent.append(time.perf_counter())
            futures.append(await client.send(topic, value, key=key, headers=headers))
        await asyncio.wait_for(asyncio.gather(*futures), STAGE_TIMEOUT)
    finally:
        await client.stop()
    return sent


async def drain(bootstrap: str, topic: str, expected: int, timeout: float) -> list[Any]:
    """Every message of ``topic`` from the beginning, until ``expected`` arrived (bounded)."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                fetch_max_bytes=32 * 1024 * 1024,
                                max_partition_fetch_bytes=8 * 1024 * 1024)  # fmt: skip
    await consumer.start()
    records: list[Any] = []
    try:
        consumer.assign([TopicPartition(topic, p) for p in range(PARTITIONS)])
        await consumer.seek_to_beginning()
        deadline = time.monotonic() + timeout
        while len(records) < expected and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=200, max_records=2000)
            for got in batches.values():
                records.extend(got)
    finally:
        await consumer.stop()
    return records


async def wait_caught_up(
    settings: Settings,
    consumers: Sequence[tuple[str, str]],
    timeout: float,
    stall: float = 120.0,
) -> float:
    """The time (perf_counter) when the groups of ``consumers`` ((service, topic) pairs, asked
    in their order) first had nothing left to commit.

    One :class:`~services.core.kafka.LagProbe` asks every :data:`CAUGHT_UP_EVERY` seconds.
    Bounded twice: by ``timeout`` overall, and by ``stall`` seconds without any progress.
    """
    from services.core.kafka import LagProbe
    from services.runtime import group_of

    deadline = time.monotonic() + timeout
    last_lag, moved = -1, time.monotonic()
    async with LagProbe(settings) as probe:
        while time.monotonic() < deadline:
            for service, topic in consumers:
                group = group_of(settings, service)
                lag = await probe.lag(group, [topic])
                if lag:
                    break
            else:
                return time.perf_counter()
            if lag != last_lag:
                last_lag, moved = lag, time.monotonic()
            elif time.monotonic() - moved > stall:
                raise TimeoutError(
                    f"{group} made no progress on {topic} for {stall:.0f}s (lag {lag}); see its log"
                )
            await asyncio.sleep(CAUGHT_UP_EVERY)
    raise TimeoutError(f"still behind after {timeout:.0f}s (lag {last_lag}): {consumers}")


class ChangeWatcher:
    """Reads ``ledger.changes.v1`` from the start; first arrival time per causing article."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.bootstrap, self.topic = bootstrap, topic
        self.first: dict[str, float] = {}
        self.count = 0
        self.last = 0.0
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

    async def __aenter__(self) -> ChangeWatcher:
        from aiokafka import AIOKafkaConsumer, TopicPartition

        self._consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap,
                                          enable_auto_commit=False)  # fmt: skip
        await self._consumer.start()
        self._consumer.assign([TopicPartition(self.topic, p) for p in range(PARTITIONS)])
        await self._consumer.seek_to_end()
        self._task = asyncio.create_task(self._run())
        return self

    async def _run(self) -> None:
        while not self._stop.is_set():
            batches = await self._consumer.getmany(timeout_ms=50, max_records=5000)
            now = time.perf_counter()
            for records in batches.values():
                for message in records:
                    self.count += 1
                    self.last = now
                    article = json.loads(message.value)["evidence"]["article_id"]
                    self.first.setdefault(article, now)

    async def settled(self, quiet: float = 1.5, timeout: float = 120.0) -> float:
        """Wait until no change arrived for ``quiet`` seconds; the last arrival time."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            if self.last and time.perf_counter() - self.last >= quiet:
                return self.last
        return self.last

    async def __aexit__(self, *exc: object) -> None:
        self._stop.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._task, 5)
        await self._consumer.stop()


def article_items(articles: Sequence[ArticleV1]) -> list[Item]:
    """The ``articles.v1`` messages of ``articles``, with the headers the crawler sets."""
    return [
        (a.id.encode(), a.model_dump_json().encode(),
         [(k, v.encode()) for k, v in effective_at_header(a).items()])
        for a in articles
    ]  # fmt: skip


# --------------------------------------------------------------------------- the stages


async def stage_kafka(bootstrap: str, items: Sequence[Item]) -> float:
    """Raw produce → consume of ``items`` on this broker; messages/s."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    topic = "raw.articles.v1"
    await create_topics(bootstrap, [topic])
    # A new topic's partition leaders are elected lazily: one message to each first, untimed.
    await publish(bootstrap, topic, [(b"warm-%d" % i, b"{}", []) for i in range(4 * PARTITIONS)])
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                fetch_max_bytes=32 * 1024 * 1024,
                                max_partition_fetch_bytes=8 * 1024 * 1024)  # fmt: skip
    await consumer.start()
    try:
        consumer.assign([TopicPartition(topic, p) for p in range(PARTITIONS)])
        await consumer.seek_to_end()
        got = 0
        last = 0.0

        async def consume() -> None:
            nonlocal got, last
            deadline = time.monotonic() + STAGE_TIMEOUT
            while got < len(items) and time.monotonic() < deadline:
                batches = await consumer.getmany(timeout_ms=100, max_records=500)
                for records in batches.values():
                    got += len(records)
                    last = time.perf_counter()

        reader = asyncio.create_task(consume())
        sent = await publish(bootstrap, topic, items)
        await reader
    finally:
        await consumer.stop()
    return got / (last - sent[0])


async def stage_alone(
    service: str, settings: Settings, items: Sequence[Item], topic: str, logs: Path
) -> tuple[float, float]:
    """``service`` alone, ready and idle, then ``items`` published to ``topic``: (msgs/s, MB)."""
    from services.core.kafka import ensure_topics

    await ensure_topics(settings)
    with services([service], settings, logs) as (proc,):
        sent = await publish(settings.kafka_bootstrap or "", topic, items)
        done = await wait_caught_up(settings, [(service, topic)], STAGE_TIMEOUT)
        return len(items) / (done - sent[0]), proc.peak_rss_mb()


@dataclass
class Sustained:
    articles: int
    seconds: float
    changes: int

    @property
    def rate(self) -> float:
        return self.articles / self.seconds


async def sustained(settings: Settings, articles: Sequence[ArticleV1]) -> Sustained:
    """Publish ``articles`` at once into the running pipeline; until the last change."""
    topics = Topics(settings.topic_prefix)
    bootstrap = settings.kafka_bootstrap or ""
    async with ChangeWatcher(bootstrap, topics.changes) as watcher:
        before = watcher.count
        sent = await publish(bootstrap, topics.articles, article_items(articles))
        await wait_caught_up(
            settings, [("extractor", topics.articles), ("store", topics.facts)], STAGE_TIMEOUT
        )
        last = await watcher.settled()
        return Sustained(len(articles), last - sent[0], watcher.count - before)


async def latency(
    settings: Settings, articles: Sequence[ArticleV1], rate: float
) -> tuple[float, float, int]:
    """Publish at ``rate``; p50 and p99 of publish → first change, ms, and the sample size."""
    topics = Topics(settings.topic_prefix)
    bootstrap = settings.kafka_bootstrap or ""
    async with ChangeWatcher(bootstrap, topics.changes) as watcher:
        sent = await publish(bootstrap, topics.articles, article_items(articles), rate=rate)
        await wait_caught_up(settings, [("store", topics.facts)], STAGE_TIMEOUT)
        await watcher.settled()
        delays = [
            (watcher.first[a.id] - at) * 1000
            for a, at in zip(articles, sent, strict=True)
            if a.id in watcher.first
        ]
    if len(delays) < 2:
        return float("nan"), float("nan"), len(delays)
    cuts = statistics.quantiles(delays, n=100, method="inclusive")
    return cuts[49], cuts[98], len(delays)


# --------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    stop_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="a tenth of the size")
    size.add_argument("--full", action="store_true", help="the issue's sizes (default already)")
    parser.add_argument("--articles", type=int, default=None)
    parser.add_argument("--no-growth", action="store_true", help="skip item 7")
    args = parser.parse_args(argv)
    scale = 0.1 if args.quick else 1.0
    count = args.articles or int(3000 * scale)
    growth = [int(n * scale) for n in (10_000, 100_000, 1_000_000)]
    print(f"pipeline benchmark: {count} articles, machine {machine()}")
    with scratch("bench-pipeline-") as root, postgres(root) as pg, kafka(root) as broker:
        rows = asyncio.run(run(root, pg, broker, count, growth, args.no_growth))
    print_table(rows, "pipeline (issue #10 items 4, 6 and 7)")
    record(rows)
    return 0


async def stages(
    bootstrap: str, pg: LocalPostgres, items: Sequence[Item], logs: Path, tag: str
) -> tuple[float, float, float]:
    """Kafka alone (msgs/s), the extractor alone and the store alone (articles/s) on ``items``,
    on topics and an empty database of their own (``tag`` tells runs apart)."""
    url = pg.create_database(f"stages_{tag}")
    prepare_database(url)
    raw = await stage_kafka(bootstrap, items)
    print(f"  kafka alone:     {raw:,.0f} msgs/s")
    alone = settings_for(bootstrap, url, f"x{tag}a.")
    extractor_rate, _ = await stage_alone(
        "extractor", alone, items, Topics(alone.topic_prefix).articles, logs
    )
    print(f"  extractor alone: {extractor_rate:,.0f} articles/s")
    facts = await drain(bootstrap, Topics(alone.topic_prefix).facts, len(items), 120)
    fact_items = [(r.key, r.value, list(r.headers or ())) for r in facts]
    store_settings = settings_for(bootstrap, url, f"x{tag}s.")
    store_rate, _ = await stage_alone(
        "store", store_settings, fact_items, Topics(store_settings.topic_prefix).facts, logs
    )
    print(f"  store alone:     {store_rate:,.0f} articles/s")
    return raw, extractor_rate, store_rate


async def growth_series(
    bootstrap: str,
    pg: LocalPostgres,
    logs: Path,
    name: str,
    sizes: Sequence[int],
    count: int,
) -> list[tuple[int, list[float]]]:
    """On a new ledger with services of its own, warmed up by a fifth of ``count`` articles:
    background facts preloaded up to each of ``sizes`` in turn, each followed by
    :data:`GROWTH_REPEATS` sustained measurements of ``count`` new articles; (facts stored,
    articles/s of each run) for each size.  The articles depend only on their run's position,
    so a second series on a fresh ledger measures its sizes with the same articles."""
    from services.core.kafka import ensure_topics

    url = pg.create_database(name)
    prepare_database(url)
    settings = settings_for(bootstrap, url, f"{name}.")
    await ensure_topics(settings)
    found, loaded, phase = [], 0, 5
    with services(("extractor", "store", "alerts"), settings, logs):
        await sustained(settings, corpus_slice(max(30, count // 5), 4))
        for target in sizes:
            await asyncio.to_thread(preload, url, target - loaded, first=loaded, warm=False)
            loaded = target
            rates = [
                (await sustained(settings, corpus_slice(count, phase + run))).rate
                for run in range(GROWTH_REPEATS)
            ]
            phase += GROWTH_REPEATS
            found.append((await asyncio.to_thread(stored_facts, url), rates))
    return found


async def run(
    root: Path,
    pg: LocalPostgres,
    broker: LocalKafka,
    count: int,
    growth: Sequence[int],
    skip_growth: bool,
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    bootstrap = broker.bootstrap
    logs = root / "logs"
    logs.mkdir()
    articles = corpus_slice(count, 0)
    items = article_items(articles)

    # 1. every stage alone on the same input (again right after the sustained run: the ceiling
    # is the mean of the two, as the host's speed drifts)
    before = await stages(bootstrap, pg, items, logs, "b")

    # 2-4. everything together
    url = pg.create_database("ledger")
    prepare_database(url)
    settings = settings_for(bootstrap, url, "e2e.")
    with services(("extractor", "store", "alerts"), settings, logs) as procs:
        meter = CpuMeter(cpu_roots(broker, procs, pg))
        meter.start()
        full = await sustained(settings, articles)
        cpu = meter.stop()
        print(
            f"  sustained:       {full.rate:,.0f} articles/s "
            f"({full.articles} articles, {full.changes} changes, {full.seconds:.1f}s)"
        )
        print(f"  CPU per article (ms): "
              f"{breakdown(cpu, full.articles, meter.wall, os.cpu_count() or 1)}")  # fmt: skip
        after = await stages(bootstrap, pg, items, logs, "a")
        raw, extractor_rate, store_rate = (
            (b + a) / 2 for b, a in zip(before, after, strict=True)
        )
        ceiling = min(raw, extractor_rate, store_rate)
        slowest = {raw: "kafka", extractor_rate: "extractor", store_rate: "store"}[ceiling]
        drift = ", ".join(
            f"{name} {b:.0f} → {a:.0f}"
            for name, b, a in zip(("kafka", "extractor", "store"), before, after, strict=True)
        )
        print(f"  stages alone, mean of before and after: {ceiling:,.0f}/s ({slowest}); {drift}")
        rows += [
            entry("pipeline.articles_per_s", full.rate, "articles/s", ceiling=ceiling,
                  target=TARGET_RATIO, target_is_ratio=True,
                  note=f"ceiling = slowest stage alone ({slowest}), each the mean of a run "
                       f"before and one after the sustained run ({drift} per s)"),
            entry("pipeline.articles_per_s.absolute", full.rate, "articles/s",
                  target=TARGET_ARTICLES_PER_S),
            entry("pipeline.stage.kafka_msgs_per_s", raw, "msgs/s"),
            entry("pipeline.stage.extractor_articles_per_s", extractor_rate, "articles/s"),
            entry("pipeline.stage.store_articles_per_s", store_rate, "articles/s"),
            *(entry(f"pipeline.cpu_ms_per_article.{name}", used / full.articles * 1000, "ms",
                    note="CPU time of the process tree per article during the sustained run "
                         "(publishing included: the benchmark)")
              for name, used in cpu.items()),
        ]  # fmt: skip
        record(rows)  # kept even if a later phase fails
        for phase, share in enumerate((0.1, 0.5, 0.9), start=1):
            rate = full.rate * share
            n = max(30, min(int(rate * (20 if count >= 1000 else 8)), count))
            p50, p99, sample = await latency(settings, corpus_slice(n, phase), rate)
            print(
                f"  latency at {share:.0%} ({rate:,.0f}/s, {sample} articles): "
                f"p50 {p50:,.0f} ms, p99 {p99:,.0f} ms"
            )
            pct = int(share * 100)
            rows += [
                entry(f"pipeline.latency_p50_ms.at_{pct}pct", p50, "ms"),
                entry(f"pipeline.latency_p99_ms.at_{pct}pct", p99, "ms",
                      target=TARGET_P99_MS if pct == 50 else None, lower_is_better=True,
                      note=f"{sample} articles at {rate:.1f} articles/s"),
            ]  # fmt: skip

        record(rows)
        for proc in procs:
            peak = proc.peak_rss_mb()
            print(f"  peak RSS {proc.name}: {peak:,.0f} MB")
            rows.append(
                entry(
                    f"memory.pipeline.{proc.name}_peak_rss_mb",
                    peak,
                    "MB",
                    target=TARGET_RSS_MB,
                    lower_is_better=True,
                )
            )

    # 5. growth, on ledgers with services of their own (the pipeline's are stopped): the
    # series, then its smallest size's runs once more on a fresh ledger (the same articles), as
    # the host's speed drifts within minutes
    if not skip_growth:
        size = max(100, count // 3)
        series = await growth_series(bootstrap, pg, logs, "growth", growth, size)
        (_, again), = await growth_series(bootstrap, pg, logs, "again", growth[:1], size)
        for target, (total, rates) in zip(growth, series, strict=True):
            print(f"  growth {target:,} ({total:,} facts stored): {listed(rates)} articles/s")
        print(f"  growth {growth[0]:,} again, fresh ledger: {listed(again)} articles/s")
        rows += growth_rows(
            "pipeline.growth.articles_per_s", "articles/s",
            [(target, f"{total:,} facts stored, runs of {size:,} articles", rates)
             for target, (total, rates) in zip(growth, series, strict=True)],
            again,
        )  # fmt: skip
    return rows


if __name__ == "__main__":
    sys.exit(main())
