"""Repository over the crawler tables (synchronous; the crawler calls it via ``to_thread``).

Publish-once protocol:

1. :meth:`CrawlState.claim` — in one transaction, reject the article if its canonical URL id is
   known (primary key), its text hash belongs to a live article (unique partial index) or its
   MinHash signature is similar enough to one's (LSH band lookup); otherwise insert the row
   as ``pending`` with the full ``ArticleV1`` JSON.  Two instances racing on the same URL or
   text: one insert wins, the other gets an integrity error and reports a duplicate.
2. publish to Kafka and wait for the acknowledgement;
3. :meth:`CrawlState.mark_published`.

A crash between 1 and 3 leaves the row ``pending``; :meth:`CrawlState.pending` returns those
articles and the crawler re-publishes them at start-up.  So every article is published **at
least once and, apart from that crash window, exactly once**; a re-publish carries the same
article id and key, and downstream consumers are idempotent by article id.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from services.core.db import session_factory, transaction, utcnow
from services.core.models import ArticleV1, stable_id
from services.crawler.fingerprint import (
    NEAR_DUPLICATE_SIMILARITY,
    decode_signature,
    encode_signature,
    lsh_keys,
    similarity,
)
from services.crawler.tables import LIVE, CrawlerLsh, CrawlerSource, CrawlerUrl, CrawlerValidator

ClaimKind = Literal["claimed", "duplicate_url", "duplicate_exact", "duplicate_near"]


@dataclass(frozen=True)
class Claim:
    kind: ClaimKind
    other_id: str | None = None
    similarity: float | None = None


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


class CrawlState:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._factory: sessionmaker[Session] = session_factory(engine)

    # ------------------------------------------------------------------ seen URLs

    def known(self, url_ids: Iterable[str]) -> set[str]:
        ids = list(dict.fromkeys(url_ids))
        found: set[str] = set()
        with transaction(self._factory) as session:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                found.update(session.scalars(select(CrawlerUrl.id).where(CrawlerUrl.id.in_(chunk))))
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
        now = utcnow()
        try:
            with transaction(self._factory) as session:
                session.add(
                    CrawlerUrl(
                        id=stable_id(url),
                        url=url,
                        source=source,
                        status=status,
                        article_id=article_id,
                        reason=reason,
                        created_at=now,
                        updated_at=now,
                    )
                )
        except IntegrityError:
            return False
        return True

    def _near(self, session: Session, signature: tuple[int, ...]) -> tuple[str, float] | None:
        candidates = (
            select(CrawlerLsh.url_id)
            .where(CrawlerLsh.band_key.in_(lsh_keys(signature)))
            .distinct()
            .limit(1000)
            .scalar_subquery()
        )
        rows = session.execute(
            select(CrawlerUrl.id, CrawlerUrl.signature)
            .where(CrawlerUrl.id.in_(candidates))
            .where(CrawlerUrl.status.in_(LIVE))
        )
        best: tuple[str, float] | None = None
        for other_id, other in rows:
            if not other:
                continue
            score = similarity(decode_signature(other), signature)
            if score >= NEAR_DUPLICATE_SIMILARITY and (best is None or score > best[1]):
                best = (other_id, score)
        return best

    def claim(
        self, article: ArticleV1, signature: tuple[int, ...], aliases: Sequence[str] = ()
    ) -> Claim:
        """Reserve ``article`` for publishing (status ``pending``) unless it is a duplicate.

        ``aliases`` are other URLs of the same page (the fetched URL when the canonical one
        differs); they are recorded so they are not fetched again.
        """
        now = utcnow()
        try:
            with transaction(self._factory) as session:
                if session.get(CrawlerUrl, article.id) is not None:
                    self._aliases(session, article, aliases, now)
                    return Claim("duplicate_url", article.id)
                exact = session.scalar(
                    select(CrawlerUrl.id)
                    .where(CrawlerUrl.status.in_(LIVE))
                    .where(CrawlerUrl.content_hash == article.content_hash)
                )
                kind: ClaimKind
                score: float | None = None
                if exact is not None:
                    kind, other, score = "duplicate_exact", exact, 1.0
                else:
                    near = self._near(session, signature)
                    if near is not None:
                        kind, other, score = "duplicate_near", near[0], near[1]
                    else:
                        kind, other = "claimed", article.id
                if kind == "claimed":
                    session.add(
                        CrawlerUrl(
                            id=article.id,
                            url=article.url,
                            source=article.source,
                            status="pending",
                            content_hash=article.content_hash,
                            signature=encode_signature(signature),
                            payload=article.model_dump_json(),
                            created_at=now,
                            updated_at=now,
                        )
                    )
                    session.add_all(
                        CrawlerLsh(band_key=key, url_id=article.id)
                        for key in dict.fromkeys(lsh_keys(signature))
                    )
                else:
                    session.add(
                        CrawlerUrl(
                            id=article.id,
                            url=article.url,
                            source=article.source,
                            status="duplicate",
                            article_id=other,
                            reason=kind,
                            created_at=now,
                            updated_at=now,
                        )
                    )
                session.flush()
                self._aliases(session, article, aliases, now)
                return Claim(kind, other, score)
        except IntegrityError:
            # Another instance claimed the same URL or text between our check and insert.
            return Claim("duplicate_url", article.id)

    @staticmethod
    def _aliases(
        session: Session, article: ArticleV1, aliases: Sequence[str], now: datetime
    ) -> None:
        for alias in dict.fromkeys(aliases):
            alias_id = stable_id(alias)
            if alias_id == article.id or session.get(CrawlerUrl, alias_id) is not None:
                continue
            session.add(
                CrawlerUrl(
                    id=alias_id,
                    url=alias,
                    source=article.source,
                    status="alias",
                    article_id=article.id,
                    created_at=now,
                    updated_at=now,
                )
            )
        session.flush()

    def mark_published(self, article_ids: Iterable[str]) -> None:
        ids = list(article_ids)
        if not ids:
            return
        with transaction(self._factory) as session:
            session.execute(
                update(CrawlerUrl)
                .where(CrawlerUrl.id.in_(ids))
                .where(CrawlerUrl.status == "pending")
                .values(status="published", updated_at=utcnow())
            )

    def pending(self) -> list[ArticleV1]:
        """Claimed but not acknowledged articles (a crash happened): publish them again."""
        with transaction(self._factory) as session:
            payloads = session.scalars(
                select(CrawlerUrl.payload).where(CrawlerUrl.status == "pending")
            ).all()
        return [ArticleV1.model_validate_json(p) for p in payloads if p]

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
            return SourceState(row.name, row.next_poll_at, row.failures, row.last_error)

    def save_source(
        self, name: str, next_poll_at: datetime, failures: int, error: str | None
    ) -> None:
        now = utcnow()
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
