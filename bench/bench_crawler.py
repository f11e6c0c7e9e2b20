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
3,000 pages of each set by default, 300 with ``--quick`` (a tenth; at 30 the start-up —
migrations, parse workers — dominated).  Since session 14 an untimed crawl of 300 bench pages
(30 with ``--quick``) comes first, so that both timed crawls find the broker warmed up and the
parse workers' fork server started; until then the bench pages' crawl included both.

Two page sets are crawled, each against its own ceiling.  The *bench pages* (the headline row,
measured the same way since session 2) are 4.4 KB: a bare template and 40-word sentences
drawn from a vocabulary of about 30 words per language.  The *news pages* (since session 14) are
shaped like a news site's article pages: a site header and menu, byline, share buttons,
photo, tags, related and most-read lists, footer, JSON-LD and scripts around an article
text of 1–10 KB, 6–16 KB in all (the issue's scale example is an 18 KB Korean page); their
words come from a 12,000-word vocabulary per language with a Zipf distribution, so their
texts share shingles the way unrelated news stories do.  On the bench pages the per-page costs
(fetch, claims, WARC, publishing) weigh more against HTML→text than on news pages, and their
few-word vocabulary makes each claim compare dozens of near-duplicate candidates; both rows are
kept so neither hides the other.

After the crawls, each step of a crawl runs alone on the first :data:`STEP_PAGES` pages of each
set (``bench/crawler_steps.py``): its CPU per page, and the bound their sum sets on the ratio to
the ceiling, whatever the crawler's scheduling.

Merges ``crawler.pages_per_s`` (with the ceiling and ratio), ``crawler.rss_mb_after_pages`` (the
crawler's process, its peak during the crawl: ``VmHWM``, reset before each crawl),
``crawler.parse_worker_rss_mb`` (its largest child process), ``crawler.cpu_ms_per_page.*``,
``crawler.step_ms.*`` and ``crawler.steps_bound`` of the bench pages, and the same rows of the
news pages under ``crawler.news_pages.*``, into ``bench/results.json`` through
``bench/results.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import html
import itertools
import json
import multiprocessing
import os
import random
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Collection, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "bench"), str(ROOT)]

from bench_pipeline import cpu_roots, kafka, vm_hwm_mb  # noqa: E402
from cpu import CpuMeter, TreeWatch, breakdown, tree_cpu  # noqa: E402
from crawler_steps import Steps, measure_steps  # noqa: E402
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
STEP_PAGES = 500
"""Pages of each set whose steps are measured one at a time (:mod:`crawler_steps`)."""
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


VOCABULARY = 12_000
"""Words per language of the news pages."""
ZIPF = 1.05


def _vocabulary(rng: random.Random, syllables: Sequence[str]) -> list[str]:
    """``VOCABULARY`` distinct pseudo-words of 1–4 ``syllables``, in a fixed order (rank)."""
    words: set[str] = set()
    while len(words) < VOCABULARY:
        words.add("".join(rng.choice(syllables) for _ in range(rng.randint(1, 4))))
    ranked = sorted(words)
    rng.shuffle(ranked)
    return ranked


@functools.cache
def _news_vocabularies() -> tuple[list[str], list[str]]:
    """The news pages' Korean and English vocabularies (made on first use, not at import)."""
    rng = random.Random(11)
    hangul = [chr(0xAC00 + rng.randrange(11_172)) for _ in range(600)]
    latin = [c + v for c in "bcdfghjklmnprstvwz" for v in ("a", "e", "i", "o", "u", "ai", "ou")]
    return _vocabulary(rng, hangul), _vocabulary(rng, latin)


_ZIPF_CUMULATIVE = list(itertools.accumulate(1 / rank**ZIPF for rank in range(1, VOCABULARY + 1)))
LEAD = {"ko": "엔비디아 GPU 데이터센터", "en": "Nvidia GPUs data center"}
"""Every news page's first words: each is about AI infrastructure (the relevance rules require
a core term), as the bench pages are."""


def _words(rng: random.Random, vocabulary: list[str], topical: list[str], n: int) -> str:
    """``n`` words, Zipf-distributed over ``vocabulary``; ``n // 12`` of them, and at least one,
    replaced by ``topical`` terms."""
    chosen = rng.choices(vocabulary, cum_weights=_ZIPF_CUMULATIVE, k=n)
    for _ in range(max(1, n // 12)):
        chosen[rng.randrange(n)] = rng.choice(topical)
    return " ".join(chosen)


def news_html(i: int, rng: random.Random) -> bytes:
    """Page ``i`` of the news pages (see the module docstring), 6–16 KB."""
    lang = "ko" if i % 2 == 0 else "en"
    korean, english = _news_vocabularies()
    vocabulary, topical = (korean, WORDS_KO) if lang == "ko" else (english, WORDS_EN)

    def words(n: int) -> str:
        return _words(rng, vocabulary, topical, n)

    size, length, paragraphs = rng.randint(1_000, 10_000), len(LEAD[lang].encode()), []
    while length < size:
        sentences = (words(rng.randint(8, 20)) + "." for _ in range(rng.randint(2, 4)))
        paragraphs.append(" ".join(sentences))
        length += len(paragraphs[-1].encode())
    paragraphs[0] = f"{LEAD[lang]} {paragraphs[0]}"
    title = html.escape(words(7))
    reporter = f"Reporter {i % 40}"
    photo = (f"<figure class='photo'><img src='/img/{i}.jpg' alt='{title}'>"
             f"<figcaption>{words(8)}</figcaption></figure>")  # fmt: skip
    body = [f"<p>{p}</p>" for p in paragraphs]
    body.insert(min(2, len(body)), photo)
    menu = "".join(f"<li><a href='/section/{k}'>{words(1)}</a></li>" for k in range(24))
    related = "".join(f"<li><a href='/r/{i}-{k}'>{words(6)}</a></li>" for k in range(6))
    ranking = "".join(
        f"<li><span class='rank'>{k}</span><a href='/t/{k}'>{words(6)}</a></li>"
        for k in range(1, 11)
    )
    tags = "".join(f"<a href='/tag/{t}'>#{t}</a>" for t in rng.sample(topical, 5))
    published = "2025-10-31T10:00:00+09:00"
    ld = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle", "headline": title,
                     "datePublished": published, "author": {"@type": "Person", "name": reporter}},
                    ensure_ascii=False)  # fmt: skip
    page = (
        f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'>"
        f"<title>{title} - Bench News</title>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<meta property='og:type' content='article'><meta property='og:title' content='{title}'>"
        f"<meta property='og:site_name' content='Bench News'>"
        f"<meta property='og:image' content='/img/{i}.jpg'>"
        "<meta name='twitter:card' content='summary_large_image'>"
        f"<meta property='article:published_time' content='{published}'>"
        f"<meta name='author' content='{reporter}'>"
        "<link rel='stylesheet' href='/css/common.css?v=20251031'>"
        "<link rel='stylesheet' href='/css/article.css?v=20251031'>"
        f"<script type='application/ld+json'>{ld}</script>"
        "<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}"
        "gtag('js',new Date());gtag('config','G-BENCH01');(function(w,d){var s=d.createElement("
        "'script');s.async=true;s.src='/js/ads.js';d.head.appendChild(s)})(window,document);"
        "</script></head><body><header class='site-header'><div class='logo'><a href='/'>"
        f"Bench News</a></div><nav class='gnb'><ul>{menu}</ul></nav><form class='search' "
        "action='/search'><input type='text' name='q'><button>검색</button></form></header>"
        "<div class='breadcrumb'><a href='/'>홈</a> &gt; <a href='/section/it'>IT</a></div>"
        f"<main><article class='article-view'><h1 class='headline'>{title}</h1>"
        f"<div class='byline'><span>{reporter}</span> <span>입력 2025.10.31 10:00</span></div>"
        "<div class='share'><a href='#'>facebook</a><a href='#'>x</a><a href='#'>link</a></div>"
        f"<div class='article-body'>{''.join(body)}</div><div class='tags'>{tags}</div>"
        "<div class='copyright'>저작권자 © Bench News 무단전재 및 재배포 금지</div></article>"
        f"<aside><section class='related'><h2>관련기사</h2><ul>{related}</ul></section>"
        f"<section class='ranking'><h2>많이 본 뉴스</h2><ol>{ranking}</ol></section></aside>"
        "</main><footer><p>Bench News · 서울특별시 중구 세종대로 1 · 대표전화 02-000-0000</p>"
        "<p>Copyright © Bench News. All rights reserved.</p></footer>"
        "<script src='/js/jquery.min.js'></script><script src='/js/article.js'></script>"
        "</body></html>"
    )
    return page.encode()


PAGE_SETS: dict[str, tuple[str, Callable[[int, random.Random], bytes]]] = {
    "bench pages": ("crawler.", article_html),
    "news pages": ("crawler.news_pages.", news_html),
}
"""The page sets crawled, each with its own ceiling (see the module docstring): label → the
prefix of its rows, its page maker."""


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
    tree = TreeWatch(os.getpid(), exclude)
    while True:
        await asyncio.to_thread(tree.sample)
        peak.update(tree.peak_rss_mb)
        await asyncio.sleep(0.5)


def reset_peak_rss() -> None:
    """Start this process's ``VmHWM`` again from its current RSS (Linux's ``clear_refs``), so
    that each crawl reports its own peak."""
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")


@dataclass(frozen=True)
class Crawl:
    rate: float
    """Pages/s."""
    published: int
    rss_mb: float
    """Peak RSS of the crawler's process during the crawl."""
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
            reset_peak_rss()
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
    rss_mb = vm_hwm_mb(os.getpid())
    return Crawl(
        len(pages) / elapsed, stats.published, rss_mb, max(children.values(), default=0.0), cpu,
        meter.wall,
    )


@dataclass(frozen=True)
class Measured:
    crawl: Crawl
    pages: int
    before: float
    """The ceiling (pages/s) just before the crawl."""
    after: float

    @property
    def ceiling(self) -> float:
        return (self.before + self.after) / 2

    @property
    def spread(self) -> float:
        return abs(self.before - self.after) / self.ceiling


def site_pages(
    make_page: Callable[[int, random.Random], bytes], count: int
) -> list[tuple[str, bytes]]:
    """The first ``count`` pages of a set: (path, body) pairs, the same in every call."""
    rng = random.Random(7)
    return [(f"/a/{i}", make_page(i, rng)) for i in range(count)]


def steps(
    make_page: Callable[[int, random.Random], bytes], count: int, broker: LocalKafka
) -> Steps:
    """The steps of a crawl alone (:mod:`crawler_steps`) on the first ``count`` pages."""
    pages = site_pages(make_page, count)
    with site_process(pages) as (pid, port, _):
        return measure_steps(pages, (pid, port), broker, resolve, HOST)


def measure(
    make_page: Callable[[int, random.Random], bytes],
    count: int,
    in_process: bool,
    broker: LocalKafka,
    workers: int,
) -> Measured:
    """The ceiling, a crawl of ``count`` pages of ``make_page`` and the ceiling again."""
    pages = site_pages(make_page, count)
    urls_pages = [(f"http://{HOST}{p}", b) for p, b in pages]
    before = ceiling(urls_pages, workers)
    crawled = asyncio.run(crawl(pages, in_process, broker))
    assert crawled.published == len(pages), (crawled.published, len(pages))
    return Measured(crawled, len(pages), before, ceiling(urls_pages, workers))


def set_rows(
    prefix: str, label: str, measured: Measured, alone: Steps, site: str, workers: int
) -> list[dict[str, Any]]:
    """The rate (against the ceiling), memory, CPU-per-page and step rows of one page set."""
    m, n = measured, measured.pages
    return [
        entry(f"{prefix}pages_per_s", m.crawl.rate, "pages/s", ceiling=m.ceiling, target=0.7,
              target_is_ratio=True, note=f"{n} {label}, politeness off, site {site}, "
              f"published to Kafka; ceiling = parse_response alone on {workers} processes, "
              f"mean of {m.before:.1f} before and {m.after:.1f} after the crawl "
              f"(spread {m.spread:.0%})"),
        entry(f"{prefix}rss_mb_after_pages", m.crawl.rss_mb, "MB", target=300.0,
              lower_is_better=True, note=f"peak RSS of the crawler's process crawling {n} {label}"),
        entry(f"{prefix}parse_worker_rss_mb", m.crawl.worker_rss_mb, "MB", target=300.0,
              lower_is_better=True, note="peak RSS of a parse worker (largest child process)"),
        *(entry(f"{prefix}cpu_ms_per_page.{name.replace(' ', '_')}", used / n * 1000, "ms",
                note=f"CPU time per page during the crawl of the {label}")
          for name, used in m.crawl.cpu.items()),
        entry(f"{prefix}steps_bound", alone.bound, "ratio", target=0.7,
              note=f"the highest ratio to the ceiling the crawl's steps allow: HTML→text's CPU "
              f"per page over the sum of every step's, each run alone on {alone.pages} {label} "
              f"(bench/crawler_steps.py)"),
        *(entry(f"{prefix}step_ms.{_slug(name)}", ms, "ms",
                note=f"CPU per page of this step alone, {alone.pages} {label}")
          for name, ms in alone.ms.items()),
    ]  # fmt: skip


def _slug(name: str) -> str:
    return name.replace("HTML→text", "html_to_text").replace(" ", "_")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=None, help="pages of each set")
    parser.add_argument("--quick", action="store_true", help="a tenth of the pages")
    parser.add_argument(
        "--in-process-site",
        action="store_true",
        help="serve the site from the crawler's own event loop, one connection per request "
        "(the tests' FakeSite; the default is a keep-alive server in its own process)",
    )
    args = parser.parse_args()
    count = args.pages or (300 if args.quick else 3_000)
    workers = default_workers()
    site = "in the crawler's process" if args.in_process_site else "keep-alive, own process"
    with tempfile.TemporaryDirectory() as tmp, kafka(Path(tmp)) as broker:
        warm = random.Random(3)  # untimed: the broker warms up, the fork server starts
        warm_pages = [(f"/a/{i}", article_html(i, warm)) for i in range(max(1, count // 10))]
        asyncio.run(crawl(warm_pages, args.in_process_site, broker))
        measured = {
            label: measure(make_page, count, args.in_process_site, broker, workers)
            for label, (_, make_page) in PAGE_SETS.items()
        }
        alone = {
            label: steps(make_page, min(count, STEP_PAGES), broker)
            for label, (_, make_page) in PAGE_SETS.items()
        }
    rows = [
        row
        for label, (prefix, _) in PAGE_SETS.items()
        for row in set_rows(prefix, label, measured[label], alone[label], site, workers)
    ]
    print_table(rows, "crawler (issue #10 item 2)")
    cores = os.cpu_count() or 1
    for label, m in measured.items():
        print(f"{label}: ceiling {m.before:.1f} pages/s before the crawl, {m.after:.1f} after "
              f"(spread {m.spread:.0%}); CPU per page (ms): "
              f"{breakdown(m.crawl.cpu, m.pages, m.crawl.seconds, cores)}")  # fmt: skip
        s = alone[label]
        print(f"{label}, each step alone on {s.pages} pages (ms of CPU per page): "
              + ", ".join(f"{name} {ms:.3f}" for name, ms in s.ms.items())
              + f" — {s.total:.2f} ms; bound {s.bound:.3f}")
    record(rows)


if __name__ == "__main__":
    main()
