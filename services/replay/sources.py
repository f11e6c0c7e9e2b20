"""Archives a replay reads, each turned into :class:`ReplayRecord` values in file order.

- a seed directory or manifest (``seeds.yaml``: archived responses with URL and headers),
- WARC / WARC.gz files (the crawler's own and third-party news WARCs),
- JSON-lines files (``schemas/replay-line.v1.json``).

Archived HTTP responses go through the crawler's own parsing path (decoding, main-text and
metadata extraction, canonical URL, relevance rules); a bad record is reported with its file and
offset, counted and skipped, never fatal.

Reading and parsing are split: the readers yield a :class:`ParseJob` for every record that needs
HTML-to-text, and :func:`parse_records` runs those in worker processes (in order, a bounded
number ahead) while the event loop publishes; :func:`read_path` runs them inline.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import yaml
from pydantic import ValidationError

from services.core.models import ArticleV1, ReplayLineV1, WarcRef, stable_id
from services.crawler.decode import decode_document
from services.crawler.fingerprint import content_hash
from services.crawler.parse import MAX_TEXT_CHARS, parse_html, parse_response
from services.crawler.relevance import judge
from services.crawler.urls import try_canonicalize
from services.crawler.warc import WarcDefect, scan
from services.crawler.workers import ParsePool

MANIFEST = "seeds.yaml"
PARSE_CHUNK = 16
"""Records per task sent to a parse worker (amortises the inter-process round trip)."""


@dataclass(frozen=True)
class ReplayRecord:
    """One archived item: an article to publish, or why it was skipped / rejected."""

    origin: str
    """``file:offset`` (WARC, JSON lines) or ``file`` (manifest entry)."""
    article: ArticleV1 | None = None
    skipped: str | None = None
    """Not an article or not relevant: counted, not an error."""
    error: str | None = None
    """A broken record: reported, counted, and makes the replay exit non-zero."""


@dataclass(frozen=True)
class ParseJob:
    """The CPU-heavy half of reading one record: ``parse()`` (a module-level function, so the
    job can be sent to a worker process) turns it into a :class:`ReplayRecord`."""

    origin: str
    parse: Callable[[], ReplayRecord]

    def run(self) -> ReplayRecord:
        """The record; a parser that raises becomes an error record (file and offset), so a
        bad record never stops a replay or a worker."""
        try:
            return self.parse()
        except Exception as exc:
            return ReplayRecord(self.origin, error=f"cannot parse: {exc!r}")


Item = ReplayRecord | ParseJob


def resolve(item: Item) -> ReplayRecord:
    return item if isinstance(item, ReplayRecord) else item.run()


def _crashed(item: Item, exc: Exception) -> ReplayRecord:
    return ReplayRecord(item.origin, error=f"the parse worker died on this record: {exc}")


def article_from_response(
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    fetched_at: datetime,
    origin: str,
    source: str = "replay",
    warc: WarcRef | None = None,
) -> ReplayRecord:
    """The crawler's path for one archived response: parse, then the relevance rules."""
    parsed = parse_response(url, headers, body, lang_hint=None, source=source)
    if parsed is None:
        return ReplayRecord(origin, skipped="not an article (no main text, too long or not HTML)")
    verdict = judge(parsed.title, parsed.text)
    if not verdict.relevant:
        return ReplayRecord(origin, skipped=verdict.explain())
    article = parsed.to_article(fetched_at=fetched_at, warc=warc)
    if article.published_at is None:
        article = article.model_copy(update={"published_at": fetched_at})
    return ReplayRecord(origin, article=article)


def _manifest_items(path: Path) -> Iterator[Item]:
    """Entries of a seed manifest: archived response bodies with their URL and headers."""
    base = path.parent
    try:
        entries = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("articles", [])
    except (OSError, yaml.YAMLError) as exc:
        yield ReplayRecord(str(path), error=f"unreadable manifest: {exc}")
        return
    for index, entry in enumerate(entries):
        origin = f"{path}:{index}"
        try:
            body = (base / entry["file"]).read_bytes()
            fetched = datetime.fromisoformat(str(entry["fetched_at"]).replace("Z", "+00:00"))
            headers = {str(k): str(v) for k, v in (entry.get("headers") or {}).items()}
            yield ParseJob(origin, partial(
                article_from_response, str(entry["url"]), headers, body, fetched_at=fetched,
                origin=origin, source=str(entry.get("source", "seed")),
            ))  # fmt: skip
        except (OSError, KeyError, TypeError, ValueError) as exc:
            yield ReplayRecord(origin, error=f"bad manifest entry: {exc!r}")


def _warc_items(path: Path) -> Iterator[Item]:
    """Response records of a WARC file, read by the crawler's own WARC reader; defects (truncated,
    malformed, failing digests, broken gzip) are reported with file and offset."""
    try:
        for item in scan(path):
            if isinstance(item, WarcDefect):
                yield ReplayRecord(f"{path}:{item.offset}", error=item.reason)
            elif 200 <= item.status < 300:
                origin = f"{path}:{item.ref.offset}"
                yield ParseJob(origin, partial(
                    article_from_response, item.url, item.headers, item.body,
                    fetched_at=item.date or datetime.now(UTC), origin=origin, warc=item.ref,
                ))  # fmt: skip
    except OSError as exc:
        yield ReplayRecord(str(path), error=f"cannot read: {exc}")


def _jsonl_items(path: Path) -> Iterator[Item]:
    """Lines of ``{url, title?, published_at, lang?, text | html}``."""
    try:
        stream = path.open("rb")
    except OSError as exc:
        yield ReplayRecord(str(path), error=f"cannot open: {exc}")
        return
    with stream:
        offset = 0
        for raw in stream:
            origin = f"{path}:{offset}"
            offset += len(raw)
            if not raw.strip():
                continue
            try:
                line = ReplayLineV1.model_validate_json(raw)
            except ValidationError as exc:
                yield ReplayRecord(origin, error=f"invalid line: {_first_error(exc)}")
                continue
            yield ParseJob(origin, partial(record_from_line, line, origin))


def _first_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    return f"{where}: {first['msg']}" if where else str(first["msg"])


def record_from_line(line: ReplayLineV1, origin: str) -> ReplayRecord:
    url = try_canonicalize(line.url) or line.url
    if line.html is not None:
        decoded = decode_document(line.html.encode("utf-8"), "text/html; charset=utf-8")
        parsed = parse_html(url, decoded.text, lang_hint=line.lang, source="replay")
        if parsed is None:
            return ReplayRecord(origin, skipped="not an article (no main text, or too long)")
        title, text, lang, url = line.title or parsed.title, parsed.text, parsed.lang, parsed.url
    elif line.text is not None and len(line.text) > MAX_TEXT_CHARS:
        return ReplayRecord(origin, skipped=f"not an article (over {MAX_TEXT_CHARS:,} characters)")
    elif line.text is not None and line.text.strip():
        title, text, lang = line.title or "", line.text, line.lang or _guess_lang(line.text)
    else:
        return ReplayRecord(origin, error="a line needs text or html")
    verdict = judge(title, text)
    if not verdict.relevant:
        return ReplayRecord(origin, skipped=verdict.explain())
    article = ArticleV1(
        id=stable_id(url), url=url, source="replay", lang=lang, title=title,
        published_at=line.published_at, fetched_at=line.published_at, text=text,
        content_hash=content_hash(text),
    )  # fmt: skip
    return ReplayRecord(origin, article=article)


def _guess_lang(text: str) -> str:
    sample = text[:2000]
    hangul = sum(1 for ch in sample if "\uac00" <= ch <= "\ud7a3")
    return "ko" if hangul * 10 > len(sample) else "en"


def items(path: Path) -> Iterator[Item]:
    """Every record under ``path`` (a manifest, a directory, a WARC or a JSON-lines file), the
    ones still to parse as :class:`ParseJob`."""
    if path.is_dir():
        manifest = path / MANIFEST
        if manifest.exists():
            yield from _manifest_items(manifest)
            return
        for child in sorted(p for p in path.rglob("*") if p.is_file()):
            if _kind(child) is not None:
                yield from items(child)
        return
    kind = _kind(path)
    if kind == "manifest":
        yield from _manifest_items(path)
    elif kind == "warc":
        yield from _warc_items(path)
    elif kind == "jsonl":
        yield from _jsonl_items(path)
    else:
        yield ReplayRecord(str(path), error="unknown archive type (.warc[.gz], .jsonl, seeds.yaml)")


def read_path(path: Path) -> Iterator[ReplayRecord]:
    """Every record under ``path``, parsed here, one after the other."""
    return (resolve(item) for item in items(path))


async def parse_records(paths: Iterable[Path], pool: ParsePool) -> AsyncIterator[ReplayRecord]:
    """Every record under ``paths`` in order, parsed by ``pool``'s worker processes."""
    jobs = (item for path in paths for item in items(path))
    async for record in pool.map(resolve, jobs, crashed=_crashed, chunk=PARSE_CHUNK):
        yield record


def _kind(path: Path) -> str | None:
    name = path.name.lower()
    if name == MANIFEST or (name.endswith((".yaml", ".yml")) and name.startswith("seeds")):
        return "manifest"
    if name.endswith((".warc", ".warc.gz", ".arc.gz")):
        return "warc"
    if name.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    return None
