"""The crawler's steps one at a time: what each costs a page alone, and the ratio to the ceiling
that their sum allows.

The crawl benchmark compares the crawl with its ceiling, ``parse_response`` alone on both cores.
A crawl does more than that step for each page: it fetches the page (and the site serves it), judges
its relevance and takes its MinHash, writes it to the WARC archive, claims it in the database,
publishes it to Kafka (and the broker stores it) and marks it published.  Here each step runs on
its own, one after the other in this process on the same pages, with nothing else running, and
its CPU time is taken (the site's and the broker's from their processes).  A crawl pays at least
the sum on its two cores (running the steps side by side only adds hand-overs and contention),
and the ceiling pays ``parse_response`` alone, so

    bound = parse_response's cost / the sum of the steps' costs

is the highest ratio to the ceiling a crawl of these pages can reach on this machine, whatever
its scheduling.  It is an upper bound: the crawl's own measured CPU per page is higher still.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from cpu import tree_cpu

from services.core.config import load_settings
from services.core.db import make_engine
from services.core.httpfetch import Fetcher
from services.core.kafka import ensure_topics, kafka_publisher
from services.core.localkafka import LocalKafka
from services.core.migrate import upgrade
from services.core.netguard import Resolver
from services.core.polling import article_outgoing
from services.core.topics import Topics
from services.crawler.crawler import BATCH
from services.crawler.parse import ParsedArticle, parse_response
from services.crawler.relevance import judge
from services.crawler.state import ClaimRequest, CrawlState
from services.crawler.warc import WarcWriter

T = TypeVar("T")

HEADERS = {"content-type": "text/html"}
CONCURRENT_FETCHES = 16
"""Fetches in flight, as many as the crawl's window of candidates."""


@dataclass(frozen=True)
class Steps:
    """CPU milliseconds per page of each step, alone, over ``pages`` pages."""

    ms: dict[str, float]
    pages: int

    @property
    def total(self) -> float:
        return sum(self.ms.values())

    @property
    def bound(self) -> float:
        return self.ms["HTML→text"] / self.total


def _cpu(step: Callable[[], object]) -> float:
    started = time.process_time()
    step()
    return time.process_time() - started


async def _async_cpu(step: Callable[[], Awaitable[object]]) -> float:
    started = time.process_time()
    await step()
    return time.process_time() - started


def _batches(items: Sequence[T], size: int) -> list[list[T]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


async def _fetch_all(urls: Sequence[str], resolver: Resolver) -> None:
    todo = list(reversed(urls))
    async with Fetcher(user_agent="bench", allow_networks=["127.0.0.0/8"],
                       resolver=resolver) as fetcher:  # fmt: skip

        async def worker() -> None:
            while todo:
                await fetcher.get(todo.pop())

        await asyncio.gather(*(worker() for _ in range(CONCURRENT_FETCHES)))


async def _publish_all(bootstrap: str, data_dir: Path, articles: list[ParsedArticle],
                       broker_pid: int) -> tuple[float, float]:  # fmt: skip
    """(this process's CPU, the broker's) publishing ``articles`` in the crawl's batches."""
    # the crawl's own topics: made before the crawls, their leaders long elected
    settings = load_settings(data_dir=data_dir, kafka_bootstrap=bootstrap)
    await ensure_topics(settings)
    topic = Topics(settings.topic_prefix).articles
    now = datetime.now(UTC)
    messages = [article_outgoing(topic, a.to_article(fetched_at=now)) for a in articles]
    async with kafka_publisher(settings) as publisher:
        await publisher.publish_many(messages[:BATCH])  # connections and metadata, untimed
        broker_before = tree_cpu(broker_pid)
        started = time.process_time()
        for batch in _batches(messages[BATCH:], BATCH):
            await publisher.publish_many(batch)
        used = time.process_time() - started
        return used, tree_cpu(broker_pid) - broker_before


def measure_steps(
    pages: Sequence[tuple[str, bytes]],
    site: tuple[int, int],
    broker: LocalKafka,
    resolver: Resolver,
    host: str,
) -> Steps:
    """Each step's CPU per page over ``pages`` ((path, body) pairs served by ``site``: its pid
    and port on 127.0.0.1, answering for ``host``)."""
    n = len(pages)
    urls = [f"http://{host}{path}" for path, _ in pages]
    parsed: list[ParsedArticle] = []

    def parse_all() -> None:
        for url, (_, body) in zip(urls, pages, strict=True):
            article = parse_response(url, HEADERS, body, lang_hint=None, source="bench")
            assert article is not None, url
            parsed.append(article)

    seconds: dict[str, float] = {"HTML→text": _cpu(parse_all)}
    seconds["relevance and MinHash"] = _cpu(
        lambda: [(judge(a.title, a.text), a.minhash) for a in parsed]
    )
    site_pid, port = site
    site_before = tree_cpu(site_pid)
    seconds["fetch"] = asyncio.run(_async_cpu(
        lambda: _fetch_all([f"http://{host}:{port}{path}" for path, _ in pages], resolver)
    ))  # fmt: skip
    seconds["site"] = tree_cpu(site_pid) - site_before
    with tempfile.TemporaryDirectory() as tmp:
        writer = WarcWriter(Path(tmp) / "warc", prefix="steps")
        headers = list(HEADERS.items())
        try:
            seconds["WARC write"] = _cpu(lambda: [
                writer.write_response(url, 200, headers, body) for url, (_, body) in
                zip(urls, pages, strict=True)
            ])  # fmt: skip
        finally:
            writer.close()
        database = f"sqlite:///{tmp}/steps.db"
        upgrade(database)
        state = CrawlState(make_engine(database))
        now = datetime.now(UTC)
        requests = [ClaimRequest(a.to_article(fetched_at=now), a.minhash) for a in parsed]
        seconds["claims"] = _cpu(lambda: [state.claim_many(b) for b in _batches(requests, BATCH)])
        ids = [r.article.id for r in requests]
        marks = _batches(ids, BATCH)
        seconds["mark published"] = _cpu(lambda: list(map(state.mark_published, marks)))
        published = n - BATCH
        client, broker_cpu = asyncio.run(
            _publish_all(broker.bootstrap, Path(tmp), parsed, broker.pids()[0])
        )
    per_page = {name: used / n * 1000 for name, used in seconds.items()}
    per_page["publish"] = client / published * 1000
    per_page["broker"] = broker_cpu / published * 1000
    return Steps(per_page, n)
