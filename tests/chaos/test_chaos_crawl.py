"""Scenarios 9 and 10: hostile crawl targets, and a full disk under the WARC archive.

The crawler runs as a process next to the other services; a good news site (20 articles) is
crawled alongside the hostile targets.  Bounds, with ``INFRALEDGER_FETCH_TIMEOUT=3s`` and the
default ``INFRALEDGER_MAX_BODY_BYTES`` (10 MiB):

- slowloris (an endless body, a byte every 0.5 s): cut at the total fetch deadline, 3 × 3 s;
- infinite redirects: at most 5 hops, so at most 6 requests per poll;
- gzip bomb (256 MiB of zeros in ~250 KiB): decoding stops at 10 MiB;
- a 100 MB page: reading stops at 10 MiB (plus what the sockets buffered);
- invalid charset bytes / a bogus charset: the page is decoded or rejected, never a crash;
- a feed of 100,000 items: at most 5,000 links are followed per poll;
- the crawler process's peak resident memory stays under 700 MiB throughout;
- the good site's 20 articles reach the ledger within 180 s despite all of the above.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from corpus import crawlable
from harness import (
    CONSUMERS,
    Comparison,
    Pipeline,
    Receiver,
    fresh_database,
    read_outcome,
    receiver,
    wait_until,
)
from hostile import (
    Target,
    good_site,
    gzip_bomb,
    huge_feed,
    hundred_megabytes,
    invalid_charset,
    redirect_loop,
    serving,
    slowloris,
)
from report import record
from sqlalchemy import text

from services.core.db import make_engine
from services.core.kafka import bootstrap_of
from services.core.localkafka import LocalKafka
from services.core.localpg import LocalPostgres
from services.core.models import ArticleV1
from services.crawler.relevance import judge
from services.extractor.extract import extract_article

FETCH_TIMEOUT_S = 3.0
TOTAL_FETCH_S = 3 * FETCH_TIMEOUT_S
MAX_BODY = 10 * 1024 * 1024
MAX_LINKS = 5000
MAX_REDIRECTS = 5
PEAK_RSS_MB = 700
GOOD_WITHIN_S = 180.0
BLOCKED_LOOP_BOUND_S = 60.0
"""Bounded in any case: the deadline plus the longest synchronous parse of a 10 MiB feed."""


def good_articles(count: int = 20, offset: int = 0) -> list[ArticleV1]:
    """Distinct generated articles with commitments that the crawler judges relevant."""
    chosen = [
        a
        for a in crawlable(count + offset + 20)
        if extract_article(a) and judge(a.title, a.text).relevant
    ]
    assert len(chosen) >= offset + count
    return chosen[offset : offset + count]


def sources_yaml(path: Path, entries: list[dict[str, object]]) -> Path:
    path.write_text(json.dumps({"sources": entries}), encoding="utf-8")  # JSON is YAML
    return path


def source(
    name: str, target: Target, poll_every: str = "1h", **kinds: list[str]
) -> dict[str, object]:
    entry: dict[str, object] = {"name": name, "lang": "ko", "poll_every": poll_every}
    for kind, paths in kinds.items():
        entry[kind] = [target.url(p) for p in paths]
    if "pages" in kinds:
        entry["article_pattern"] = "/article/"
    return entry


def stats(targets: list[Target]) -> dict[str, object]:
    return {
        t.name: {
            "requests": len(t.requests),
            "closed_after_s": [round(x, 1) for x in t.closed_after],
            "bytes_sent": t.bytes_sent,
        }
        for t in targets
    }


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def articles_published(pipeline: Pipeline) -> Counter[str]:
    """How many times each article id was published to ``articles.v1``."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    async def read() -> Counter[str]:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap_of(pipeline.settings), group_id=None,
            enable_auto_commit=False,
        )  # fmt: skip
        await consumer.start()
        counts: Counter[str] = Counter()
        try:
            topic = pipeline.topics.articles
            parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
            if not parts:
                parts = [TopicPartition(topic, p) for p in range(pipeline.settings.partitions)]
            consumer.assign(parts)
            await consumer.seek_to_beginning(*parts)
            ends = await consumer.end_offsets(parts)
            remaining = {tp for tp in parts if ends[tp] > 0}
            async with asyncio.timeout(30):
                while remaining:
                    for tp, records in (await consumer.getmany(timeout_ms=200)).items():
                        for r in records:
                            counts[json.loads(r.value)["id"]] += 1
                            if r.offset + 1 >= ends[tp]:
                                remaining.discard(tp)
        finally:
            await consumer.stop()
        return counts

    return asyncio.run(read())


def stored_urls(pipeline: Pipeline) -> set[str]:
    engine = make_engine(pipeline.database_url)
    try:
        with engine.connect() as conn:
            return {r[0] for r in conn.execute(text("SELECT url FROM store_articles"))}
    except Exception:
        return set()
    finally:
        engine.dispose()


def stored_claims(pipeline: Pipeline) -> set[tuple[str, str, float | None]]:
    engine = make_engine(pipeline.database_url)
    sql = (
        "SELECT a.url, f.subject_id, f.fact FROM store_facts f "
        "JOIN store_articles a ON a.id = f.article_id"
    )
    try:
        with engine.connect() as conn:
            rows = list(conn.execute(text(sql)))
    finally:
        engine.dispose()
    claims = set()
    for url, subject, fact in rows:
        loaded = json.loads(fact) if isinstance(fact, str) else fact
        claims.add((url, subject, (loaded.get("quantity") or {}).get("value")))
    return claims


def evaluate(
    name: str,
    pipeline: Pipeline,
    hooks: Receiver,
    good: dict[str, ArticleV1],
    recovery: float | None,
) -> Comparison:
    """Lost: good articles or their facts missing from the ledger, alerts not received.
    Duplicated: an article published twice, doubled rows, an alert received twice."""
    outcome = read_outcome(pipeline.database_url, hooks)
    expected = {
        (url, f.subject.id, f.quantity.value if f.quantity else None)
        for url, article in good.items()
        for f in extract_article(article)
    }
    claims = stored_claims(pipeline)
    received = {e for w, e in outcome.webhook_events.items() if e and outcome.received[w]}
    lost = {
        "articles": sorted(set(good) - stored_urls(pipeline)),
        "facts": sorted(str(c) for c in expected - claims),
        "deliveries": sorted(outcome.notified - received),
    }
    published = articles_published(pipeline)
    excused = {w for w, n in outcome.received.items() if n > 1 and w in outcome.lost_attempts}
    duplicated = {
        "published": sum(n - 1 for n in published.values() if n > 1),
        "facts": sum(n - 1 for n in outcome.facts.values() if n > 1),
        "changes": sum(n - 1 for n in outcome.changes.values() if n > 1),
        "received": sum(n - 1 for w, n in outcome.received.items() if n > 1 and w not in excused),
    }
    comparison = Comparison(
        facts=sum(outcome.facts.values()),
        changes=sum(outcome.changes.values()),
        deliveries=len(outcome.received),
        lost=sum(len(v) for v in lost.values()),
        duplicated=sum(duplicated.values()),
        resent=sum(outcome.received[w] - 1 for w in excused),
        transient_changes=0,
        details={
            "lost": {k: v[:20] for k, v in lost.items() if v},
            "duplicated": {k: v for k, v in duplicated.items() if v},
        },
    )
    record(name, len(good), comparison, recovery)
    return comparison


def crawl_pipeline(
    label: str, kafka: LocalKafka, database_url: str, work: Path, sources: Path, **env: str
) -> Pipeline:
    return Pipeline(
        label, kafka.bootstrap, database_url, work,
        extra_env={"INFRALEDGER_SOURCES": str(sources),
                   "INFRALEDGER_FETCH_TIMEOUT": f"{FETCH_TIMEOUT_S:g}s", **env},
    )  # fmt: skip


def test_hostile_crawl_targets_are_bounded_and_do_not_stop_the_good_source(
    chaos_kafka: LocalKafka,
    chaos_pg: LocalPostgres,
    tmp_path: Path,
) -> None:
    good = good_articles()
    targets = [
        Target("good", "127.0.0.1", good_site(good)),
        Target("slowloris", "127.0.0.2", slowloris),
        Target("redirects", "127.0.0.3", redirect_loop),
        Target("gzip-bomb", "127.0.0.4", gzip_bomb()),
        Target("100-mb-page", "127.0.0.5", hundred_megabytes),
        Target("bad-charset", "127.0.0.6", invalid_charset(good_articles(1, offset=40)[0])),
        Target("100k-feed", "127.0.0.7", huge_feed()),
    ]
    with serving(targets), receiver() as hooks:
        by = {t.name: t for t in targets}
        sources = sources_yaml(
            tmp_path / "sources.yaml",
            [
                source("good", by["good"], feeds=["/feed"]),
                source("slowloris", by["slowloris"], feeds=["/feed"]),
                source("redirects", by["redirects"], feeds=["/feed"]),
                source("gzip-bomb", by["gzip-bomb"], feeds=["/feed"]),
                source("100-mb-page", by["100-mb-page"], pages=["/section"]),
                source("bad-charset", by["bad-charset"], feeds=["/feed"]),
                source("100k-feed", by["100k-feed"], feeds=["/feed"]),
            ],
        )
        pipeline = crawl_pipeline(
            "hostile", chaos_kafka, fresh_database(chaos_pg, "hostile"), tmp_path, sources
        )
        pipeline.prepare(hooks.url)
        pipeline.start_all((*CONSUMERS, "crawler"))
        crawler_pid = pipeline.procs["crawler"].process.pid
        good_urls = {by["good"].url(f"/article/{i}"): a for i, a in enumerate(good)}
        peak = 0.0
        recovery: float | None = None
        try:
            unmet: list[str] = []

            def everything_visited() -> bool:
                nonlocal peak
                pipeline.check_alive()
                peak = max(peak, peak_rss_mb(crawler_pid))
                checks = {
                    "good articles stored": good_urls.keys() <= stored_urls(pipeline),
                    "slowloris cut": bool(by["slowloris"].closed_after),
                    "redirects refused": len(by["redirects"].paths("/r/")) >= MAX_REDIRECTS,
                    "gzip bomb served": bool(by["gzip-bomb"].bytes_sent),
                    "100 MB page cut": bool(by["100-mb-page"].closed_after),
                    "bad charset pages read": len(by["bad-charset"].paths("/a/")) == 2,
                    "100k feed links followed": bool(by["100k-feed"].paths("/i/")),
                }
                unmet[:] = [name for name, ok in checks.items() if not ok]
                return not unmet

            try:
                recovery = wait_until(
                    everything_visited, GOOD_WITHIN_S, "every target visited", 0.5
                )
            except AssertionError as exc:
                raise AssertionError(f"{exc}; unmet: {unmet}; {stats(targets)}") from None
            pipeline.wait_drained(len(good_urls), timeout=120)
            peak = max(peak, peak_rss_mb(crawler_pid))
        finally:
            codes = pipeline.stop_all()
            comparison = evaluate("9. hostile crawl targets", pipeline, hooks, good_urls, recovery)

    print(json.dumps({"peak_rss_mb": round(peak), **stats(targets)}))
    assert codes == dict.fromkeys((*CONSUMERS, "crawler"), 0), codes
    assert comparison.lost == 0, comparison.details
    assert comparison.duplicated == 0, comparison.details
    slowloris_cut = max(by["slowloris"].closed_after)
    assert slowloris_cut <= BLOCKED_LOOP_BOUND_S, f"slowloris held for {slowloris_cut:.1f} s"
    assert len(by["redirects"].paths("/")) - len(by["redirects"].paths("/robots")) <= (
        MAX_REDIRECTS + 1
    )
    assert max(by["100-mb-page"].bytes_sent) <= MAX_BODY + 16 * 1024 * 1024
    assert len(by["100k-feed"].paths("/i/")) <= MAX_LINKS
    assert peak <= PEAK_RSS_MB, f"crawler peak RSS {peak:.0f} MiB"
    assert slowloris_cut <= TOTAL_FETCH_S + 3, (
        f"the slowloris fetch was cut after {slowloris_cut:.1f} s, not within its "
        f"{TOTAL_FETCH_S:g} s deadline: is a large listing parsed on the crawler's event loop?"
    )


@contextlib.contextmanager
def small_filesystem(path: Path, size_kb: int) -> Iterator[Path]:
    """A tmpfs of ``size_kb`` KiB at ``path`` (needs root, as the suite has in CI)."""
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert mounted.returncode == 0, (
        f"the disk-full scenario needs a small tmpfs (run as root, as CI does): {mounted.stderr}"
    )
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def test_a_full_warc_disk_pauses_crawling_visibly_and_loses_nothing_published(
    chaos_kafka: LocalKafka,
    chaos_pg: LocalPostgres,
    tmp_path: Path,
) -> None:
    good = good_articles(20, offset=60)
    site = Target("good", "127.0.0.1", good_site(good))
    with (
        serving([site]),
        receiver() as hooks,
        small_filesystem(tmp_path / "warc", 512) as warc,
    ):
        filler = warc / "filler"
        with filler.open("wb") as out, contextlib.suppress(OSError):
            out.write(bytes(512 * 1024 - 12 * 1024))  # room for a few records only
        sources = sources_yaml(
            tmp_path / "sources.yaml", [source("good", site, poll_every="2s", feeds=["/feed"])]
        )
        pipeline = crawl_pipeline(
            "diskfull", chaos_kafka, fresh_database(chaos_pg, "diskfull"), tmp_path, sources,
            INFRALEDGER_ARCHIVE_DIR=str(warc),
        )  # fmt: skip
        pipeline.prepare(hooks.url)
        pipeline.start_all((*CONSUMERS, "crawler"))
        good_urls = {site.url(f"/article/{i}"): a for i, a in enumerate(good)}
        recovery: float | None = None
        try:

            def disk_full_reported() -> bool:
                pipeline.check_alive()
                return "No space left on device" in pipeline.log_text("crawler")

            def archive_ready() -> bool | None:
                return pipeline.procs["crawler"].checks().get("archive")

            def archive_gauge() -> str:
                return pipeline.procs["crawler"].metric("infraledger_crawler_archive_writable")

            wait_until(disk_full_reported, 120, "the crawler reporting the full disk", 0.5)
            wait_until(lambda: archive_ready() is False, 60, "/readyz: archive false", 0.2)
            assert archive_gauge() == "0.0"
            published_while_full = stored_urls(pipeline) & good_urls.keys()
            assert len(published_while_full) < len(good_urls), "the disk never filled up"
            # Still running, still saying why, and not re-crawling around the problem:
            assert pipeline.procs["crawler"].process.poll() is None
            freed = time.monotonic()
            os.unlink(filler)
            pipeline.wait_drained(len(good_urls), timeout=180)
            wait_until(lambda: good_urls.keys() <= stored_urls(pipeline), 60, "all stored")
            recovery = time.monotonic() - freed
            # a minute after the last refused record
            wait_until(lambda: archive_ready() is True, 120, "/readyz: archive true", 0.5)
            assert archive_gauge() == "1.0"
            assert published_while_full <= stored_urls(pipeline)
        finally:
            codes = pipeline.stop_all()
            comparison = evaluate("10. WARC disk full", pipeline, hooks, good_urls, recovery)

    assert codes == dict.fromkeys((*CONSUMERS, "crawler"), 0), codes
    assert comparison.lost == 0, comparison.details
    assert comparison.duplicated == 0, comparison.details
