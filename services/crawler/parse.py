"""One parsing path from an HTTP response to an article: decode → extract → canonical URL.

:func:`parse_response` is pure (no I/O, no clock unless ``fetched_at`` is omitted) and
independent of fetching, so the same code turns a live response, a WARC record or a saved HTML
file into a :class:`ParsedArticle`::

    parsed = parse_response(url, headers, body, lang_hint="ko", source="yonhap")
    if parsed is not None:
        article = parsed.to_article(fetched_at=..., warc=ref)

Libraries and why:

- **trafilatura** for the main text: the best-maintained boilerplate remover with Korean-safe
  heuristics and an lxml fast path; it also gives a fallback title/author/date;
- **htmldate** for dates when the page has no structured metadata: it knows the common
  publisher markup and visible date patterns (``2025.10.31 10:00``, ``입력 2025-10-31``);
- **lxml** (already used by both) for JSON-LD, OpenGraph, ``<meta>`` and ``<link rel=canonical>``
  which are read first because they are the publisher's own statement.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import cached_property
from typing import Any

import lxml.html  # type: ignore[import-untyped,unused-ignore]
import trafilatura
from htmldate import find_date
from lxml import etree  # type: ignore[import-untyped,unused-ignore]

from services.core.models import ArticleV1, WarcRef, stable_id
from services.crawler.decode import decode_document
from services.crawler.fingerprint import content_hash, minhash
from services.crawler.urls import plausible_canonical, same_site, try_canonicalize

MIN_TEXT_CHARS = 150
MAX_TEXT_CHARS = 500_000
"""A longer main text is not a news article (those run to a few tens of thousands).  The bound
keeps an article's message (≤ 6 bytes a character in JSON) and the facts message that carries it
far below the broker's limit (``services.core.bus.MAX_MESSAGE_BYTES``, 8 MiB): a page of megabytes
of text would otherwise be set aside by the crawler, or its facts dead-lettered by the extractor."""
KST = timezone(timedelta(hours=9), "KST")
_HTML_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "")
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_LETTER = re.compile(r"[^\W\d_]")
_DATE_PREFIX = re.compile(r"^\s*(입력|수정|등록|승인|업데이트|기사입력|최종수정)\s*[:：]?\s*")


@dataclass(frozen=True)
class ParsedArticle:
    url: str
    """Canonical URL (the page's own ``rel=canonical`` when it is on the same site)."""
    fetched_url: str
    title: str
    text: str
    """Main text, paragraphs separated by blank lines."""
    author: str | None
    published_at: datetime | None
    updated_at: datetime | None
    lang: str
    encoding: str
    content_hash: str
    source: str

    @property
    def id(self) -> str:
        return stable_id(self.url)

    @cached_property
    def minhash(self) -> tuple[int, ...]:
        """The text's MinHash signature, computed on first use: only the crawler's
        near-duplicate check needs it (replay does not)."""
        return minhash(self.text)

    def to_article(self, *, fetched_at: datetime, warc: WarcRef | None = None) -> ArticleV1:
        return ArticleV1(
            id=self.id,
            url=self.url,
            source=self.source,
            lang=self.lang,
            title=self.title,
            author=self.author,
            published_at=self.published_at,
            updated_at=self.updated_at,
            fetched_at=fetched_at,
            text=self.text,
            content_hash=self.content_hash,
            warc=warc,
        )


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def _parse_time(value: Any, default_tz: timezone) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    text = _DATE_PREFIX.sub("", value.strip())
    text = re.sub(
        r"^(\d{4})[./-](\d{1,2})[./-](\d{1,2})\.?",
        lambda m: f"{m[1]}-{int(m[2]):02d}-{int(m[3]):02d}",
        text,
    ).replace("Z", "+00:00")
    text = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", text)  # +0900 → +09:00
    for candidate in (text, text[:25], text[:19], text[:16], text[:10]):
        try:
            parsed = datetime.fromisoformat(candidate.strip())
        except ValueError:
            continue
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=default_tz)
        if not 1990 <= parsed.year <= 2100:
            return None
        return parsed.astimezone(UTC)
    return None


def _json_ld_objects(tree: lxml.html.HtmlElement) -> Iterator[dict[str, Any]]:
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        try:
            data = json.loads(script.text or "")
        except (ValueError, RecursionError):
            continue
        stack: list[Any] = [data]
        seen = 0
        while stack and seen < 200:
            item = stack.pop()
            seen += 1
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                if "@graph" in item:
                    stack.append(item["@graph"])
                kind = item.get("@type")
                kinds = kind if isinstance(kind, list) else [kind]
                if any(isinstance(k, str) and k.endswith(("Article", "Posting")) for k in kinds):
                    yield item


def _meta(tree: lxml.html.HtmlElement) -> dict[str, str]:
    out: dict[str, str] = {}
    for node in tree.xpath("//meta[@content]"):
        key = (node.get("property") or node.get("name") or node.get("itemprop") or "").lower()
        if key and key not in out:
            out[key] = (node.get("content") or "").strip()
    return out


def _author_name(value: Any) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, dict):
        return _author_name(value.get("name"))
    if isinstance(value, list):
        names = [n for n in (_author_name(v) for v in value) if n]
        return ", ".join(names) or None
    return None


def _canonical_link(tree: lxml.html.HtmlElement, meta: Mapping[str, str]) -> str | None:
    for node in tree.xpath(
        '//link[@href][contains(concat(" ", normalize-space(@rel), " "), " canonical ")]'
    ):
        return str(node.get("href"))
    return meta.get("og:url")


def detect_language(text: str, hint: str | None, html_lang: str | None) -> str:
    """``ko`` when the text is mostly Hangul; otherwise the hint, the page's ``lang``, or en."""
    sample = text[:5000]
    letters = len(_LETTER.findall(sample))
    hangul = len(_HANGUL.findall(sample))
    if letters and hangul / letters >= 0.2:
        return "ko"
    for candidate in (hint, html_lang):
        if candidate:
            code = candidate.strip().lower()[:2]
            if code.isalpha() and len(code) == 2 and code != "ko":
                return code
    return "en"


def _paragraphs(text: str) -> str:
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.splitlines()]
    return "\n\n".join(line for line in lines if line)


def parse_html(
    url: str,
    html: str,
    *,
    lang_hint: str | None,
    source: str,
    encoding: str = "utf-8",
) -> ParsedArticle | None:
    """Extract an article from already-decoded HTML; ``None`` if it has no real main text."""
    if not html.strip():
        return None
    try:
        tree = lxml.html.fromstring(html.encode("utf-8"), parser=_PARSER)
    except (etree.ParserError, ValueError):
        return None
    if tree is None:
        return None
    meta = _meta(tree)
    ld = next(_json_ld_objects(tree), {})
    html_lang = tree.get("lang")
    text_probe = " ".join(tree.xpath("//p//text()"))[:2000]
    lang = detect_language(text_probe or html[:5000], lang_hint, html_lang)
    tz = KST if lang == "ko" else UTC

    published = _parse_time(ld.get("datePublished"), tz) or next(
        (
            t
            for key in (
                "article:published_time",
                "og:published_time",
                "datepublished",
                "pubdate",
                "publishdate",
                "date",
                "dc.date.issued",
                "dc.date",
                "sailthru.date",
                "parsely-pub-date",
            )
            if (t := _parse_time(meta.get(key), tz)) is not None
        ),
        None,
    )
    updated = _parse_time(ld.get("dateModified"), tz) or next(
        (
            t
            for key in (
                "article:modified_time",
                "og:updated_time",
                "datemodified",
                "lastmod",
                "last-modified",
            )
            if (t := _parse_time(meta.get(key), tz)) is not None
        ),
        None,
    )
    if published is None:
        found = find_date(
            tree,
            original_date=True,
            outputformat="%Y-%m-%dT%H:%M:%S",
            extensive_search=True,
            url=url,
        )
        published = _parse_time(found, tz)
    author = (
        _author_name(ld.get("author"))
        or meta.get("author")
        or meta.get("article:author")
        or meta.get("dable:author")
        or None
    )
    title = (meta.get("og:title") or _author_name(ld.get("headline")) or "").strip()
    declared = _canonical_link(tree, meta)

    doc = trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        include_images=False,
        include_links=False,
        favor_precision=True,
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    data: dict[str, Any] = doc.as_dict() if doc is not None and hasattr(doc, "as_dict") else {}
    text = _paragraphs(str(data.get("text") or ""))
    if not MIN_TEXT_CHARS <= len(text) <= MAX_TEXT_CHARS:
        return None
    if not title:
        title = str(data.get("title") or "").strip()
        if not title:
            found_title = tree.findtext(".//title")
            title = (found_title or "").strip()
    author = author or (str(data["author"]) if data.get("author") else None)
    if published is None:
        published = _parse_time(data.get("date"), tz)
    if updated is not None and published is not None and updated <= published:
        updated = None
    lang = detect_language(text, lang_hint, html_lang)

    canonical = try_canonicalize(url) or url
    if declared:
        resolved = try_canonicalize(declared, base=url)
        # Cross-site canonicals are ignored: a page must not claim another site's identity
        # (syndicated copies are caught by the content fingerprint instead); so is one that
        # names the home page, a section or the script without the article's id.
        if (
            resolved is not None
            and same_site(resolved, url)
            and plausible_canonical(resolved, canonical)
        ):
            canonical = resolved
    return ParsedArticle(
        url=canonical,
        fetched_url=url,
        title=re.sub(r"\s+", " ", title)[:500],
        text=text,
        author=(author or None) and str(author)[:200],
        published_at=published,
        updated_at=updated,
        lang=lang,
        encoding=encoding,
        content_hash=content_hash(text),
        source=source,
    )


_PARSER = lxml.html.HTMLParser(
    encoding="utf-8", remove_comments=True, no_network=True, huge_tree=False
)


def parse_response(
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    lang_hint: str | None,
    source: str,
) -> ParsedArticle | None:
    """Turn one HTTP response (decoded body bytes) into an article, or ``None``.

    ``url`` is the URL that answered (after redirects), ``headers`` the response headers (any
    case), ``body`` the content-decoded bytes.  ``None`` means "not an article": not HTML, or no
    main text of :data:`MIN_TEXT_CHARS` to :data:`MAX_TEXT_CHARS` characters.  Pure: safe for
    replaying WARC records and saved HTML files.
    """
    lowered = _lower(headers)
    content_type = lowered.get("content-type", "")
    media = content_type.split(";", 1)[0].strip().lower()
    if media not in _HTML_TYPES:
        return None
    decoded = decode_document(body, content_type)
    return parse_html(
        url, decoded.text, lang_hint=lang_hint, source=source, encoding=decoded.encoding
    )
