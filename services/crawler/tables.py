"""The crawler's durable state (tables prefixed ``crawler_``).

``crawler_urls`` is the "already seen" set and the publish-once guarantee: one row per canonical
URL id (primary key), plus a unique partial index on ``content_hash`` over live articles
(``pending``/``published``) so exact-duplicate text cannot be published twice either, even by
two instances racing.  Near-duplicates are found through ``crawler_lsh``: the MinHash LSH band
keys of live articles, indexed, so a lookup touches only candidates that share a band.  The
signatures and band keys of articles claimed longer ago than ``INFRALEDGER_RETENTION`` are
forgotten (``ix_crawler_urls_fingerprinted`` finds them); their URL and content hash stay.
``crawler_parse_timeouts`` counts the parses of a URL that ran past their deadline, until it
is parsed or given up.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from services.core.db import Base

LIVE = ("pending", "published")
LIVE_SQL = text("status IN ('pending', 'published')")
LIVE_CONTENT_INDEX = "ux_crawler_urls_live_content"
FINGERPRINTED_SQL = text("signature IS NOT NULL")
FINGERPRINTED_INDEX = "ix_crawler_urls_fingerprinted"


class CrawlerUrl(Base):
    __tablename__ = "crawler_urls"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    """``stable_id(canonical url)`` — for live articles, the ``ArticleV1.id``."""
    url: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    """pending | published | too_large | duplicate | alias | irrelevant | not_article"""
    article_id: Mapped[str | None] = mapped_column(String(32), default=None)
    """For ``duplicate``/``alias`` rows: the live article this URL resolves to."""
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    content_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    signature: Mapped[str | None] = mapped_column(Text, default=None)
    """MinHash signature (comma-separated hex) of live articles, until the retention forgets
    it (:func:`services.crawler.state.forget_fingerprints`)."""
    payload: Mapped[str | None] = mapped_column(Text, default=None)
    """The ``ArticleV1`` JSON, so a pending article can be re-published after a crash."""
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        Index(
            LIVE_CONTENT_INDEX,
            "content_hash",
            unique=True,
            sqlite_where=LIVE_SQL,
            postgresql_where=LIVE_SQL,
        ),
        Index("ix_crawler_urls_status_id", "status", "id"),  # pending claims by page
        Index(
            FINGERPRINTED_INDEX,
            "created_at",
            sqlite_where=FINGERPRINTED_SQL,
            postgresql_where=FINGERPRINTED_SQL,
        ),
    )


class CrawlerLsh(Base):
    """MinHash LSH band keys of the live articles claimed within ``INFRALEDGER_RETENTION``
    (near-duplicate candidates by key equality)."""

    __tablename__ = "crawler_lsh"

    band_key: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    url_id: Mapped[str] = mapped_column(String(32), primary_key=True)


class CrawlerParseTimeout(Base):
    """A URL whose parse ran past its deadline, not yet parsed nor given up: how many times."""

    __tablename__ = "crawler_parse_timeouts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    """``stable_id(canonical url)``, as in ``crawler_urls``."""
    url: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer)
    last_at: Mapped[datetime]


class CrawlerValidator(Base):
    """Conditional-GET validators and the last body hash of a feed or sitemap."""

    __tablename__ = "crawler_validators"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(Text, default=None)
    last_modified: Mapped[str | None] = mapped_column(Text, default=None)
    body_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    checked_at: Mapped[datetime]


class CrawlerSource(Base):
    """Per-source schedule and failure backoff."""

    __tablename__ = "crawler_sources"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    next_poll_at: Mapped[datetime]
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    last_success_at: Mapped[datetime | None] = mapped_column(default=None)
    last_poll_at: Mapped[datetime | None] = mapped_column(default=None)
    last_article_at: Mapped[datetime | None] = mapped_column(default=None)
    """The end of the last poll that published a new article of this source."""
