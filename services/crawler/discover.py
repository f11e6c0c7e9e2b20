"""Finding article URLs: RSS/Atom feeds, sitemaps (news sitemaps, indexes) and section pages.

All functions are pure over bytes already fetched.  XML is parsed with entity resolution and
network access off (no XXE, no billion-laughs expansion); gzipped sitemaps are inflated with an
output cap.
"""

from __future__ import annotations

import calendar
import re
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin

import feedparser
import lxml.html  # type: ignore[import-untyped,unused-ignore]
from lxml import etree  # type: ignore[import-untyped,unused-ignore]

from services.crawler.decode import decode_document
from services.crawler.parse import KST, _parse_time
from services.crawler.urls import same_site, try_canonicalize

MAX_INFLATED = 50 * 1024 * 1024
MAX_LINKS = 5000


@dataclass(frozen=True)
class Link:
    url: str
    title: str | None = None
    published: datetime | None = None


@dataclass(frozen=True)
class Sitemap:
    links: tuple[Link, ...] = ()
    children: tuple[Link, ...] = field(default=())
    """Child sitemaps of a sitemap index (``published`` = their ``lastmod``)."""


class DiscoveryError(ValueError):
    """The document is not a feed/sitemap we can read."""


def maybe_gunzip(body: bytes, cap: int = MAX_INFLATED) -> bytes:
    """Inflate a gzip file body (``sitemap.xml.gz`` served without Content-Encoding)."""
    if not body.startswith(b"\x1f\x8b"):
        return body
    obj = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = obj.decompress(body, cap + 1)
    except zlib.error as exc:
        raise DiscoveryError(f"corrupt gzip: {exc}") from exc
    if len(out) > cap:
        raise DiscoveryError("inflated sitemap exceeds the cap")
    return out


def newest_first(links: list[Link]) -> list[Link]:
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    return sorted(links, key=lambda link: link.published or epoch, reverse=True)


def parse_feed(body: bytes, base_url: str) -> list[Link]:
    """Entries of an RSS or Atom feed, newest first."""
    parsed = feedparser.parse(body, response_headers={"content-location": base_url})
    links: list[Link] = []
    for entry in parsed.entries[:MAX_LINKS]:
        href = entry.get("link") or ""
        if not href:
            for alt in entry.get("links", []):
                if alt.get("rel", "alternate") == "alternate" and alt.get("href"):
                    href = alt["href"]
                    break
        if not href and str(entry.get("id", "")).startswith("http"):
            href = entry["id"]
        url = try_canonicalize(str(href), base=base_url) if href else None
        if url is None:
            continue
        when = entry.get("published_parsed") or entry.get("updated_parsed")
        published = datetime.fromtimestamp(calendar.timegm(when), UTC) if when is not None else None
        links.append(
            Link(
                url=urljoin(base_url, str(href).strip()),
                title=entry.get("title"),
                published=published,
            )
        )
    if not links and parsed.bozo and not parsed.entries:
        raise DiscoveryError(f"not a feed: {parsed.get('bozo_exception')}")
    return newest_first(links)


_XML_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, huge_tree=False, recover=True, load_dtd=False
)


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _child_text(node: etree._Element, *path: str) -> str | None:
    current = [node]
    for name in path:
        current = [c for n in current for c in n if _local(c.tag) == name]
    for item in current:
        if item.text and item.text.strip():
            return str(item.text.strip())
    return None


def parse_sitemap(body: bytes, base_url: str) -> Sitemap:
    """URLs of a sitemap (with Google News title/date) or the children of a sitemap index."""
    data = maybe_gunzip(body)
    try:
        root = etree.fromstring(data, parser=_XML_PARSER)
    except etree.XMLSyntaxError as exc:
        raise DiscoveryError(f"not XML: {exc}") from exc
    if root is None:
        raise DiscoveryError("empty sitemap")
    kind = _local(root.tag)
    if kind not in ("urlset", "sitemapindex"):
        raise DiscoveryError(f"not a sitemap: root element {kind!r}")
    entries: list[Link] = []
    for node in root:
        if _local(node.tag) not in ("url", "sitemap"):
            continue
        loc = _child_text(node, "loc")
        url = try_canonicalize(loc, base=base_url) if loc else None
        if url is None or loc is None:
            continue
        when = _child_text(node, "news", "publication_date") or _child_text(node, "lastmod")
        title = _child_text(node, "news", "title")
        entries.append(
            Link(url=urljoin(base_url, loc.strip()), title=title, published=_parse_time(when, KST))
        )
    # the newest MAX_LINKS of all, not the first in the file: many list the oldest first
    if kind == "sitemapindex":
        if not any(child.published for child in entries):
            entries.reverse()  # undated children (WordPress's): the last ones are the newest
        return Sitemap(children=tuple(newest_first(entries)[:MAX_LINKS]))
    return Sitemap(links=tuple(newest_first(entries)[:MAX_LINKS]))


def looks_like_sitemap(body: bytes) -> bool:
    try:
        head = maybe_gunzip(body)[:4096]
    except DiscoveryError:
        return False
    return re.search(rb"<(\w+:)?(urlset|sitemapindex)[\s>]", head) is not None


def section_links(html: str, base_url: str, pattern: re.Pattern[str] | None) -> list[Link]:
    """Article links on a section page: same site, matching ``pattern``, in page order."""
    if not html.strip():
        return []
    try:
        tree = lxml.html.fromstring(html)
    except (etree.ParserError, ValueError):
        return []
    seen: dict[str, Link] = {}
    for anchor in tree.iter("a"):
        href = anchor.get("href")
        if not href or href.startswith(("javascript:", "mailto:", "#")):
            continue
        absolute = try_canonicalize(href, base=base_url)
        if absolute is None or not same_site(absolute, base_url):
            continue
        if pattern is not None and pattern.search(absolute) is None:
            continue
        raw = lxml.html.tostring(anchor, method="text", encoding="unicode").strip()
        if absolute not in seen:
            seen[absolute] = Link(url=urljoin(base_url, href.strip()), title=raw or None)
        if len(seen) >= MAX_LINKS:
            break
    return list(seen.values())


def section_page_links(
    body: bytes, content_type: str | None, base_url: str, pattern: re.Pattern[str] | None
) -> list[Link]:
    """Article links on a fetched section page: its bytes decoded, then :func:`section_links`."""
    return section_links(decode_document(body, content_type).text, base_url, pattern)
