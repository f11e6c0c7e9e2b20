"""Orchestration: poll sources, fetch politely, archive, parse, judge, dedup, publish once.

The I/O shell around the pure pieces (:mod:`~services.crawler.parse`,
:mod:`~services.crawler.relevance`, :mod:`~services.crawler.discover`,
:mod:`~services.crawler.schedule`, …).  :func:`run_crawler` is the entry point used by
``infraledger crawl`` and by the service runner.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from services.core.bus import Publisher
from services.core.config import Settings
from services.core.db import make_engine, utcnow
from services.core.errors import RetryableError
from services.core.httpfetch import Fetcher, FetchError, FetchLimits, FetchResult, error_kind
from services.core.migrate import upgrade
from services.core.models import ArticleV1, WarcRef, stable_id
from services.core.netguard import BlockedAddress, Resolver
from services.core.topics import Topics
from services.crawler import metrics
from services.crawler.discover import (
    DiscoveryError,
    Link,
    looks_like_sitemap,
    parse_feed,
    parse_sitemap,
    section_page_links,
)
from services.crawler.errors import HostDeferred, HttpStatusError, ParseTimeout
from services.crawler.page import Page, PageOutcome, PageParser, install_rules, parse_page
from services.crawler.politeness import HostGate, parse_retry_after
from services.crawler.publication import Outcome, Publication
from services.crawler.relevance import RuleSet, Verdict, rules_from_environment
from services.crawler.robots import (
    TTL_UNAVAILABLE,
    RobotsCache,
    RobotsRules,
    agent_token,
    rules_for_status,
)
from services.crawler.schedule import first_due, next_after_failure, next_after_success
from services.crawler.sources import Source, load_sources
from services.crawler.state import Claim, ClaimRequest, CrawlState, Remembered, Validators
from services.crawler.urls import try_canonicalize
from services.crawler.warc import WarcWriter
from services.crawler.workers import ParsePool, ParseWorkerCrashed, crawl_workers

log = logging.getLogger("infraledger.crawler")

LISTING_ERRORS = (FetchError, HttpStatusError, HostDeferred, DiscoveryError, BlockedAddress)
"""What fails one feed, sitemap or section page of a source, and not its whole poll."""

PASSING_STATUSES = frozenset({403, 404, 408, 425, 429})
"""Client errors that often pass: a firewall's 403 for a burst, the 404 of a page the feed
announced before it went up, timeouts and rate limits.  The URL is tried again at a later poll
while it is still listed; other 4xx are remembered for good."""

MAX_RETRY_AFTER = 120.0
MAX_WAIT_IN_POLL = 120.0
MAX_ATTEMPTS = 3
OVERDUE = 60.0
"""Seconds after its claim that an article not yet marked published counts as overdue (the
``infraledger_crawler_pending_claims`` gauge): a poll's own claims are published within it."""
MESSAGE_TOO_LARGE = "message_too_large"
"""The error kind of an article set aside because the broker refuses its message."""
MAX_CHILD_SITEMAPS = 5
MAX_CONCURRENT_SOURCES = 8
WINDOW = 16
"""Candidates of one poll downloaded and parsed ahead of the claims (bounds memory too)."""
MAX_BATCH = 64
"""Candidates claimed in one database transaction at most."""
BATCH = 8
"""Candidates a claim waits for (at most :data:`LINGER` seconds) when more are on their way:
a database round costs about as much as three pages' claims in a batch of eight."""
LINGER = 0.1


@dataclass
class CrawlStats:
    fetched: int = 0
    not_modified: int = 0
    published: int = 0
    republished: int = 0
    """Of ``published``, those sent by a republish of pending claims: left by a crash or a
    failed send, or claimed by a poll that the republish reached the lock before."""
    duplicates: Counter[str] = field(default_factory=Counter)
    irrelevant: int = 0
    not_article: int = 0
    robots_blocked: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    polls: int = 0
    failed_polls: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "fetched": self.fetched,
            "not_modified": self.not_modified,
            "published": self.published,
            "republished": self.republished,
            "duplicates": dict(self.duplicates),
            "irrelevant": self.irrelevant,
            "not_article": self.not_article,
            "robots_blocked": self.robots_blocked,
            "errors": dict(self.errors),
            "polls": self.polls,
            "failed_polls": self.failed_polls,
        }


@dataclass(frozen=True)
class Decision:
    """What happened to one candidate URL (shown by ``--explain``)."""

    url: str
    source: str
    outcome: str
    """published | duplicate_url | duplicate_exact | duplicate_near | irrelevant | not_article
    | robots | error | seen (known from an earlier poll, not fetched)"""
    detail: str = ""
    verdict: Verdict | None = None
    article: ArticleV1 | None = None


Explain = Callable[[Decision], None]


@dataclass(frozen=True)
class Polled:
    """How one poll of a source went."""

    ok: bool
    """False when every endpoint failed."""
    published: int
    """New articles it published."""


@dataclass(frozen=True)
class Prepared:
    """A downloaded and parsed candidate, waiting for its claim."""

    link: Link
    result: FetchResult
    ref: WarcRef | None
    outcome: PageOutcome


class Crawler:
    def __init__(
        self,
        *,
        sources: Sequence[Source],
        publisher: Publisher,
        state: CrawlState,
        fetcher: Fetcher,
        warc: WarcWriter,
        pool: ParsePool,
        gate: HostGate,
        topics: Topics,
        user_agent: str,
        explain: Explain | None = None,
        rng: random.Random | None = None,
        parse: PageParser = parse_page,
        parse_attempts: int = 3,
    ) -> None:
        self.sources = tuple(sources)
        self.state = state
        self.fetcher = fetcher
        self.warc = warc
        self.pool = pool
        self.parse = parse
        """Run in the pool's workers on each downloaded page (a module-level function)."""
        self.parse_attempts = parse_attempts
        """Parses of one URL past their deadline before it is given up (remembered)."""
        self.timed_out: set[str] = set()
        """Ids of URLs counted in ``crawler_parse_timeouts`` (read at :meth:`run`'s start):
        their counts go when they are settled otherwise."""
        self.gate = gate
        self.agent = agent_token(user_agent)
        self.explain = explain
        self.rng = rng or random.Random()
        self.stats = CrawlStats()
        self.robots = RobotsCache(self._fetch_robots)
        self.publication = Publication(publisher, state, topics)

    # ------------------------------------------------------------------ bookkeeping

    def _error(self, kind: str) -> None:
        metrics.ERRORS.labels(kind=kind).inc()
        self.stats.errors[kind] += 1

    def _decide(self, decision: Decision) -> Decision:
        if self.explain is not None:
            self.explain(decision)
        return decision

    # ------------------------------------------------------------------ fetching

    async def _fetch_robots(self, url: str) -> tuple[RobotsRules, float]:
        host = urlsplit(url).hostname or ""
        try:
            async with self.gate.slot(host, MAX_WAIT_IN_POLL):
                result = await self.fetcher.get(url)
        except BlockedAddress:
            raise
        except FetchError as exc:
            self._error(f"robots_{error_kind(exc)}")
            return RobotsRules(parser=None, disallow_all=True), TTL_UNAVAILABLE
        metrics.FETCHED.labels(kind="robots").inc()
        await asyncio.to_thread(
            self.warc.write_response,
            result.final_url,
            result.status,
            result.headers,
            result.raw,
            fetched_at=utcnow(),
            http_version=result.http_version,
        )
        rules, ttl = rules_for_status(result.status, result.body)
        self.gate.set_delay(host, rules.crawl_delay(self.agent))
        return rules, ttl

    async def _hop(self, url: str) -> None:
        await self.gate.pause(urlsplit(url).hostname or "", MAX_WAIT_IN_POLL)

    async def allowed(self, url: str) -> bool:
        """Whether robots.txt lets the crawler fetch ``url``; a refusal is counted."""
        rules = await self.robots.rules(url)
        if rules.allowed(self.agent, url):
            return True
        self.stats.robots_blocked += 1
        metrics.ROBOTS_BLOCKED.inc()
        return False

    async def _remember_unusable(self, source: Source, link: Link, reason: str) -> None:
        """Remember ``link`` for good as no article (fetching it again cannot help)."""
        canonical = try_canonicalize(link.url) or link.url
        settled = self._counted([canonical])

        def record() -> None:
            self.state.remember(canonical, source.name, "not_article", reason=reason)
            self.state.forget_parse_timeouts(settled)

        await asyncio.to_thread(record)
        self.timed_out.difference_update(settled)

    def _counted(self, urls: Iterable[str]) -> list[str]:
        """The ids of ``urls`` whose parse timeouts this crawler counts (rows of another
        crawler's count are left to the retention)."""
        return [url_id for url_id in map(stable_id, urls) if url_id in self.timed_out]

    async def _parse_timed_out(self, source: Source, link: Link, exc: ParseTimeout) -> Decision:
        """A parse past its deadline: the worker was replaced; the URL is tried again the next
        time it is listed, up to :attr:`parse_attempts` parses, then remembered as no article
        (the same bytes would hold every worker as long)."""
        self._error(exc.kind)
        canonical = try_canonicalize(link.url) or link.url
        reason = f"{exc.kind}: {exc}"
        attempts = await asyncio.to_thread(
            self.state.parse_timed_out, canonical, source.name, reason, self.parse_attempts
        )
        counted = attempts is not None and attempts < self.parse_attempts
        (self.timed_out.add if counted else self.timed_out.discard)(stable_id(canonical))
        if attempts is None:
            detail = f"{reason} (settled meanwhile)"
        else:
            outcome = "tried again when listed" if counted else "given up"
            detail = f"{reason} ({attempts} of {self.parse_attempts}: {outcome})"
        return self._decide(Decision(link.url, source.name, "error", detail))

    def _listing_failed(self, exc: Exception) -> None:
        self._error("parse" if isinstance(exc, DiscoveryError) else error_kind(exc))

    async def fetch(
        self,
        url: str,
        kind: str,
        headers: dict[str, str] | None = None,
        *,
        archived_body: str | None = None,
    ) -> tuple[FetchResult, WarcRef | None]:
        """GET ``url`` politely (robots, per-host gate, Retry-After, backoff) and archive it;
        a body whose SHA-256 is ``archived_body`` (archived before) as a revisit.

        Raises :class:`FetchError`, :class:`HttpStatusError` (after retries) or
        :class:`BlockedAddress`; returns responses with status < 400 (incl. 304).
        """
        host = urlsplit(url).hostname or ""
        attempt = 0
        while True:
            attempt += 1
            try:
                async with self.gate.slot(host, MAX_WAIT_IN_POLL):
                    result = await self.fetcher.get(url, headers, before_hop=self._hop)
            except FetchError as exc:
                # Transport trouble counts against the host (exponential deferral); it is not
                # retried within this poll: the next poll of the source tries again.
                if isinstance(exc, RetryableError):
                    self.gate.failed(host)
                raise
            metrics.LATENCY.labels(kind=kind).observe(result.elapsed)
            self.stats.fetched += 1
            metrics.FETCHED.labels(kind=kind).inc()
            unchanged = archived_body is not None and result.body_sha256 == archived_body
            ref = await asyncio.to_thread(
                self.warc.write_response,
                result.final_url,
                result.status,
                result.headers,
                result.raw,
                fetched_at=utcnow(),
                http_version=result.http_version,
                revisit=unchanged,
            )
            if result.status in (429, 503):
                wait = parse_retry_after(result.header("retry-after"))
                if wait is not None and wait <= MAX_RETRY_AFTER and attempt < MAX_ATTEMPTS:
                    self._error(f"http_{result.status}")
                    self.gate.defer(host, wait)
                    continue
                self.gate.defer(host, min(wait or self.gate.failed(host), MAX_RETRY_AFTER * 10))
                raise HttpStatusError(f"{url}: HTTP {result.status}", result.status, wait)
            if result.status >= 500:
                self.gate.failed(host)
                if attempt < 2:
                    self._error(f"http_{result.status}")
                    continue
                raise HttpStatusError(f"{url}: HTTP {result.status}", result.status)
            if result.status >= 400:
                raise HttpStatusError(f"{url}: HTTP {result.status}", result.status)
            self.gate.succeeded(host)
            return result, ref

    # ------------------------------------------------------------------ discovery

    async def _listing(self, url: str, kind: str) -> tuple[FetchResult | None, Validators | None]:
        """Conditional GET of a feed or sitemap; ``None`` when unchanged (304)."""
        old = await asyncio.to_thread(self.state.validators, url)
        headers: dict[str, str] = {}
        if old is not None and old.etag:
            headers["If-None-Match"] = old.etag
        if old is not None and old.last_modified:
            headers["If-Modified-Since"] = old.last_modified
        archived = old.body_hash if old is not None else None
        result, _ref = await self.fetch(url, kind, headers, archived_body=archived)
        if result.status == 304:
            self.stats.not_modified += 1
            metrics.NOT_MODIFIED.inc()
            return None, None
        new = Validators(
            etag=result.header("etag"),
            last_modified=result.header("last-modified"),
            body_hash=result.body_sha256,
        )
        return result, new

    async def _sitemap_links(
        self, url: str, pending: list[tuple[str, Validators]], depth: int = 0
    ) -> list[Link]:
        result, validators = await self._listing(url, "sitemap")
        if result is None:
            return []
        # Parsing a large listing takes seconds: off the event loop, so other hosts' fetches
        # and their deadlines keep running meanwhile.
        sitemap = await asyncio.to_thread(parse_sitemap, result.body, result.final_url)
        if validators is not None:
            pending.append((url, validators))
        links = list(sitemap.links)
        if depth < 1:
            for child in sitemap.children[:MAX_CHILD_SITEMAPS]:
                try:  # one child that fails (a private address, a host backing off) is skipped
                    if await self.allowed(child.url):
                        links += await self._sitemap_links(child.url, pending, depth + 1)
                except LISTING_ERRORS as exc:
                    self._listing_failed(exc)
        return links

    async def discover(
        self, source: Source
    ) -> tuple[list[Link], list[tuple[str, Validators]], int]:
        """Candidate links of ``source``; the validators to save; how many endpoints failed."""
        links: list[Link] = []
        pending: list[tuple[str, Validators]] = []
        failures = 0
        endpoints = [(u, "feed") for u in source.feeds] + [(u, "sitemap") for u in source.sitemaps]
        endpoints += [(u, "page") for u in source.pages]
        for url, kind in endpoints:
            try:
                if not await self.allowed(url):
                    continue
                if kind == "sitemap":
                    links += await self._sitemap_links(url, pending)
                elif kind == "feed":
                    result, validators = await self._listing(url, "feed")
                    if result is None:
                        continue
                    if looks_like_sitemap(result.body):
                        sitemap = await asyncio.to_thread(
                            parse_sitemap, result.body, result.final_url
                        )
                        found = list(sitemap.links)
                    else:
                        found = await asyncio.to_thread(parse_feed, result.body, result.final_url)
                    links += found
                    if validators is not None:
                        pending.append((url, validators))
                else:
                    result, _ref = await self.fetch(url, "page")
                    links += await asyncio.to_thread(
                        section_page_links,
                        result.body,
                        result.header("content-type"),
                        result.final_url,
                        source.article_pattern,
                    )
            except LISTING_ERRORS as exc:
                failures += 1
                self._listing_failed(exc)
                log.warning("source %s: %s failed: %s", source.name, url, exc)
        return links, pending, failures

    # ------------------------------------------------------------------ articles

    async def download(
        self, source: Source, link: Link
    ) -> Decision | tuple[FetchResult, WarcRef | None]:
        """The network half of :meth:`process`: robots check and polite fetch."""
        try:
            if not await self.allowed(link.url):
                return self._decide(Decision(link.url, source.name, "robots"))
            result, ref = await self.fetch(link.url, "article")
            if not await self.allowed(result.final_url):  # a redirect into a forbidden path
                return self._decide(Decision(link.url, source.name, "robots", "after redirect"))
        except HttpStatusError as exc:
            self._error(f"http_{exc.status}")
            if 400 <= exc.status < 500 and exc.status not in PASSING_STATUSES:
                await self._remember_unusable(source, link, f"HTTP {exc.status}")
            return self._decide(Decision(link.url, source.name, "error", str(exc)))
        except (FetchError, HostDeferred, BlockedAddress) as exc:
            self._error(error_kind(exc))
            if not isinstance(exc, RetryableError):
                await self._remember_unusable(source, link, error_kind(exc))
            return self._decide(Decision(link.url, source.name, "error", str(exc)))
        return result, ref

    async def prepare(self, source: Source, link: Link) -> Decision | Prepared:
        """Download ``link`` and parse it in a worker process (claiming is :meth:`settle`'s)."""
        got = await self.download(source, link)
        if isinstance(got, Decision):
            return got
        result, ref = got
        page = Page(result.final_url, result.header_map, result.body, source.lang, source.name,
                    link.title, link.published)  # fmt: skip
        try:
            outcome = await self.pool.call(self.parse, page)
        except ParseWorkerCrashed as exc:
            self._error("parse_worker")
            return self._decide(Decision(link.url, source.name, "error", str(exc)))
        except ParseTimeout as exc:
            return await self._parse_timed_out(source, link, exc)
        return Prepared(link, result, ref, outcome)

    async def settle(
        self, source: Source, ready: Sequence[Decision | Prepared]
    ) -> list[tuple[Decision, ArticleV1 | None]]:
        """Judge, dedup and claim a run of prepared candidates in discovery order, with one
        database round for all of them (publishing is the caller's)."""
        remembered: list[Remembered] = []
        plans: list[ClaimRequest | None] = []
        for item in ready:
            request = None
            if isinstance(item, Prepared):
                canonical = try_canonicalize(item.link.url) or item.link.url
                parsed, verdict = item.outcome.parsed, item.outcome.verdict
                if parsed is None or verdict is None:
                    remembered.append(Remembered(canonical, source.name, "not_article"))
                elif not verdict.relevant:
                    remembered += [
                        Remembered(url, source.name, "irrelevant", reason=verdict.explain())
                        for url in dict.fromkeys((canonical, parsed.url))
                    ]
                else:
                    article = parsed.to_article(fetched_at=datetime.now(UTC), warc=item.ref)
                    aliases = (canonical, try_canonicalize(item.result.final_url))
                    request = ClaimRequest(article, parsed.minhash, tuple(u for u in aliases if u))
            plans.append(request)
        requests = [r for r in plans if r is not None]
        settled: list[str] = []
        if self.timed_out:  # parsed at last, or known by another name: no longer counted
            written = [r.url for r in remembered]
            written += [u for r in requests for u in (r.article.url, *r.aliases)]
            settled = self._counted(written)

        def record() -> list[Claim]:
            self.state.remember_many(remembered)
            claims = self.state.claim_many(requests)
            self.state.forget_parse_timeouts(settled)
            return claims

        claims = iter(await asyncio.to_thread(record))
        self.timed_out.difference_update(settled)
        done: list[tuple[Decision, ArticleV1 | None]] = []
        for item, request in zip(ready, plans, strict=True):
            if isinstance(item, Decision):
                done.append((item, None))
            elif request is not None:
                done.append(self._claimed(source, item, request.article, next(claims)))
            elif item.outcome.verdict is None:
                self.stats.not_article += 1
                metrics.NOT_ARTICLE.inc()
                decision = Decision(item.link.url, source.name, "not_article")
                done.append((self._decide(decision), None))
            else:
                self.stats.irrelevant += 1
                metrics.IRRELEVANT.inc()
                decision = Decision(item.link.url, source.name, "irrelevant",
                                    verdict=item.outcome.verdict)  # fmt: skip
                done.append((self._decide(decision), None))
        return done

    def _claimed(
        self, source: Source, item: Prepared, article: ArticleV1, claim: Claim
    ) -> tuple[Decision, ArticleV1 | None]:
        verdict = item.outcome.verdict
        if claim.kind == "claimed":
            decision = Decision(item.link.url, source.name, "published", verdict=verdict,
                                article=article)  # fmt: skip
            return self._decide(decision), article
        kind = claim.kind.removeprefix("duplicate_")
        self.stats.duplicates[kind] += 1
        metrics.DUPLICATES.labels(kind=kind).inc()
        detail = f"of {claim.other_id}" + (
            f" (similarity {claim.similarity:.2f})" if claim.kind == "duplicate_near" else ""
        )
        decision = Decision(item.link.url, source.name, claim.kind, detail, verdict=verdict)
        return self._decide(decision), None

    async def close(self) -> None:
        """Make the marks of published articles still owed (a failed or cancelled one)."""
        try:
            await self.publication.close()
        except Exception as exc:  # the database away: those articles are sent again next start
            log.warning("marking published articles failed at stop: %r", exc)

    async def republish_pending(self) -> None:
        """Publish the claims left pending by a crash or a failed publish."""
        outcome = self._count(await self.publication.republish_pending())
        self.stats.republished += outcome.published

    def _count(self, outcome: Outcome) -> Outcome:
        self.stats.published += outcome.published
        metrics.PUBLISHED.inc(outcome.published)
        if outcome.too_large:
            metrics.ERRORS.labels(kind=MESSAGE_TOO_LARGE).inc(outcome.too_large)
            self.stats.errors[MESSAGE_TOO_LARGE] += outcome.too_large
        return outcome

    # ------------------------------------------------------------------ polling

    async def poll(self, source: Source) -> Polled:
        """Poll one source once."""
        self.stats.polls += 1
        published = 0
        links, validators, failures = await self.discover(source)
        candidates: dict[str, Link] = {}
        for link in links:
            key = try_canonicalize(link.url)
            if key is None:
                continue
            if key in candidates:
                self.stats.duplicates["url"] += 1
                metrics.DUPLICATES.labels(kind="url").inc()
                self._decide(Decision(link.url, source.name, "duplicate_url", f"same as {key}"))
                continue
            candidates[key] = link
        known_ids = await asyncio.to_thread(
            self.state.known, [stable_id(key) for key in candidates]
        )
        fresh = [link for key, link in candidates.items() if stable_id(key) not in known_ids]
        if self.explain is not None:
            for key, link in candidates.items():
                if stable_id(key) in known_ids:
                    self._decide(Decision(link.url, source.name, "seen", "fetched before"))
        transient = False
        # Up to WINDOW candidates are downloaded (the per-host gate still spaces the requests)
        # and parsed in the worker processes while earlier ones are claimed and published;
        # claims and publishing stay in discovery order, a batch at a time: whatever is ready,
        # or up to BATCH candidates when the next ones follow within LINGER seconds.
        todo = iter(fresh[: source.max_articles_per_poll])
        ahead: deque[asyncio.Task[Decision | Prepared]] = deque()

        def refill() -> None:
            while len(ahead) < WINDOW and (link := next(todo, None)) is not None:
                ahead.append(asyncio.create_task(self.prepare(source, link)))

        refill()
        loop = asyncio.get_running_loop()
        try:
            while ahead:
                ready = [await ahead.popleft()]
                refill()
                deadline = loop.time() + LINGER
                while ahead and len(ready) < MAX_BATCH:
                    head = ahead[0]
                    if not head.done():
                        wait = deadline - loop.time()
                        if len(ready) >= BATCH or wait <= 0:
                            break
                        await asyncio.wait([head], timeout=wait)
                        if not head.done():
                            break
                    ready.append(ahead.popleft().result())
                    refill()
                settled = await self.settle(source, ready)
                transient = transient or any(d.outcome == "error" for d, _ in settled)
                articles = [article for _, article in settled if article is not None]
                # Published as soon as they are claimed: articles reach the pipeline quickly.
                published += self._count(await self.publication.publish(articles)).published
        finally:
            for pending_task in ahead:
                pending_task.cancel()
            await asyncio.gather(*ahead, return_exceptions=True)
        if not transient and len(fresh) <= source.max_articles_per_poll:
            # Validators are saved only once everything they announced was handled, so a 304
            # next time cannot hide an article that failed this time.
            for url, value in validators:
                await asyncio.to_thread(self.state.save_validators, url, value)
        endpoints = len(source.endpoints)
        ok = endpoints == 0 or failures < endpoints
        if not ok:
            self.stats.failed_polls += 1
        return Polled(ok, published)

    async def poll_and_schedule(self, source: Source) -> None:
        old = await asyncio.to_thread(self.state.source_state, source.name)
        failures = old.failures if old is not None else 0
        error: str | None = None
        published = 0
        try:
            polled = await self.poll(source)
            published = polled.published
            if not polled.ok:
                error = "every endpoint failed"
        except Exception as exc:  # a bug or the database: back the source off, keep going
            log.exception("source %s: poll failed", source.name)
            self._error(type(exc).__name__)
            error = f"{type(exc).__name__}: {exc}"
        now = utcnow()
        if error is None:
            failures = 0
            due = next_after_success(now, source.poll_every, self.rng)
        else:
            failures += 1
            due = next_after_failure(now, source.poll_every, failures, self.rng)
        await asyncio.to_thread(
            self.state.save_source, source.name, due, failures, error,
            published=published > 0, now=now,
        )  # fmt: skip
        _show_source_marks(
            source.name, now if error is None else None, now if published else None
        )

    async def run(self, stop: asyncio.Event, *, once: bool = False) -> CrawlStats:
        semaphore = asyncio.Semaphore(MAX_CONCURRENT_SOURCES)
        self.timed_out = await asyncio.to_thread(self.state.parse_timeouts)

        async def guarded(source: Source) -> None:
            async with semaphore:
                await self.poll_and_schedule(source)

        if once:

            async def all_polls() -> None:
                await self.republish_pending()  # what a crash left; its failure ends the run
                # every poll runs to its end; then the first failure (the database's) ends it
                done = await asyncio.gather(
                    *(guarded(s) for s in self.sources), return_exceptions=True
                )
                failures = [failure for failure in done if isinstance(failure, Exception)]
                for other in failures[1:]:
                    log.warning("a poll failed too: %r", other)
                if failures:
                    raise failures[0]

            polls = asyncio.create_task(all_polls())
            stopper = asyncio.create_task(stop.wait())
            try:
                await asyncio.wait([polls, stopper], return_when=asyncio.FIRST_COMPLETED)
            finally:
                stopper.cancel()
                if not polls.done():  # stopped (SIGINT/SIGTERM): claims stay pending, safe
                    polls.cancel()
                await asyncio.gather(polls, stopper, return_exceptions=True)
            if not polls.cancelled() and (failed := polls.exception()) is not None:
                raise failed
            return self.stats
        now = utcnow()
        due: dict[str, datetime] = {}
        for source in self.sources:
            persisted = await asyncio.to_thread(self.state.source_state, source.name)
            if persisted is not None:  # the gauges outlive a restart
                polled, article = persisted.last_success_at, persisted.last_article_at
                _show_source_marks(source.name, polled, article)
            due[source.name] = first_due(
                source.name,
                now,
                source.poll_every,
                persisted.next_poll_at if persisted is not None else None,
            )
        running: dict[str, asyncio.Task[None]] = {}
        stopper = asyncio.create_task(stop.wait())
        # At the start and after each poll, pending claims are republished by one task beside
        # the scheduler, so that a republish waiting on the broker (or on another poll's batch)
        # delays no poll, nor the stop.
        asked = asyncio.Event()
        asked.set()
        republisher = asyncio.create_task(self._republish_when(asked))
        try:
            while not stop.is_set():
                now = utcnow()
                for source in self.sources:
                    if source.name not in running and due[source.name] <= now:
                        running[source.name] = asyncio.create_task(guarded(source))
                idle = [due[s.name] for s in self.sources if s.name not in running]
                timeout = max(0.05, min(((d - now).total_seconds() for d in idle), default=60.0))
                done, _ = await asyncio.wait(
                    [stopper, *running.values()],
                    timeout=min(timeout, 60.0),
                    return_when=asyncio.FIRST_COMPLETED,
                )
                for name, task in list(running.items()):
                    if task in done:
                        del running[name]
                        state = await asyncio.to_thread(self.state.source_state, name)
                        if state is not None:
                            due[name] = state.next_poll_at
                        asked.set()
        finally:
            tasks: list[asyncio.Task[object]] = [stopper, republisher, *running.values()]
            for each in tasks:
                each.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        return self.stats

    async def _republish_when(self, asked: asyncio.Event) -> None:
        """Republish the pending claims each time ``asked`` is set (once for many asks),
        counting the overdue ones before and after (a republish the broker does not answer
        never ends)."""
        while True:
            await asked.wait()
            asked.clear()
            try:
                await self._count_overdue()
                await self.republish_pending()
                await self._count_overdue()
            except Exception as exc:  # the claims stay pending: tried again after a poll
                log.warning("republishing pending claims failed: %r", exc)

    async def _count_overdue(self) -> None:
        cutoff = utcnow() - timedelta(seconds=OVERDUE)
        metrics.PENDING.set(await asyncio.to_thread(self.state.count_pending, cutoff))


def _show_source_marks(source: str, polled: datetime | None, article: datetime | None) -> None:
    """Set the source's gauges of its last successful poll and its last new article."""
    if polled is not None:
        metrics.SOURCE_POLLED.labels(source=source).set(polled.timestamp())
    if article is not None:
        metrics.SOURCE_ARTICLE.labels(source=source).set(article.timestamp())


def fetch_limits(settings: Settings) -> FetchLimits:
    return FetchLimits(
        connect_timeout=min(10.0, settings.fetch_timeout),
        read_timeout=settings.fetch_timeout,
        total_timeout=settings.fetch_timeout * 3,
        max_body_bytes=settings.max_body_bytes,
        max_decoded_bytes=max(settings.max_body_bytes, 2 * 1024 * 1024),
        max_redirects=5,
    )


async def run_crawler(
    settings: Settings,
    publisher: Publisher,
    stop: asyncio.Event,
    *,
    once: bool = False,
    sources: Sequence[Source] | None = None,
    rules: RuleSet | None = None,
    resolver: Resolver | None = None,
    explain: Explain | None = None,
    checks: dict[str, Callable[[], bool]] | None = None,
    parse: PageParser = parse_page,
) -> CrawlStats:
    """Run the crawler until ``stop`` is set (or one poll of every source with ``once``).

    ``checks`` (the process's readiness checks) gets ``archive``: false within a minute of a
    record the WARC archive refused (a full disk); the crawler goes on meanwhile, its sources
    backing off.  ``parse`` is what the parse workers run on each page.
    """
    chosen = tuple(sources) if sources is not None else load_sources(settings.sources)
    ruleset = rules if rules is not None else await asyncio.to_thread(rules_from_environment)
    engine = make_engine(settings.database_url)
    warc = WarcWriter(settings.warc_dir)
    if checks is not None:
        checks["archive"] = warc.writable
    pool = ParsePool(
        crawl_workers(),
        initializer=install_rules,
        initargs=(ruleset,),
        timeout=settings.parse_timeout,
    )
    try:
        await asyncio.to_thread(upgrade, settings.database_url)
        async with Fetcher(
            user_agent=settings.user_agent,
            limits=fetch_limits(settings),
            allow_networks=settings.allow_networks,
            resolver=resolver,
        ) as fetcher:
            crawler = Crawler(
                sources=chosen,
                publisher=publisher,
                state=CrawlState(engine),
                fetcher=fetcher,
                warc=warc,
                pool=pool,
                gate=HostGate(
                    settings.crawl_delay, error_backoff=max(0.5, 2 * settings.crawl_delay)
                ),
                topics=Topics(settings.topic_prefix),
                user_agent=settings.user_agent,
                explain=explain,
                parse=parse,
                parse_attempts=settings.parse_timeout_attempts,
            )
            try:
                return await crawler.run(stop, once=once)
            finally:
                await crawler.close()
    finally:
        pool.close()
        warc.close()
        engine.dispose()
