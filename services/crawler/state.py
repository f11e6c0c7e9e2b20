"""Repository over the crawler tables (synchronous; the crawler calls it via ``to_thread``).

Publish-once protocol:

1. :meth:`CrawlState.claim` — in one transaction, reject the article if its canonical URL id is
   known (primary key), its text hash belongs to a live article (unique partial index) or its
   MinHash signature is similar enough to one's (LSH band lookup); otherwise insert the row
   as ``pending`` with the full ``ArticleV1`` JSON.  Two instances racing on the same URL or
   text: one insert wins, the other gets an integrity error and reports a duplicate.
2. publish to Kafka and wait for the acknowledgement, if :meth:`CrawlState.still_pending` still
   says the claim is pending (:mod:`services.crawler.publication`: one lock for this and 3);
3. :meth:`CrawlState.mark_published`.

A crash between 1 and 3 leaves the row ``pending``; :meth:`CrawlState.pending` returns those
articles and the crawler re-publishes them at start-up and after every poll.  So every article
is published **at least once and, apart from that crash window, exactly once**; a re-publish
carries the same article id and key, and downstream consumers are idempotent by article id.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, TypeVar, cast

from sqlalchemy import (
    Connection,
    Engine,
    Table,
    TextClause,
    and_,
    bindparam,
    delete,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from services.core.db import session_factory, transaction, utcnow
from services.core.models import ArticleV1, stable_id
from services.crawler.fingerprint import (
    NEAR_DUPLICATE_SIMILARITY,
    decode_signature,
    encode_signature,
    lsh_keys,
    parts_similarity,
    signature_parts,
)
from services.crawler.tables import (
    LIVE,
    LIVE_CONTENT_INDEX,
    LIVE_SQL,
    CrawlerLsh,
    CrawlerParseTimeout,
    CrawlerSource,
    CrawlerUrl,
    CrawlerValidator,
)

_T = TypeVar("_T")
# Rows are inserted into the tables (Core): they are complete dicts, and the ORM's bulk insert
# path costs a third of a claim's CPU for nothing.
URLS = cast(Table, CrawlerUrl.__table__)
LSH = cast(Table, CrawlerLsh.__table__)
TIMEOUTS = cast(Table, CrawlerParseTimeout.__table__)
# The claim path's statements, built once and run on the session's connection (Core): the
# ORM's per-statement work — building the clauses, its execute and result layers — cost more
# CPU than SQLite itself.  The ``IN`` lists are expanding parameters.
_KNOWN_IDS = select(URLS.c.id).where(URLS.c.id.in_(bindparam("ids", expanding=True)))


def _live_hashes(hint: str) -> TextClause:
    """(content hash, id) of the live articles with one of ``hashes``; the status predicate is
    written out literally, so the partial unique index on live content hashes applies."""
    return text(
        f"SELECT content_hash, id FROM {URLS.name}{hint} "
        f"WHERE content_hash IN :hashes AND {LIVE_SQL.text}"
    ).bindparams(bindparam("hashes", expanding=True))


_LIVE_HASHES = _live_hashes("")
# Given more than two hashes, SQLite's planner (without statistics) prefers the status index: a
# walk over every live row on each claim batch (1.1 ms at 600 live articles, 2.6 ms at 1,000,
# growing with the table).  It is told the index.
_LIVE_HASHES_SQLITE = _live_hashes(f" INDEXED BY {LIVE_CONTENT_INDEX}")
_BANDS = select(LSH.c.band_key, LSH.c.url_id).where(
    LSH.c.band_key.in_(bindparam("keys", expanding=True))
)
# By primary key; the status is checked in Python (a status filter in SQL would make SQLite
# walk the status index over every live row instead).
_SIGNATURES = select(URLS.c.id, URLS.c.status, URLS.c.signature).where(
    URLS.c.id.in_(bindparam("ids", expanding=True))
)
_SET_ASIDE = (
    update(URLS)
    .where(URLS.c.id.in_(bindparam("ids", expanding=True)))
    .where(URLS.c.status == "pending")
    .values(status=bindparam("status"), updated_at=bindparam("now"), payload=None)
)
# Claims waiting for the broker, as a republish reads them: with their message (nor NULL).
_WAITING = and_(URLS.c.status == "pending", URLS.c.payload != "")
_OVERDUE = (
    select(func.count()).select_from(URLS).where(_WAITING, URLS.c.created_at < bindparam("before"))
)
_STATUSES = select(URLS.c.id, URLS.c.status).where(URLS.c.id.in_(bindparam("ids", expanding=True)))
# A published article's payload goes: it was kept only to publish again after a crash (the
# text is in the store and the WARC), and at 10–20 KB an article it would grow the state for ever.
_PUBLISHED = (
    update(URLS)
    .where(URLS.c.id.in_(bindparam("ids", expanding=True)))
    .where(URLS.c.status == "pending")
    .values(status="published", updated_at=bindparam("now"), payload=None)
)
# The retention's statements: the oldest fingerprinted rows (by the partial index on claim time),
# and one band key of one article, by the primary key.
_FINGERPRINTED = (
    select(URLS.c.id, URLS.c.signature)
    .where(URLS.c.signature.is_not(None), URLS.c.created_at < bindparam("before"))
    .order_by(URLS.c.created_at)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True)  # PostgreSQL: two crawlers' prunes take turns by row
)
_UNBAND = delete(LSH).where(LSH.c.band_key == bindparam("key"), LSH.c.url_id == bindparam("id"))
_UNSIGN = (
    update(URLS).where(URLS.c.id.in_(bindparam("ids", expanding=True))).values(signature=None)
)
ClaimKind = Literal["claimed", "duplicate_url", "duplicate_exact", "duplicate_near"]


@dataclass(frozen=True)
class Claim:
    kind: ClaimKind
    other_id: str | None = None
    similarity: float | None = None


@dataclass(frozen=True)
class Remembered:
    """A URL that is not (or not itself) an article: fetched, judged, not to be fetched again."""

    url: str
    source: str
    status: str
    article_id: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class ClaimRequest:
    article: ArticleV1
    signature: tuple[int, ...]
    """MinHash signature of the article's text (:func:`~services.crawler.fingerprint.minhash`)."""
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Validators:
    etag: str | None
    last_modified: str | None
    body_hash: str | None


@dataclass(frozen=True)
class SourceState:
    name: str
    next_poll_at: datetime
    failures: int
    last_error: str | None
    last_success_at: datetime | None = None
    last_article_at: datetime | None = None


class CrawlState:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._factory: sessionmaker[Session] = session_factory(engine)

    # ------------------------------------------------------------------ seen URLs

    def known(self, url_ids: Iterable[str]) -> set[str]:
        ids = list(dict.fromkeys(url_ids))
        found: set[str] = set()
        with transaction(self._factory) as session:
            for chunk in _chunks(ids):
                found.update(session.connection().execute(_KNOWN_IDS, {"ids": chunk}).scalars())
        return found

    def remember(
        self,
        url: str,
        source: str,
        status: str,
        *,
        article_id: str | None = None,
        reason: str | None = None,
    ) -> bool:
        """Record a non-article URL (alias, irrelevant, …); ``False`` if it was already known."""
        return self.remember_many([Remembered(url, source, status, article_id, reason)])[0]

    def remember_many(self, items: Sequence[Remembered]) -> list[bool]:
        """:meth:`remember` for a batch in one transaction (one at a time if one was known)."""
        if not items:
            return []
        now = utcnow()
        rows = [
            {"id": stable_id(i.url), "url": i.url, "source": i.source, "status": i.status,
             "article_id": i.article_id, "reason": i.reason, "created_at": now, "updated_at": now}
            for i in items
        ]  # fmt: skip
        try:
            with transaction(self._factory) as session:
                session.execute(insert(URLS), rows)
        except IntegrityError:
            if len(items) == 1:
                return [False]
            return [known for item in items for known in self.remember_many([item])]
        return [True] * len(items)

    # ------------------------------------------------------------------ parse timeouts

    def parse_timeouts(self) -> set[str]:
        """The URL ids whose parse ran past its deadline and that are neither parsed nor
        given up yet."""
        with transaction(self._factory) as session:
            return set(session.scalars(select(TIMEOUTS.c.id)))

    def parse_timed_out(self, url: str, source: str, reason: str, give_up_at: int) -> int | None:
        """Count one more parse of ``url`` past its deadline; how many there have been, or None
        when the URL is settled already (claimed or remembered meanwhile: by another source's
        poll, or another crawler).  At ``give_up_at`` the URL is remembered as no article
        (``reason``), in the same transaction, and its count goes."""
        try:
            return self._count_timeout(url, source, reason, give_up_at)
        except IntegrityError:  # another instance counted it, or settled it, meanwhile
            return self._count_timeout(url, source, reason, give_up_at)

    def _count_timeout(self, url: str, source: str, reason: str, give_up_at: int) -> int | None:
        url_id, now = stable_id(url), utcnow()
        with transaction(self._factory) as session:
            of_url = TIMEOUTS.c.id == url_id
            if session.scalar(select(URLS.c.id).where(URLS.c.id == url_id)) is not None:
                session.execute(delete(TIMEOUTS).where(of_url))
                return None
            counted = session.scalar(select(TIMEOUTS.c.attempts).where(of_url).with_for_update())
            attempts = 1 + (counted or 0)
            if attempts >= give_up_at:
                session.execute(delete(TIMEOUTS).where(of_url))
                session.execute(
                    insert(URLS),
                    {"id": url_id, "url": url, "source": source, "status": "not_article",
                     "reason": reason, "created_at": now, "updated_at": now},
                )  # fmt: skip
            elif counted is None:
                session.execute(
                    insert(TIMEOUTS), {"id": url_id, "url": url, "attempts": 1, "last_at": now}
                )
            else:
                session.execute(
                    update(TIMEOUTS).where(of_url).values(attempts=attempts, last_at=now)
                )
        return attempts

    def forget_parse_timeouts(self, url_ids: Sequence[str]) -> None:
        """Drop the counts of URLs that were parsed, or given up for another reason."""
        if not url_ids:
            return
        with transaction(self._factory) as session:
            for chunk in _chunks(list(url_ids)):
                session.execute(delete(TIMEOUTS).where(TIMEOUTS.c.id.in_(chunk)))

    # ------------------------------------------------------------------ claims

    def claim(
        self, article: ArticleV1, signature: tuple[int, ...], aliases: Sequence[str] = ()
    ) -> Claim:
        """Reserve ``article`` for publishing (status ``pending``) unless it is a duplicate.

        ``aliases`` are other URLs of the same page (the fetched URL when the canonical one
        differs); they are recorded so they are not fetched again.
        """
        return self.claim_many([ClaimRequest(article, signature, tuple(aliases))])[0]

    def claim_many(self, requests: Sequence[ClaimRequest]) -> list[Claim]:
        """:meth:`claim` for a batch, in order, in one transaction: each article is checked
        against the stored ones and the batch's earlier ones, with a fixed number of queries
        per batch (not per article)."""
        if not requests:
            return []
        try:
            with transaction(self._factory) as session:
                return _ClaimBatch(session.connection(), requests).run()
        except IntegrityError:
            # Another instance claimed the same URL or text between our check and insert.
            if len(requests) == 1:
                return [Claim("duplicate_url", requests[0].article.id)]
            return [claim for request in requests for claim in self.claim_many([request])]

    def mark_published(self, article_ids: Iterable[str]) -> None:
        ids = list(article_ids)
        if not ids:
            return
        with transaction(self._factory) as session:
            session.connection().execute(_PUBLISHED, {"ids": ids, "now": utcnow()})

    def set_aside(self, article_ids: Sequence[str], status: str) -> None:
        """Give up on pending claims that cannot be published: ``status`` (not live), no
        message kept; the URL stays known, so the page is not fetched again."""
        with transaction(self._factory) as session:
            session.connection().execute(
                _SET_ASIDE, {"ids": list(article_ids), "status": status, "now": utcnow()}
            )

    def still_pending(self, article_ids: Sequence[str]) -> set[str]:
        """Those of ``article_ids`` claimed and not yet marked published."""
        if not article_ids:
            return set()
        with transaction(self._factory) as session:
            rows = session.connection().execute(_STATUSES, {"ids": list(article_ids)})
            return {id_ for id_, status in rows if status == "pending"}

    def count_pending(self, claimed_before: datetime) -> int:
        """How many claims made before ``claimed_before`` wait to be published (overdue: a
        poll's own claims are published within seconds)."""
        with transaction(self._factory) as session:
            found = session.connection().execute(_OVERDUE, {"before": claimed_before})
            return int(found.scalar_one())

    def pending(self, after: str = "", limit: int | None = None) -> list[ArticleV1]:
        """Claimed articles not marked published, by id after ``after`` (at most ``limit``):
        left by a crash or a failed send, or about to be published by a running poll
        (:mod:`services.crawler.publication` sorts them out)."""
        with transaction(self._factory) as session:
            payloads = session.scalars(
                select(URLS.c.payload)
                .where(_WAITING, URLS.c.id > after)
                .order_by(URLS.c.id)  # one ordered range of ix_crawler_urls_status_id
                .limit(limit)
            ).all()
        return [ArticleV1.model_validate_json(p) for p in payloads if p is not None]

    def status_of(self, url: str) -> str | None:
        with transaction(self._factory) as session:
            row = session.get(CrawlerUrl, stable_id(url))
            return None if row is None else row.status

    # ------------------------------------------------------------------ validators

    def validators(self, url: str) -> Validators | None:
        with transaction(self._factory) as session:
            row = session.get(CrawlerValidator, stable_id(url))
            if row is None:
                return None
            return Validators(row.etag, row.last_modified, row.body_hash)

    def save_validators(self, url: str, value: Validators) -> None:
        with transaction(self._factory) as session:
            row = session.get(CrawlerValidator, stable_id(url))
            if row is None:
                row = CrawlerValidator(id=stable_id(url), url=url, checked_at=utcnow())
                session.add(row)
            row.etag = value.etag
            row.last_modified = value.last_modified
            row.body_hash = value.body_hash
            row.checked_at = utcnow()

    # ------------------------------------------------------------------ sources

    def source_state(self, name: str) -> SourceState | None:
        with transaction(self._factory) as session:
            row = session.get(CrawlerSource, name)
            if row is None:
                return None
            return SourceState(
                row.name, row.next_poll_at, row.failures, row.last_error,
                row.last_success_at, row.last_article_at,
            )  # fmt: skip

    def save_source(
        self,
        name: str,
        next_poll_at: datetime,
        failures: int,
        error: str | None,
        *,
        published: bool = False,
        now: datetime | None = None,
    ) -> None:
        """The outcome of a poll ending ``now``: its schedule, and whether it succeeded and
        published a new article."""
        now = now or utcnow()
        with transaction(self._factory) as session:
            row = session.get(CrawlerSource, name)
            if row is None:
                row = CrawlerSource(name=name, next_poll_at=next_poll_at)
                session.add(row)
            row.next_poll_at = next_poll_at
            row.failures = failures
            row.last_error = error
            row.last_poll_at = now
            if error is None:
                row.last_success_at = now
            if published:
                row.last_article_at = now


MAX_NEAR_CANDIDATES = 1000
"""Stored near-duplicate candidates verified per article (those sharing an LSH band key)."""
BAND_CAP = 200
"""Articles indexed under one LSH band key.  A key shared by this many articles that are not
near-duplicates of one another is a source's boilerplate (a footer, a disclaimer: four of its
shingles won a band's four bins), not evidence: every article of that source would load all of
them, more every day.  Later articles are indexed under their other band keys only; a true
near-duplicate (similarity 0.6 or more) shares one of the 15 other bands with its original with
a probability of at least 0.875, against 0.891 for all 16."""
_CHUNK = 500
FORGET_BATCH = 200
"""Articles whose fingerprints the retention forgets in one transaction (≈0.1 s)."""


def _chunks(values: Sequence[_T]) -> Iterator[Sequence[_T]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


class _ClaimBatch:
    """The checks and inserts of :meth:`CrawlState.claim_many` inside one transaction.

    Three indexed look-ups for the whole batch — URL ids (primary key), live content hashes
    (the partial unique index, see :func:`_live_hashes`), LSH
    band keys — then the candidates' signatures by primary key; decisions in order against
    those and the batch's own earlier articles; the new rows go in with two bulk inserts.
    """

    def __init__(self, connection: Connection, requests: Sequence[ClaimRequest]) -> None:
        self.connection = connection
        self.requests = requests
        self.now = utcnow()
        self.urls: list[dict[str, object]] = []
        self.lsh: list[dict[str, object]] = []
        self.taken: set[str] = set()
        """URL ids stored or inserted by this batch."""
        self.live_hashes: dict[str, str] = {}
        """content hash → live article id (stored or claimed by this batch)."""
        self.bands: dict[int, list[str]] = {}
        """band key → live article ids (candidates of the stored ones, claimed by this batch)."""
        self.signatures: dict[str, tuple[str, ...]] = {}
        """live article id → its signature's :func:`signature_parts`, for the candidates in
        ``bands``."""
        self.keys = [lsh_keys(r.signature) for r in requests]
        """Each request's LSH band keys."""

    def run(self) -> list[Claim]:
        self._load()
        claims = [self._decide(r, keys) for r, keys in zip(self.requests, self.keys, strict=True)]
        if self.urls:
            self.connection.execute(insert(URLS), self.urls)
        if self.lsh:
            self.connection.execute(insert(LSH), self.lsh)
        return claims

    def _load(self) -> None:
        execute = self.connection.execute
        ids = [r.article.id for r in self.requests]
        ids += [stable_id(alias) for r in self.requests for alias in r.aliases]
        for chunk in _chunks(list(dict.fromkeys(ids))):
            self.taken.update(execute(_KNOWN_IDS, {"ids": chunk}).scalars())
        hashes = list(dict.fromkeys(r.article.content_hash for r in self.requests))
        live = _LIVE_HASHES_SQLITE if self.connection.dialect.name == "sqlite" else _LIVE_HASHES
        for part in _chunks(hashes):
            rows = execute(live, {"hashes": part})
            self.live_hashes.update((h, i) for h, i in rows if h is not None)
        keys = list(dict.fromkeys(k for some in self.keys for k in some))
        for some in _chunks(keys):
            for key, url_id in execute(_BANDS, {"keys": some}):
                self.bands.setdefault(key, []).append(url_id)
        candidates = list(dict.fromkeys(i for ids_ in self.bands.values() for i in ids_))
        for chunk in _chunks(candidates):
            for url_id, status, signature in execute(_SIGNATURES, {"ids": chunk}):
                if status in LIVE and signature:
                    self.signatures[url_id] = signature_parts(signature)

    def _near(self, parts: Sequence[str], keys: Sequence[int]) -> tuple[str, float] | None:
        candidates = dict.fromkeys(i for key in keys for i in self.bands.get(key, ()))
        best: tuple[str, float] | None = None
        for other_id in list(candidates)[:MAX_NEAR_CANDIDATES]:
            other = self.signatures.get(other_id)
            if other is None:
                continue
            score = parts_similarity(parts, other)
            if score >= NEAR_DUPLICATE_SIMILARITY and (best is None or score > best[1]):
                best = (other_id, score)
        return best

    def _row(self, url_id: str, url: str, source: str, status: str, **extra: object) -> None:
        self.taken.add(url_id)
        self.urls.append(
            {"id": url_id, "url": url, "source": source, "status": status, "article_id": None,
             "reason": None, "content_hash": None, "signature": None, "payload": None,
             "created_at": self.now, "updated_at": self.now, **extra}
        )  # fmt: skip

    def _decide(self, request: ClaimRequest, keys: Sequence[int]) -> Claim:
        article = request.article
        claim: Claim
        if article.id in self.taken:
            claim = Claim("duplicate_url", article.id)
        else:
            encoded = encode_signature(request.signature)
            parts = signature_parts(encoded)
            exact = self.live_hashes.get(article.content_hash)
            near = self._near(parts, keys) if exact is None else None
            if exact is not None:
                claim = Claim("duplicate_exact", exact, 1.0)
            elif near is not None:
                claim = Claim("duplicate_near", near[0], near[1])
            else:
                claim = Claim("claimed", article.id)
            if claim.kind == "claimed":
                self._row(article.id, article.url, article.source, "pending",
                          content_hash=article.content_hash, signature=encoded,
                          payload=article.model_dump_json())  # fmt: skip
                self.live_hashes[article.content_hash] = article.id
                self.signatures[article.id] = parts
                for key in dict.fromkeys(keys):
                    indexed = self.bands.setdefault(key, [])
                    if len(indexed) < BAND_CAP:
                        self.lsh.append({"band_key": key, "url_id": article.id})
                        indexed.append(article.id)
            else:
                self._row(article.id, article.url, article.source, "duplicate",
                          article_id=claim.other_id, reason=claim.kind)  # fmt: skip
        for alias in dict.fromkeys(request.aliases):
            alias_id = stable_id(alias)
            if alias_id not in self.taken:
                self._row(alias_id, alias, article.source, "alias", article_id=article.id)
        return claim


def forget_fingerprints(session: Session, before: datetime, limit: int) -> int:
    """Forget the near-duplicate fingerprints — signature and LSH band keys — of up to ``limit``
    articles claimed before ``before``; returns how many (a :data:`services.core.retention.Prune`).

    The index of band keys would otherwise grow by up to 16 rows an article for ever, and a copy
    of an article is published within days of it, not months.  The URL and the content hash stay:
    the same URL or the same text is still a duplicate however old.
    """
    connection = session.connection()
    rows = connection.execute(_FINGERPRINTED, {"before": before, "limit": limit}).all()
    keys = [
        {"key": key, "id": url_id}
        for url_id, signature in rows
        for key in dict.fromkeys(lsh_keys(decode_signature(signature)))
    ]
    if keys:  # none for a text too short to fill any band
        connection.execute(_UNBAND, keys)
    for chunk in _chunks([url_id for url_id, _ in rows]):
        connection.execute(_UNSIGN, {"ids": chunk})
    return len(rows)


def prune_parse_timeouts(session: Session, before: datetime, limit: int) -> int:
    """Drop up to ``limit`` counts of parse timeouts last seen before ``before``: of URLs no
    listing names any more, or settled by another crawler (a
    :data:`services.core.retention.Prune`)."""
    stale = session.scalars(
        select(TIMEOUTS.c.id).where(TIMEOUTS.c.last_at < before).limit(limit)
    ).all()
    if stale:
        session.execute(delete(TIMEOUTS).where(TIMEOUTS.c.id.in_(stale)))
    return len(stale)
