"""``sources.yaml``: which sites to crawl and how often.

```yaml
sources:
  - name: example-news
    lang: ko
    feeds: [https://news.example/rss/it.xml]          # RSS or Atom
    sitemaps: [https://news.example/news-sitemap.xml]  # news sitemaps and sitemap indexes
    pages: [https://news.example/section/it]           # section pages
    article_pattern: '/article/\\d+'                    # links to follow from pages
    poll_every: 5m
    verified: false                                    # informational
```
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from services.core.config import parse_duration
from services.crawler.errors import SourcesError
from services.crawler.urls import try_canonicalize

_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_KNOWN_KEYS = {
    "name",
    "lang",
    "feeds",
    "sitemaps",
    "pages",
    "article_pattern",
    "poll_every",
    "enabled",
    "verified",
    "homepage",
    "notes",
    "max_articles_per_poll",
}


@dataclass(frozen=True)
class Source:
    name: str
    lang: str | None
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    pages: tuple[str, ...] = ()
    article_pattern: re.Pattern[str] | None = None
    poll_every: float = 300.0
    max_articles_per_poll: int = 50

    @property
    def endpoints(self) -> tuple[str, ...]:
        return self.feeds + self.sitemaps + self.pages

    def wants(self, url: str) -> bool:
        """Does a link found on a section page look like one of this source's articles?"""
        return self.article_pattern is None or self.article_pattern.search(url) is not None


def _urls(raw: Any, where: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        raise SourcesError(f"{where}: expected a list of URLs")
    out = []
    for item in raw:
        if try_canonicalize(str(item)) is None:
            raise SourcesError(f"{where}: not an http(s) URL: {item!r}")
        out.append(str(item).strip())
    return tuple(out)


def parse_sources(data: Any, where: str = "sources") -> tuple[Source, ...]:
    if not isinstance(data, dict) or not isinstance(data.get("sources"), list):
        raise SourcesError(f"{where}: expected a mapping with a 'sources' list")
    seen: set[str] = set()
    out: list[Source] = []
    for index, raw in enumerate(data["sources"]):
        at = f"{where}: sources[{index}]"
        if not isinstance(raw, dict):
            raise SourcesError(f"{at}: expected a mapping")
        unknown = set(raw) - _KNOWN_KEYS
        if unknown:
            raise SourcesError(f"{at}: unknown keys {sorted(unknown)}")
        name = str(raw.get("name", ""))
        if not _NAME.match(name):
            raise SourcesError(f"{at}: name must match {_NAME.pattern}")
        if name in seen:
            raise SourcesError(f"{at}: duplicate source name {name!r}")
        seen.add(name)
        if raw.get("enabled", True) is False:
            continue
        try:
            pattern = re.compile(raw["article_pattern"]) if raw.get("article_pattern") else None
            poll_every = parse_duration(raw.get("poll_every", "5m"))
            max_articles = int(raw.get("max_articles_per_poll", 50))
        except (re.error, ValueError, TypeError) as exc:
            raise SourcesError(f"{at} ({name}): {exc}") from exc
        if poll_every < 1:
            raise SourcesError(f"{at} ({name}): poll_every must be at least 1s")
        source = Source(
            name=name,
            lang=str(raw["lang"]) if raw.get("lang") else None,
            feeds=_urls(raw.get("feeds"), f"{at}.feeds"),
            sitemaps=_urls(raw.get("sitemaps"), f"{at}.sitemaps"),
            pages=_urls(raw.get("pages"), f"{at}.pages"),
            article_pattern=pattern,
            poll_every=poll_every,
            max_articles_per_poll=max_articles,
        )
        if not source.endpoints:
            raise SourcesError(f"{at} ({name}): needs at least one feed, sitemap or page")
        out.append(source)
    return tuple(out)


def load_sources(path: Path) -> tuple[Source, ...]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SourcesError(f"cannot read sources file {path}: {exc}") from exc
    return parse_sources(data, str(path))
