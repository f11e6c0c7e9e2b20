"""Stored articles as replay records (``infraledger replay stored``), e.g. to re-extract them
with a newer extractor: the store replaces an article's facts only for a newer version."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import select, tuple_

from services.core.migrate import migrated
from services.replay.sources import ReplayRecord
from services.store.queries import article_message
from services.store.repository import version_order
from services.store.tables import StoreArticle

PAGE = 500


def stored_records(
    database_url: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    source: str | None = None,
    extractor_version_below: str | None = None,
) -> Iterator[ReplayRecord]:
    """Stored articles in publication order, filtered, read page by page (keyset)."""
    statement = select(StoreArticle).order_by(StoreArticle.effective_at, StoreArticle.id)
    if since is not None:
        statement = statement.where(StoreArticle.effective_at >= since)
    if until is not None:
        statement = statement.where(StoreArticle.effective_at < until)
    if source is not None:
        statement = statement.where(StoreArticle.source == source)
    below = version_order(extractor_version_below) if extractor_version_below else None
    with migrated(database_url) as factory:
        page = statement
        while True:
            with factory() as session:
                rows = list(session.scalars(page.limit(PAGE)))
            if not rows:
                return
            last = rows[-1]
            page = statement.where(
                tuple_(StoreArticle.effective_at, StoreArticle.id) > (last.effective_at, last.id)
            )
            for row in rows:
                if below is not None and version_order(row.extractor_version) >= below:
                    continue
                yield ReplayRecord(f"stored:{row.id}", article=article_message(row))
