"""Politeness and scheduling against the fake site: robots.txt Crawl-delay, a failing source is
backed off (not retried in a loop), and the long-running loop stops cleanly."""

from __future__ import annotations

import asyncio
import itertools
import re
import tempfile
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY, CollectorRegistry, Gauge
from sqlalchemy.exc import OperationalError

from services.core.bus import MemoryBus, Outgoing
from services.core.config import Settings
from services.core.db import make_engine
from services.core.models import stable_id
from services.crawler import crawler as crawler_module
from services.crawler import discover
from services.crawler import metrics as crawler_metrics
from services.crawler.crawler import CrawlStats, run_crawler
from services.crawler.discover import Link
from services.crawler.page import Page, PageOutcome, parse_page
from services.crawler.publication import Outcome, Publication
from services.crawler.sources import parse_sources
from services.crawler.state import CrawlState
from services.crawler.urls import try_canonicalize

from .fakesite import FakeSite, Request, Response
from .test_crawl_core import seed_html
from .test_crawl_site import HBM_KO, SECTION_KO, SPORTS_KO, page


async def until(condition: Callable[[], bool], within: float) -> bool:
    """Whether ``condition`` came true within ``within`` seconds."""
    deadline = asyncio.get_running_loop().time() + within
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


def record_republishes(monkeypatch: pytest.MonkeyPatch, *, fail_first: bool = False) -> list[str]:
    """Every republish of pending claims as it starts: ``ran``, or ``failed`` (the first, made
    to fail as if the database were away, when ``fail_first``)."""
    calls: list[str] = []
    republish = Publication.republish_pending

    async def recorded(self: Publication) -> Outcome:
        calls.append("failed" if fail_first and not calls else "ran")
        if calls[-1] == "failed":
            raise OperationalError("SELECT crawler_urls", None, ConnectionError("server closed"))
        return await republish(self)

    monkeypatch.setattr(Publication, "republish_pending", recorded)
    return calls


@pytest.fixture
async def site() -> AsyncIterator[FakeSite]:
    async with FakeSite() as fake:
        yield fake


async def test_robots_crawl_delay_spaces_requests_beyond_the_default(
    site: FakeSite, make_settings: Callable[..., Settings]
) -> None:
    host = "slow.test"
    site.route(host, "/robots.txt", Response(200, [], b"User-agent: *\nCrawl-delay: 0.5\n"))
    links = "".join(f"<a href='/article/{i}'>{i}</a>" for i in range(3))
    site.route(host, "/list", Response(200, [("Content-Type", "text/html")], links.encode()))
    for i in range(3):
        body = seed_html().replace("아시아", f"아시아{i}번째 ").encode()
        site.route(host, f"/article/{i}", Response(200, [("Content-Type", "text/html")], body))
    sources = parse_sources(
        {
            "sources": [
                {"name": "s", "pages": [site.url(host, "/list")], "article_pattern": "/article/"}
            ]
        }
    )
    settings = make_settings(crawl_delay=0.1)
    bus = MemoryBus()
    await run_crawler(
        settings, bus, asyncio.Event(), once=True, sources=sources, resolver=site.resolve
    )
    times = site.times(host)
    gaps = [b - a for a, b in itertools.pairwise(times[1:])]  # after robots.txt was read
    assert len(times) == 5 and min(gaps) >= 0.45, gaps


async def test_a_failing_source_is_backed_off_not_retried_in_a_loop(
    site: FakeSite, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    host = "down.test"
    site.route(host, "/robots.txt", Response(404))
    site.route(host, "/rss", Response(500, [], b"oops"))
    sources = parse_sources(
        {"sources": [{"name": "down", "feeds": [site.url(host, "/rss")], "poll_every": "1s"}]}
    )
    settings = make_settings(crawl_delay=0.05)
    stop = asyncio.Event()
    task = asyncio.create_task(
        run_crawler(settings, MemoryBus(), stop, sources=sources, resolver=site.resolve)
    )
    await asyncio.sleep(2.5)
    stop.set()
    stats = await asyncio.wait_for(task, 5)
    feed_requests = [p for p in site.paths(host) if p == "/rss"]
    assert stats.polls == 1 and stats.failed_polls == 1
    assert len(feed_requests) == 2  # one retry of the 5xx, then the source is backed off
    engine = make_engine(settings.database_url)
    try:
        saved = CrawlState(engine).source_state("down")
    finally:
        engine.dispose()
    assert saved is not None and saved.failures == 1 and saved.last_error
    assert saved.next_poll_at > datetime.now(UTC) + timedelta(seconds=30)


async def test_a_republish_waiting_on_a_poll_held_at_the_broker_delays_no_other_poll(
    site: FakeSite, make_settings: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    republishes = record_republishes(monkeypatch)
    monkeypatch.setattr(crawler_module, "OVERDUE", 0.0)  # the held claim counts at once
    registry = CollectorRegistry()  # the crawler's gauge, counted afresh for this test
    pending_claims = Gauge("infraledger_crawler_pending_claims", "", registry=registry)
    monkeypatch.setattr(crawler_metrics, "PENDING", pending_claims)

    class HeldBus(MemoryBus):  # the broker takes the batch and never answers
        async def publish_many(self, messages: Sequence[Outgoing]) -> None:
            await asyncio.Event().wait()

    html, rss = [("Content-Type", "text/html")], [("Content-Type", "application/rss+xml")]
    site.route("news.test", "/robots.txt", Response(404))
    site.route("news.test", "/list", Response(200, html, b"<a href='/article/1'>1</a>"))
    site.route("news.test", "/article/1", Response(200, html, seed_html().encode()))
    site.route("quiet.test", "/robots.txt", Response(404))
    item = f"<item><title>s</title><link>{site.url('quiet.test', '/sports')}</link></item>"
    feed = f"<rss version='2.0'><channel><title>q</title>{item}</channel></rss>"
    site.route("quiet.test", "/rss", Response(200, rss, feed.encode()))
    site.route("quiet.test", "/sports", Response(200, html, page("축구", SPORTS_KO).encode()))
    sources = parse_sources({"sources": [
        {"name": "news", "pages": [site.url("news.test", "/list")],
         "article_pattern": "/article/", "poll_every": "1s"},
        {"name": "quiet", "feeds": [site.url("quiet.test", "/rss")], "poll_every": "1s"},
    ]})  # fmt: skip
    settings, stop = make_settings(crawl_delay=0.05), asyncio.Event()
    task = asyncio.create_task(
        run_crawler(settings, HeldBus(), stop, sources=sources, resolver=site.resolve)
    )
    # news's poll holds its article at the broker; quiet's polls go on, each asking for a
    # republish, which waits for the lock
    def held() -> bool:  # quiet polled on, and the held claim counted by a republish
        pending = registry.get_sample_value("infraledger_crawler_pending_claims")
        return site.paths("quiet.test").count("/rss") >= 3 and pending == 1

    polled = await until(held, within=20)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert polled
    assert len(republishes) >= 2  # at the start; then asked by each end
    engine = make_engine(settings.database_url)
    try:
        assert len(CrawlState(engine).pending()) == 1  # never acknowledged: sent again later
    finally:
        engine.dispose()


async def test_the_republisher_goes_on_after_a_republish_that_failed(
    site: FakeSite, make_settings: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    republishes = record_republishes(monkeypatch, fail_first=True)
    site.route("quiet.test", "/robots.txt", Response(404))
    feed = "<rss version='2.0'><channel><title>q</title></channel></rss>"
    site.route("quiet.test", "/rss", Response(200, [("Content-Type", "text/xml")], feed.encode()))
    sources = parse_sources(
        {"sources": [{"name": "q", "feeds": [site.url("quiet.test", "/rss")], "poll_every": "1s"}]}
    )
    stop = asyncio.Event()
    task = asyncio.create_task(
        run_crawler(make_settings(crawl_delay=0.05), MemoryBus(), stop, sources=sources,
                    resolver=site.resolve)
    )  # fmt: skip
    ran = await until(lambda: "ran" in republishes, within=20)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert ran
    assert republishes[0] == "failed"


async def test_a_once_run_whose_start_up_republish_fails_raises(
    site: FakeSite, make_settings: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def failing(self: Publication) -> Outcome:
        raise OperationalError("SELECT crawler_urls", None, ConnectionError("server closed"))

    monkeypatch.setattr(Publication, "republish_pending", failing)
    sources = parse_sources({"sources": [{"name": "q", "feeds": [site.url("quiet.test", "/rss")]}]})
    with pytest.raises(OperationalError):
        await run_crawler(
            make_settings(), MemoryBus(), asyncio.Event(), once=True, sources=sources,
            resolver=site.resolve,
        )  # fmt: skip
    assert site.paths("quiet.test") == []  # no poll after it


async def test_a_once_run_ends_every_poll_before_a_failed_one_ends_it(
    site: FakeSite, make_settings: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    save = CrawlState.save_source

    def failing_for_broken(self: CrawlState, name: str, *args: Any, **kwargs: Any) -> None:
        if name == "broken":
            raise OperationalError("UPDATE crawler_sources", None, ConnectionError("closed"))
        save(self, name, *args, **kwargs)

    monkeypatch.setattr(CrawlState, "save_source", failing_for_broken)
    feed = b"<rss version='2.0'><channel><title>q</title></channel></rss>"
    for host, delay in (("broken.test", 0.0), ("slow.test", 1.0)):
        site.route(host, "/robots.txt", Response(404))
        site.route(host, "/rss", Response(200, [("Content-Type", "text/xml")], feed, delay=delay))
    sources = parse_sources({"sources": [
        {"name": name, "feeds": [site.url(f"{name}.test", "/rss")]} for name in ("broken", "slow")
    ]})  # fmt: skip
    settings = make_settings(crawl_delay=0.05)
    with pytest.raises(OperationalError):
        await run_crawler(
            settings, MemoryBus(), asyncio.Event(), once=True, sources=sources,
            resolver=site.resolve,
        )  # fmt: skip
    engine = make_engine(settings.database_url)
    try:
        assert CrawlState(engine).source_state("slow") is not None  # its poll ended first
    finally:
        engine.dispose()


async def test_stop_ends_a_once_run_promptly(
    site: FakeSite, make_settings: Callable[..., Settings]
) -> None:
    host = "stuck.test"
    site.route(host, "/robots.txt", Response(404))
    site.route(host, "/rss", Response(200, [], b"<rss><channel></channel></rss>", delay=30))
    sources = parse_sources({"sources": [{"name": "stuck", "feeds": [site.url(host, "/rss")]}]})
    settings = make_settings(crawl_delay=0.05, fetch_timeout=30)
    stop = asyncio.Event()
    task = asyncio.create_task(
        run_crawler(settings, MemoryBus(), stop, once=True, sources=sources, resolver=site.resolve)
    )
    await asyncio.sleep(0.5)
    started = asyncio.get_running_loop().time()
    stop.set()
    await asyncio.wait_for(task, 5)
    assert asyncio.get_running_loop().time() - started < 2


async def test_a_server_that_lies_about_its_etag_still_gets_its_new_items_read(
    site: FakeSite, make_settings: Callable[..., Settings]
) -> None:
    host = "liar.test"
    items: list[str] = ["/article/1"]

    def feed(request: Request) -> Response:  # always 200, always the same ETag
        body = "".join(f"<item><link>{site.url(host, p)}</link></item>" for p in items)
        return Response(200, [("ETag", '"same"')], f"<rss><channel>{body}</channel></rss>".encode())

    site.route(host, "/robots.txt", Response(404))
    site.route(host, "/rss", feed)
    for i, text in ((1, HBM_KO), (2, SECTION_KO)):
        body = page(f"기사 {i}", text).encode()
        site.route(host, f"/article/{i}", Response(200, [("Content-Type", "text/html")], body))
    sources = parse_sources({"sources": [{"name": "liar", "feeds": [site.url(host, "/rss")]}]})
    settings = make_settings(crawl_delay=0.05)
    bus = MemoryBus()
    first = await run_crawler(
        settings, bus, asyncio.Event(), once=True, sources=sources, resolver=site.resolve
    )
    items.append("/article/2")
    second = await run_crawler(
        settings, bus, asyncio.Event(), once=True, sources=sources, resolver=site.resolve
    )
    assert (first.published, second.published) == (1, 1)
    conditional = [r for r in site.requests if r.path == "/rss"][1]
    assert conditional.headers.get("if-none-match") == '"same"'


async def test_a_long_retry_after_defers_the_host_instead_of_blocking_the_poll(
    site: FakeSite, make_settings: Callable[..., Settings]
) -> None:
    host = "busy.test"
    links = "".join(
        f"<item><link>{site.url(host, f'/article/{i}')}</link></item>" for i in (1, 2, 3)
    )
    site.route(host, "/robots.txt", Response(404))
    site.route(host, "/rss", Response(200, [], f"<rss><channel>{links}</channel></rss>".encode()))
    for i in (1, 2, 3):
        site.route(host, f"/article/{i}", Response(429, [("Retry-After", "3600")], b"later"))
    sources = parse_sources({"sources": [{"name": "busy", "feeds": [site.url(host, "/rss")]}]})
    settings = make_settings(crawl_delay=0.05)
    started = asyncio.get_running_loop().time()
    stats = await run_crawler(
        settings, MemoryBus(), asyncio.Event(), once=True, sources=sources, resolver=site.resolve
    )
    assert asyncio.get_running_loop().time() - started < 5
    assert [p for p in site.paths(host) if p.startswith("/article/")] == ["/article/1"]
    assert stats.errors["http_429"] == 1 and stats.errors["host_deferred"] == 2


async def test_a_section_page_is_parsed_off_the_event_loop_so_fetches_in_flight_go_on(
    site: FakeSite, make_settings: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A huge listing takes seconds to parse: meanwhile the event loop runs on (another host's
    fetch, a publish); the parse is held until the loop has shown that it runs."""
    parsing, loop_ran, seen_running = threading.Event(), threading.Event(), []
    real = discover.section_links

    def slow_section_links(html: str, base_url: str, pattern: re.Pattern[str] | None) -> list[Link]:
        parsing.set()
        seen_running.append(loop_ran.wait(timeout=3))
        return real(html, base_url, pattern)

    monkeypatch.setattr(discover, "section_links", slow_section_links)
    html = [("Content-Type", "text/html")]
    site.route("news.test", "/robots.txt", Response(404))
    site.route("news.test", "/list", Response(200, html, b"<a href='/article/1'>1</a>"))
    site.route("news.test", "/article/1", Response(200, html, seed_html().encode()))
    sources = parse_sources({"sources": [{"name": "news", "pages": [site.url("news.test", "/list")],
                                          "article_pattern": "/article/"}]})  # fmt: skip

    async def watch_the_loop() -> None:
        await until(parsing.is_set, within=30)
        loop_ran.set()

    bus = MemoryBus()
    watcher = asyncio.create_task(watch_the_loop())
    await run_crawler(make_settings(), bus, asyncio.Event(), once=True, sources=sources,
                      resolver=site.resolve)  # fmt: skip
    await watcher
    assert seen_running == [True]
    assert "/article/1" in site.paths("news.test")


def parse_or_hang(page: Page) -> PageOutcome:
    """The crawler's parse, except for pages it never finishes (as a pathological page's
    backtracking regex or a C parser's loop would): ``/article/pathological`` always, and
    ``/article/slow-<token>`` while its :func:`slow_once` file exists (the first parse removes
    it: a moment the host was too busy)."""
    hang = page.url.endswith("/article/pathological")
    if "/article/slow-" in page.url:
        once = slow_once(page.url.rsplit("/article/slow-", 1)[1])
        if once.exists():
            once.unlink()
            hang = True
    while hang:
        pass
    return parse_page(page)


def slow_once(token: str) -> Path:
    """The file whose presence holds the parse of ``/article/slow-<token>`` once (named in the
    URL: the parse workers, forked from a server started earlier, see neither the test's
    variables nor its temporary directory)."""
    return Path(tempfile.gettempdir()) / f"infraledger-slow-once-{token}"


def overrun_site(site: FakeSite, article: str) -> Sequence[Any]:
    """A listing of ``/article/<article>`` (which :func:`parse_or_hang` holds) and of a good
    article; its sources."""
    html = [("Content-Type", "text/html")]
    site.route("news.test", "/robots.txt", Response(404))
    links = f"<a href='/article/{article}'>p</a> <a href='/article/1'>1</a>".encode()
    site.route("news.test", "/list", Response(200, html, links))
    site.route("news.test", f"/article/{article}", Response(200, html, seed_html().encode()))
    site.route("news.test", "/article/1", Response(200, html, page("HBM4", HBM_KO).encode()))
    return parse_sources({"sources": [{"name": "news", "pages": [site.url("news.test", "/list")],
                                       "article_pattern": "/article/"}]})  # fmt: skip


def crawl_outcomes(
    settings: Settings, site: FakeSite, sources: Sequence[Any]
) -> Callable[[], Any]:
    """One crawl with :func:`parse_or_hang`: (its stats, each article's (outcome, detail))."""

    async def crawl() -> tuple[CrawlStats, dict[str, tuple[str, str]]]:
        decisions: list[Any] = []
        stats = await asyncio.wait_for(
            run_crawler(settings, MemoryBus(), asyncio.Event(), once=True, sources=sources,
                        resolver=site.resolve, explain=decisions.append, parse=parse_or_hang),
            60,
        )  # fmt: skip
        return stats, {d.url.rsplit("/", 1)[1]: (d.outcome, d.detail) for d in decisions}

    return crawl


def status_of(settings: Settings, url: str) -> str | None:
    engine = make_engine(settings.database_url)
    try:
        return CrawlState(engine).status_of(url)
    finally:
        engine.dispose()


def counted_timeouts(settings: Settings) -> set[str]:
    engine = make_engine(settings.database_url)
    try:
        return CrawlState(engine).parse_timeouts()
    finally:
        engine.dispose()


async def test_a_page_whose_parse_keeps_overrunning_its_deadline_is_given_up_and_the_crawl_goes_on(
    site: FakeSite, make_settings: Callable[..., Settings]
) -> None:
    sources = overrun_site(site, "pathological")
    settings = make_settings(parse_timeout="4s", parse_timeout_attempts=2)
    crawl = crawl_outcomes(settings, site, sources)
    stuck = site.url("news.test", "/article/pathological")

    first, outcomes = await crawl()
    assert outcomes["1"][0] == "published" and first.published == 1
    assert outcomes["pathological"] == (
        "error", "parse_timeout: no result within 4s (1 of 2: tried again when listed)"
    )  # fmt: skip
    assert first.errors["parse_timeout"] == 1
    assert status_of(settings, stuck) is None  # not remembered: a busy moment is not the page's

    _, outcomes = await crawl()
    assert outcomes["pathological"] == (
        "error", "parse_timeout: no result within 4s (2 of 2: given up)"
    )  # fmt: skip
    assert status_of(settings, stuck) == "not_article"

    await crawl()  # remembered: not fetched, nor parsed, again
    assert site.paths("news.test").count("/article/pathological") == 2


async def test_a_page_whose_parse_overran_once_is_published_when_listed_again(
    site: FakeSite, make_settings: Callable[..., Settings]
) -> None:
    token = uuid.uuid4().hex
    sources = overrun_site(site, f"slow-{token}")
    slow_once(token).touch()
    settings = make_settings(parse_timeout="4s")
    crawl = crawl_outcomes(settings, site, sources)
    try:
        _, outcomes = await crawl()
    finally:
        slow_once(token).unlink(missing_ok=True)
    assert outcomes[f"slow-{token}"][1].endswith("(1 of 3: tried again when listed)")
    slow = site.url("news.test", f"/article/slow-{token}")
    assert counted_timeouts(settings) == {stable_id(try_canonicalize(slow) or slow)}

    stats, outcomes = await crawl()
    assert outcomes[f"slow-{token}"][0] == "published" and stats.published == 1
    assert counted_timeouts(settings) == set()  # settled: its count is gone


async def test_each_source_shows_its_last_good_poll_and_last_new_article_across_restarts(
    site: FakeSite, make_settings: Callable[..., Settings]
) -> None:
    """A source gone quiet (a moved feed, a bot wall) keeps answering but gives no article."""
    html = [("Content-Type", "text/html")]
    for host in ("news.test", "quiet.test"):
        site.route(host, "/robots.txt", Response(404))
    site.route("news.test", "/list", Response(200, html, b"<a href='/article/1'>1</a>"))
    site.route("news.test", "/article/1", Response(200, html, page("HBM4", HBM_KO).encode()))
    site.route("quiet.test", "/list", Response(200, html, b"<p>nothing today</p>"))
    sources = parse_sources({"sources": [
        {"name": name, "pages": [site.url(f"{name}.test", "/list")], "article_pattern": "/article/"}
        for name in ("news", "quiet")
    ]})  # fmt: skip
    settings = make_settings()

    def marks(source: str) -> tuple[float | None, float | None]:
        polled, article = (
            REGISTRY.get_sample_value(f"infraledger_crawler_source_{what}_timestamp_seconds",
                                      {"source": source})
            for what in ("polled", "article")
        )  # fmt: skip
        return polled, article

    started = datetime.now(UTC).timestamp()
    await run_crawler(
        settings, MemoryBus(), asyncio.Event(), once=True, sources=sources, resolver=site.resolve
    )
    news_polled, news_article = marks("news")
    quiet_polled, quiet_article = marks("quiet")
    assert news_polled is not None and news_article == news_polled >= started
    assert quiet_polled is not None and quiet_polled >= started and quiet_article is None

    for gauge in (crawler_metrics.SOURCE_POLLED, crawler_metrics.SOURCE_ARTICLE):
        gauge.clear()  # as in a new process
    stop = asyncio.Event()
    stop.set()  # a long-running crawler stopped at once shows what it found persisted
    await run_crawler(settings, MemoryBus(), stop, sources=sources, resolver=site.resolve)
    assert marks("news") == (news_polled, news_article)
    assert marks("quiet") == (quiet_polled, None)
