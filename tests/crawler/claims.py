"""Articles as the crawler claims them, for the tests of its state and publication."""

from __future__ import annotations

from datetime import UTC, datetime

from services.core.models import ArticleV1, stable_id
from services.crawler.fingerprint import content_hash


def article(url: str, text: str) -> ArticleV1:
    return ArticleV1(
        id=stable_id(url),
        url=url,
        source="s",
        lang="ko",
        title="t",
        fetched_at=datetime.now(UTC),
        text=text,
        content_hash=content_hash(text),
    )


def distinct_words(topic: str) -> str:
    """A text of 300 words, none another topic's: unlike any other such text."""
    return " ".join(stable_id(f"{topic} {n}")[:8] for n in range(300))
