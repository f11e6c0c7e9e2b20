"""Crawler throughput: pages/s from a local site on 127.0.0.1 with politeness off, against the
HTML-to-text ceiling (``parse_response`` alone on both cores).

    .venv/bin/python bench/bench_crawler.py [--pages 300]

Appends ``crawler_pages_per_second`` and ``crawler_rss_mb_after_pages`` to ``bench/results.json``
(entries ``{name, value, unit, ceiling, ratio, target, met}``, same-name entries replaced).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "bench"), str(ROOT)]

from results import entry, print_table, record  # noqa: E402

from services.core.bus import MemoryBus  # noqa: E402
from services.core.config import load_settings  # noqa: E402
from services.crawler.crawler import run_crawler  # noqa: E402
from services.crawler.parse import parse_response  # noqa: E402
from services.crawler.sources import parse_sources  # noqa: E402
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


async def crawl(pages: list[tuple[str, bytes]]) -> tuple[float, int, float]:
    async with FakeSite() as site:
        site.route(HOST, "/robots.txt", Response(404))
        # Section pages of at most LIST_SIZE links each (a poll follows up to 5,000 links).
        lists = []
        for start in range(0, len(pages), LIST_SIZE):
            links = "".join(f"<a href='{p}'>{p}</a>" for p, _ in pages[start : start + LIST_SIZE])
            path = f"/list/{start // LIST_SIZE}"
            site.route(HOST, path, Response(200, [("Content-Type", "text/html")], links.encode()))
            lists.append(site.url(HOST, path))
        for path, body in pages:
            site.route(HOST, path, Response(200, [("Content-Type", "text/html")], body))
        sources = parse_sources(
            {
                "sources": [
                    {
                        "name": "bench",
                        "pages": lists,
                        "article_pattern": "/a/",
                        "max_articles_per_poll": len(pages) + 1,
                    }
                ]
            }
        )
        with tempfile.TemporaryDirectory() as tmp:
            settings = load_settings(
                data_dir=Path(tmp),
                database_url=f"sqlite:///{tmp}/bench.db",
                allow_networks="127.0.0.0/8",
                crawl_delay=0,
            )
            bus = MemoryBus()
            started = time.perf_counter()
            stats = await run_crawler(
                settings, bus, asyncio.Event(), once=True, sources=sources, resolver=site.resolve
            )
            elapsed = time.perf_counter() - started
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return len(pages) / elapsed, stats.published, rss_mb


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=None)
    parser.add_argument("--quick", action="store_true", help="a tenth of the pages")
    args = parser.parse_args()
    count = args.pages or (30 if args.quick else 300)
    rng = random.Random(7)
    pages = [(f"/a/{i}", article_html(i, rng)) for i in range(count)]
    workers = os.cpu_count() or 1
    top = ceiling([(f"http://{HOST}{p}", b) for p, b in pages], workers)
    rate, published, rss_mb = asyncio.run(crawl(pages))
    assert published == len(pages), (published, len(pages))
    rows = [
        entry("crawler.pages_per_s", rate, "pages/s", ceiling=top, target=0.7,
              target_is_ratio=True, note=f"{len(pages)} pages, politeness off; ceiling = "
              f"parse_response alone on {workers} processes"),
        entry("crawler.rss_mb_after_pages", rss_mb, "MB", target=500.0, lower_is_better=True,
              note=f"max RSS after {len(pages)} pages"),
    ]  # fmt: skip
    print_table(rows, "crawler (issue #10 item 2)")
    record(rows)


if __name__ == "__main__":
    main()
