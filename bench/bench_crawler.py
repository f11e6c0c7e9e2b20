"""Crawler throughput: pages/s from a local site on 127.0.0.1 with politeness off, against the
HTML-to-text ceiling (``parse_response`` alone on both cores).

    .venv/bin/python bench/bench_crawler.py [--quick | --pages N] [--in-process-site]

The crawler does all its production work: fetch, decode, HTML-to-text, relevance, dedup and
claims in SQLite, WARC writes, and publishing to ``articles.v1`` on a private Apache Kafka
broker (one KRaft node, started before the first ceiling and not timed; it shares the two cores,
as in production).  Until session 5 the crawl published to the in-memory bus.

The site is a keep-alive HTTP/1.1 server in its own process, as a news site serves (one
connection for many requests); ``--in-process-site`` serves it from the crawler's own event
loop with the tests' FakeSite instead (a new connection per request, its CPU in the crawler's
process), which is how this benchmark measured before.  The ceiling is measured on the same
pages just before and just after the crawl, and the ratio uses their mean: the host's speed
drifts (±2× within minutes), so a single measurement taken at another moment than the crawl
would compare unlike with like; both, and their spread, are printed and kept in the note.
3,000 pages by default, 300 with ``--quick`` (a tenth; at 30 the start-up — migrations, parse
workers — dominated).

Merges ``crawler.pages_per_s`` (with the ceiling and ratio), ``crawler.rss_mb_after_pages`` (the
crawler's process) and ``crawler.parse_worker_rss_mb`` (its largest child process) into
``bench/results.json`` through ``bench/results.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import random
import resource
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Collection, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "bench"), str(ROOT)]

from bench_pipeline import cpu_roots, kafka  # noqa: E402
from cpu import CpuMeter, breakdown, descendants_rss_mb, tree_cpu  # noqa: E402
from results import entry, print_table, record  # noqa: E402

from services.core.config import load_settings  # noqa: E402
from services.core.kafka import ensure_topics, kafka_publisher  # noqa: E402
from services.core.localkafka import LocalKafka  # noqa: E402
from services.crawler.crawler import run_crawler  # noqa: E402
from services.crawler.parse import parse_response  # noqa: E402
from services.crawler.sources import parse_sources  # noqa: E402
from services.crawler.workers import default_workers  # noqa: E402
from tests.crawler.fakesite import FakeSite, Response  # noqa: E402

HOST = "bench.test"
WORDS_KO = [
    "엔비디아",
    "GPU",
    "데이터센터",
    "반도체",
    "HBM",
    "삼성전자",
    "SK하이닉스",
    "공급",
    "계약",
    "투자",
    "구축",
    "클러스터",
    "전력",
    "정부",
    "기업",
    "발표",
    "계획",
    "확대",
    "생산",
    "메모리",
    "서버",
    "클라우드",
    "네이버",
    "모델",
    "학습",
    "추론",
    "수요",
    "가격",
    "공장",
]
WORDS_EN = [
    "Nvidia",
    "GPUs",
    "data",
    "center",
    "accelerator",
    "memory",
    "supply",
    "deal",
    "investment",
    "cluster",
    "power",
    "capacity",
    "government",
    "company",
    "announced",
    "plans",
    "expand",
    "production",
    "server",
    "cloud",
    "model",
    "training",
    "demand",
    "price",
    "factory",
    "Samsung",
    "hynix",
    "Microsoft",
    "OpenAI",
    "Blackwell",
    "racks",
    "cooling",
    "grid",
    "megawatts",
]


def article_html(i: int, rng: random.Random) -> bytes:
    words = WORDS_KO if i % 2 == 0 else WORDS_EN
    paragraphs = []
    for p in range(8):
        sentence = " ".join(rng.choice(words) for _ in range(40))
        paragraphs.append(f"<p>{i}-{p} {sentence}.</p>")
    title = f"{'GPU 공급' if i % 2 == 0 else 'GPU supply'} {i}"
    head = (
        f"<meta charset='utf-8'><title>{title}</title><meta property='og:title' "
        f"content='{title}'><meta property='article:published_time' "
        "content='2025-10-31T10:00:00+09:00'>"
    )
    nav = "".join(f"<li><a href='/section/{k}'>section {k}</a></li>" for k in range(30))
    body = (
        f"<html><head>{head}</head><body><nav><ul>{nav}</ul></nav><article><h1>{title}</h1>"
        + "".join(paragraphs)
        + "</article><aside>관련 기사 목록</aside><footer>Copyright</footer></body></html>"
    )
    return body.encode()


def _parse(item: tuple[str, bytes]) -> bool:
    url, body = item
    parsed = parse_response(url, {"content-type": "text/html"}, body, lang_hint=None, source="b")
    return parsed is not None


def ceiling(pages: list[tuple[str, bytes]], workers: int) -> float:
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(_parse, pages[:20]))  # warm up imports in the workers
        started = time.perf_counter()
        results = list(pool.map(_parse, pages, chunksize=8))
        elapsed = time.perf_counter() - started
    assert all(results)
    return len(pages) / elapsed


LIST_SIZE = 2_000


def site_routes(pages: list[tuple[str, bytes]]) -> tuple[dict[str, bytes], list[str]]:
    """Path → body of every page, plus section pages of at most LIST_SIZE links each (a poll
    follows up to 5,000 links); returns the routes and the section paths."""
    routes = dict(pages)
    lists = []
    for start in range(0, len(pages), LIST_SIZE):
        links = "".join(f"<a href='{p}'>{p}</a>" for p, _ in pages[start : start + LIST_SIZE])
        path = f"/list/{start // LIST_SIZE}"
        routes[path] = links.encode()
        lists.append(path)
    return routes, lists


async def _serve(routes: dict[str, bytes], reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter) -> None:  # fmt: skip
    """HTTP/1.1 with keep-alive, as a news site serves: one connection for many requests."""
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            path = head.split(b" ", 2)[1].decode("latin-1")
            body = routes.get(path)
            status = b"200 OK" if body is not None else b"404 Not Found"
            body = body if body is not None else b"not found"
            writer.write(
                b"HTTP/1.1 %s\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n"
                % (status, len(body))
                + body
            )
            await writer.drain()
            if b"connection: close" in head.lower():
                break
    except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()


def serve_forever(routes: dict[str, bytes], port: Connection) -> None:
    """The bench site in its own process (started before the crawler, stopped by the parent)."""

    async def run() -> None:
        server = await asyncio.start_server(lambda r, w: _serve(routes, r, w), "127.0.0.1", 0)
        port.send(server.sockets[0].getsockname()[1])
        await server.serve_forever()

    asyncio.run(run())


@contextlib.contextmanager
def site_process(pages: list[tuple[str, bytes]]) -> Iterator[tuple[int, int, list[str]]]:
    """The bench site in its own process: (pid, port, section paths)."""
    routes, lists = site_routes(pages)
    receive, send = multiprocessing.Pipe(duplex=False)
    process = multiprocessing.get_context("fork").Process(
        target=serve_forever, args=(routes, send), daemon=True
    )
    process.start()
    try:
        assert process.pid is not None
        yield process.pid, receive.recv(), lists
    finally:
        process.terminate()
        process.join()


@contextlib.asynccontextmanager
async def site_in_process(
    pages: list[tuple[str, bytes]],
) -> AsyncIterator[tuple[int, int, list[str]]]:
    """The tests' FakeSite in the crawler's own event loop (one connection per request)."""
    async with FakeSite() as site:
        routes, lists = site_routes(pages)
        for path, body in routes.items():
            site.route(HOST, path, Response(200, [("Content-Type", "text/html")], body))
        yield os.getpid(), site.port, lists


async def resolve(host: str, port: int) -> list[str]:
    return ["127.0.0.1"]


async def peak_children_rss(exclude: Collection[int], peak: dict[int, float]) -> None:
    """Sample the crawler's child processes (parse workers) until cancelled; ``exclude``: the
    other processes this benchmark started (the site, the broker)."""
    while True:
        sample = await asyncio.to_thread(descendants_rss_mb, os.getpid(), exclude)
        for pid, mb in sample.items():
            peak[pid] = max(peak.get(pid, 0.0), mb)
        await asyncio.sleep(0.5)


@dataclass(frozen=True)
class Crawl:
    rate: float
    """Pages/s."""
    published: int
    rss_mb: float
    """Peak RSS of the crawler's process."""
    worker_rss_mb: float
    """Peak RSS of its largest child process (a parse worker)."""
    cpu: dict[str, float]
    """CPU seconds of each part during the crawl (:mod:`cpu`)."""
    seconds: float


async def crawl(pages: list[tuple[str, bytes]], in_process: bool, broker: LocalKafka) -> Crawl:
    """One crawl of ``pages``, publishing to ``broker``."""
    async with contextlib.AsyncExitStack() as stack:
        if in_process:
            site_pid, port, lists = await stack.enter_async_context(site_in_process(pages))
        else:
            site_pid, port, lists = stack.enter_context(site_process(pages))
        sources = parse_sources(
            {
                "sources": [
                    {
                        "name": "bench",
                        "pages": [f"http://{HOST}:{port}{path}" for path in lists],
                        "article_pattern": "/a/",
                        "max_articles_per_poll": len(pages) + 1,
                    }
                ]
            }
        )
        children: dict[int, float] = {}
        sampler = asyncio.create_task(peak_children_rss({site_pid, *broker.pids()}, children))
        with tempfile.TemporaryDirectory() as tmp:
            settings = load_settings(
                data_dir=Path(tmp),
                database_url=f"sqlite:///{tmp}/bench.db",
                allow_networks="127.0.0.0/8",
                crawl_delay=0,
                kafka_bootstrap=broker.bootstrap,
            )
            await ensure_topics(settings)
            meter = CpuMeter(
                {**cpu_roots(broker), **({} if in_process else {"site": lambda: site_pid})}
            )
            everything = tree_cpu(os.getpid())  # this process and all it started
            meter.start()
            started = time.perf_counter()
            try:
                async with kafka_publisher(settings) as bus:
                    stats = await run_crawler(
                        settings, bus, asyncio.Event(), once=True, sources=sources,
                        resolver=resolve,
                    )  # fmt: skip
            finally:
                sampler.cancel()
            elapsed = time.perf_counter() - started
            used = meter.stop()
            everything = tree_cpu(os.getpid()) - everything
            cpu = {"crawler main process": used.pop("benchmark"), **used}
            # the rest of this process's tree: the parse workers (and their fork server)
            cpu["parse workers"] = max(0.0, everything - sum(cpu.values()))
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return Crawl(
        len(pages) / elapsed, stats.published, rss_mb, max(children.values(), default=0.0), cpu,
        meter.wall,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=None)
    parser.add_argument("--quick", action="store_true", help="a tenth of the pages")
    parser.add_argument(
        "--in-process-site",
        action="store_true",
        help="serve the site from the crawler's own event loop, one connection per request "
        "(the tests' FakeSite; the default is a keep-alive server in its own process)",
    )
    args = parser.parse_args()
    count = args.pages or (300 if args.quick else 3_000)
    rng = random.Random(7)
    pages = [(f"/a/{i}", article_html(i, rng)) for i in range(count)]
    workers = default_workers()
    urls_pages = [(f"http://{HOST}{p}", b) for p, b in pages]
    with tempfile.TemporaryDirectory() as tmp, kafka(Path(tmp)) as broker:
        before = ceiling(urls_pages, workers)
        crawled = asyncio.run(crawl(pages, args.in_process_site, broker))
        rate, rss_mb, worker_mb = crawled.rate, crawled.rss_mb, crawled.worker_rss_mb
        assert crawled.published == len(pages), (crawled.published, len(pages))
        after = ceiling(urls_pages, workers)
    top = (before + after) / 2
    spread = abs(before - after) / top
    site = "in the crawler's process" if args.in_process_site else "keep-alive, own process"
    rows = [
        entry("crawler.pages_per_s", rate, "pages/s", ceiling=top, target=0.7,
              target_is_ratio=True, note=f"{len(pages)} pages, politeness off, site {site}, "
              f"published to Kafka; "
              f"ceiling = parse_response alone on {workers} processes, mean of "
              f"{before:.1f} before and {after:.1f} after the crawl (spread {spread:.0%})"),
        entry("crawler.rss_mb_after_pages", rss_mb, "MB", target=300.0, lower_is_better=True,
              note=f"max RSS of the crawler's process after {len(pages)} pages"),
        entry("crawler.parse_worker_rss_mb", worker_mb, "MB", target=300.0,
              lower_is_better=True, note="max RSS of a parse worker (largest child process)"),
        *(entry(f"crawler.cpu_ms_per_page.{name.replace(' ', '_')}", used / len(pages) * 1000,
                "ms", note="CPU time per page during the crawl")
          for name, used in crawled.cpu.items()),
    ]  # fmt: skip
    print_table(rows, "crawler (issue #10 item 2)")
    print(f"ceiling {before:.1f} pages/s before the crawl, {after:.1f} after (spread {spread:.0%})")
    cores = os.cpu_count() or 1
    print(f"CPU per page (ms): {breakdown(crawled.cpu, len(pages), crawled.seconds, cores)}")
    record(rows)


if __name__ == "__main__":
    main()
