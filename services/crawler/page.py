"""One fetched page → parsed article, relevance verdict and MinHash signature (pure).

:func:`parse_page` is what the crawler runs in its parse workers
(:class:`~services.crawler.workers.ParsePool`): everything CPU-heavy about a page happens there,
off the event loop and on every core; the crawler's own process only fetches, claims and
publishes.  :func:`install_rules` is the workers' initializer, so the relevance rules are sent
to each worker once instead of with every page.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from services.crawler.parse import ParsedArticle, parse_response
from services.crawler.relevance import RuleSet, Verdict, judge


@dataclass(frozen=True)
class Page:
    url: str
    """The URL that answered (after redirects)."""
    headers: dict[str, str]
    body: bytes
    """Content-decoded body bytes."""
    lang_hint: str | None
    source: str
    link_title: str | None = None
    """The title the feed or sitemap gave the link: used when the page has none."""
    link_published: datetime | None = None


@dataclass(frozen=True)
class PageOutcome:
    parsed: ParsedArticle | None
    """``None``: not an article."""
    verdict: Verdict | None


PageParser = Callable[[Page], PageOutcome]
"""What a parse worker runs on a page: :func:`parse_page`, or another module-level function
(pickled by name)."""

_rules: RuleSet | None = None


def install_rules(rules: RuleSet) -> None:
    """The relevance rules :func:`parse_page` uses in this process (a worker initializer)."""
    global _rules
    _rules = rules


def parse_page(page: Page) -> PageOutcome:
    parsed = parse_response(
        page.url, page.headers, page.body, lang_hint=page.lang_hint, source=page.source
    )
    if parsed is None:
        return PageOutcome(None, None)
    if not parsed.title and page.link_title:
        parsed = dataclasses.replace(parsed, title=page.link_title.strip()[:500])
    if parsed.published_at is None and page.link_published is not None:
        parsed = dataclasses.replace(parsed, published_at=page.link_published)
    verdict = judge(parsed.title, parsed.text, _rules)
    if verdict.relevant:
        # Computed here, in the worker; the cached value travels with the pickled article
        # to the crawler, whose near-duplicate check needs it.
        _ = parsed.minhash
    return PageOutcome(parsed, verdict)
