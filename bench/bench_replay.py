"""Replay: time to replay a WARC archive into an empty PostgreSQL ledger, against the
HTML-to-text ceiling on the same pages (both cores), and peak RSS of every process.

    python bench/bench_replay.py [--quick | --full] [--articles N]

Issue #10 items 5 and 6 (the replay half).  The synthetic corpus is rendered into news pages
(``bench_extractor.render_html`` plus the publication-time and canonical-link metadata a news
page carries) and written as a WARC archive with the crawler's own writer
(``services.crawler.warc.WarcWriter``); none of that is timed.  Then, on a fresh Kafka broker
and PostgreSQL:

- **ceiling**: ``parse_response`` (the crawler's HTML-to-text path, which replay uses) alone
  on the same pages in 2 worker processes — pages/s;
- **replay**: extractor, store and alerts running as processes, ``infraledger replay warc``
  started as a process; from its start until it exited and the extractor and store have
  committed everything — articles/s, and the ledger is checked to hold every article.

The default is 3,000 articles (``--quick`` 300, ``--full`` the issue's 100,000: ≈10 minutes
here in session 15, the archive included; ≈23 in session 6); the ceiling is measured on the
first 1,000 of its pages just before and just after the replay, and the ratio uses their mean
(the host's speed drifts ±2× within minutes: a ceiling from another moment than the replay
compares unlike with like).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import html
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT)]

from bench_extractor import render_html  # noqa: E402
from bench_pipeline import (  # noqa: E402
    STAGE_TIMEOUT,
    TARGET_RATIO,
    TARGET_RSS_MB,
    cpu_roots,
    kafka,
    services,
    settings_for,
    vm_hwm_mb,
    wait_caught_up,
)
from bench_store import postgres, prepare_database, scratch  # noqa: E402
from cpu import CpuMeter, TreeWatch, breakdown  # noqa: E402
from results import entry, machine, print_table, record, stop_on_sigterm  # noqa: E402

from services.core.models import ArticleV1  # noqa: E402
from services.core.topics import Topics  # noqa: E402
from services.testing.corpus import generate  # noqa: E402

HEADERS = [("Content-Type", "text/html; charset=utf-8")]
CEILING_PAGES = 1_000
WORKERS = 2


def page(article: ArticleV1) -> bytes:
    """A plausible news page of ``article``: the extractor bench's page plus its metadata."""
    assert article.published_at is not None
    meta = (
        f"<meta property='og:title' content='{html.escape(article.title, quote=True)}'>"
        f"<meta property='article:published_time' content='{article.published_at.isoformat()}'>"
        f"<link rel='canonical' href='{article.url}'>"
    )
    body = render_html(html.escape(article.title), html.escape(article.text))
    return (
        body.replace("<head>", f"<head>{meta}", 1)
        .replace("<html>", f"<html lang='{article.lang}'>", 1)
        .encode()
    )


def write_archive(directory: Path, articles: Sequence[ArticleV1]) -> list[tuple[str, bytes]]:
    """The WARC archive of ``articles`` under ``directory``; returns (url, body) pairs."""
    from services.crawler.warc import WarcWriter

    writer = WarcWriter(directory, prefix="bench")
    pages = []
    try:
        for article in articles:
            body = page(article)
            writer.write_response(article.url, 200, HEADERS, body, fetched_at=article.fetched_at)
            pages.append((article.url, body))
    finally:
        writer.close()
    return pages


def _parse(item: tuple[str, bytes]) -> bool:
    from services.crawler.parse import parse_response

    url, body = item
    parsed = parse_response(url, dict(HEADERS), body, lang_hint=None, source="replay")
    return parsed is not None


def ceiling(pages: Sequence[tuple[str, bytes]]) -> float:
    """Pages/s of ``parse_response`` alone in ``WORKERS`` processes."""
    with ProcessPoolExecutor(WORKERS) as pool:
        list(pool.map(_parse, pages[: 4 * WORKERS]))  # imports and lexicons, outside the timing
        started = time.perf_counter()
        parsed = list(pool.map(_parse, pages, chunksize=16))
        elapsed = time.perf_counter() - started
    if not all(parsed):
        raise RuntimeError(f"{parsed.count(False)} pages were not parsed as articles")
    return len(pages) / elapsed


def replay_process(settings: Any, archive: Path, log: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.update({
        "INFRALEDGER_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "INFRALEDGER_DATABASE_URL": settings.database_url,
        "INFRALEDGER_TOPIC_PREFIX": settings.topic_prefix,
        "INFRALEDGER_GROUP_PREFIX": settings.group_prefix,
        "INFRALEDGER_PARTITIONS": str(settings.partitions),
        "INFRALEDGER_LOG_FORMAT": "json",
    })  # fmt: skip
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "services.cli", "replay", "warc", str(archive)],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip


@dataclass(frozen=True)
class Exit:
    status: int
    at: float
    """When it exited (``perf_counter``)."""
    rss_mb: float
    """Its peak RSS, sampled from ``VmHWM`` while it ran (the ``ru_maxrss`` of ``wait4`` would
    report this benchmark's own peak, which holds the whole corpus, carried over the spawn)."""
    worker_rss_mb: float
    """The peak RSS of its largest descendant (a parse worker)."""
    cpu_s: float
    """CPU seconds of its process tree (its parse workers, which its pool's fork server reaps,
    not it: sampled every 0.2 s while it runs, so the last moment before the exit is missed)."""


def wait_exit(process: subprocess.Popen[bytes], timeout: float) -> Exit:
    """Wait for ``process`` (bounded) and say how it went."""
    deadline = time.monotonic() + timeout
    tree = TreeWatch(process.pid)
    own, sampled = 0.0, 0.0
    while time.monotonic() < deadline:
        if time.monotonic() - sampled > 0.2:
            sampled = time.monotonic()
            tree.sample()
            own = max(own, vm_hwm_mb(process.pid))
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            worker = max(tree.peak_rss_mb.values(), default=0.0)
            cpu = max(tree.cpu, usage.ru_utime + usage.ru_stime)
            return Exit(process.returncode, time.perf_counter(), own, worker, cpu)
        time.sleep(0.05)
    process.kill()
    raise TimeoutError(f"replay still running after {timeout:.0f}s")


def ledger_articles(url: str) -> int:
    from sqlalchemy import text

    from services.core.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            count = connection.execute(text("SELECT count(*) FROM store_articles")).scalar_one()
            return int(count)
    finally:
        engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    stop_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="a tenth of the size")
    size.add_argument("--full", action="store_true", help="the issue's 100,000 articles")
    parser.add_argument("--articles", type=int, default=None)
    args = parser.parse_args(argv)
    count = args.articles or (100_000 if args.full else 300 if args.quick else 3_000)
    print(f"replay benchmark: {count} articles, machine {machine()}")

    rows: list[dict[str, Any]] = []
    with scratch("bench-replay-") as root:
        archive = root / "warc"
        started = time.perf_counter()
        articles = [c.article for c in generate(count, seed=11)]
        pages = write_archive(archive, articles)
        size_mb = sum(p.stat().st_size for p in archive.iterdir()) / 2**20
        print(f"  archive: {count} pages, {size_mb:,.0f} MB gzip WARC, built in "
              f"{time.perf_counter() - started:.0f}s (not timed)")  # fmt: skip
        sample = pages[:CEILING_PAGES]
        before = ceiling(sample)
        del pages
        print(f"  ceiling before: parse_response on {len(sample)} pages, {WORKERS} processes: "
              f"{before:,.0f} pages/s")  # fmt: skip

        with postgres(root) as pg, kafka(root) as broker:
            url = pg.create_database("ledger")
            prepare_database(url)
            settings = settings_for(broker.bootstrap, url, "replay.")
            topics = Topics(settings.topic_prefix)
            logs = root / "logs"
            logs.mkdir()
            with services(("extractor", "store", "alerts"), settings, logs) as procs:
                meter = CpuMeter(cpu_roots(broker, procs, pg))
                meter.start()
                began = time.perf_counter()
                process = replay_process(settings, archive, logs / "replay.log")
                try:
                    ended = wait_exit(process, STAGE_TIMEOUT * 4)
                finally:
                    if process.poll() is None:
                        process.kill()
                if ended.status != 0:
                    tail = (logs / "replay.log").read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"replay exited with {ended.status}:\n{tail}")
                exited, replay_rss, worker_rss = ended.at, ended.rss_mb, ended.worker_rss_mb

                done = asyncio.run(wait_caught_up(
                    settings, [("extractor", topics.articles), ("store", topics.facts)],
                    STAGE_TIMEOUT,
                ))  # fmt: skip
                seconds = done - began
                cpu = {"publisher and parse workers": ended.cpu_s, **meter.stop()}
                where = breakdown(cpu, count, meter.wall, os.cpu_count() or 1)
                after = ceiling(sample)  # the services are idle now
                top = (before + after) / 2
                drift = (f"ceiling = parse_response on {WORKERS} processes, mean of "
                         f"{before:,.1f} before and {after:,.1f} just after the replay "
                         f"(spread {abs(before - after) / top:.0%})")  # fmt: skip
                print(f"  {drift}")
                stored = ledger_articles(url)
                rate = count / seconds
                print(
                    f"  replay: {count} articles in {seconds:,.1f}s = {rate:,.0f} articles/s "
                    f"(publisher exited after {exited - began:,.1f}s; {stored} in the ledger)"
                )
                print(f"  peak RSS publisher: {replay_rss:,.0f} MB, parse worker "
                      f"{worker_rss:,.0f} MB")  # fmt: skip
                print(f"  CPU per record (ms): {where}")
                if stored != count:
                    print(f"WARNING: the ledger holds {stored} articles, expected {count}")
                rows += [
                    entry("replay.articles_per_s", rate, "articles/s", ceiling=top,
                          target=TARGET_RATIO, target_is_ratio=True,
                          note=f"{count:,} articles in {seconds:,.1f}s into an empty ledger; "
                               f"{drift}"),
                    entry("replay.publisher_articles_per_s", count / (exited - began),
                          "articles/s", ceiling=top, target=TARGET_RATIO, target_is_ratio=True,
                          note=f"`infraledger replay warc` alone: {count:,} articles read, "
                               f"parsed and published in {exited - began:,.1f}s"),
                    entry("replay.seconds", seconds, "s",
                          note=f"{count:,} articles; {stored:,} stored"),
                    *(entry(f"replay.cpu_ms_per_record.{name.replace(' ', '_')}",
                            used / count * 1000, "ms",
                            note="CPU time of the process tree per record, from the start of "
                                 "the replay until the ledger caught up")
                      for name, used in cpu.items()),
                    entry("memory.replay.publisher_peak_rss_mb", replay_rss, "MB",
                          target=TARGET_RSS_MB, lower_is_better=True),
                    entry("memory.replay.parse_worker_peak_rss_mb", worker_rss, "MB",
                          target=TARGET_RSS_MB, lower_is_better=True,
                          note="largest process the publisher started (its parse workers)"),
                ]  # fmt: skip
                for proc in procs:
                    peak = proc.peak_rss_mb()
                    print(f"  peak RSS {proc.name}: {peak:,.0f} MB")
                    rows.append(
                        entry(
                            f"memory.replay.{proc.name}_peak_rss_mb",
                            peak,
                            "MB",
                            target=TARGET_RSS_MB,
                            lower_is_better=True,
                        )
                    )
    with contextlib.suppress(Exception):
        print_table(rows, "replay (issue #10 items 5 and 6)")
    record(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
