"""The dashboard's test data: the seed archive and a follow-up article that raises a commitment."""

from __future__ import annotations

import hashlib
import itertools
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from services.core.bus import Message
from services.core.models import ArticleV1, ExtractionV1, stable_id
from services.core.topics import Topics
from services.extractor.extract import extract_article
from services.extractor.version import EXTRACTOR_VERSION
from services.replay.sources import read_path
from services.store.service import make_handler

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
SAMSUNG_GPUS = "gpu_commitment|samsung-electronics|nvidia|gpu|-"
_offsets = itertools.count()
FOLLOW_UP_TEXT = "삼성전자는 엔비디아 GPU 도입 규모를 6만개로 늘리기로 했다."


def seed_articles() -> list[ArticleV1]:
    articles = [r.article for r in read_path(SEEDS) if r.article is not None]
    assert articles, "the seed archive yields no article"
    return articles


def follow_up_article(
    published_at: datetime = datetime(2026, 1, 15, 9, 0, tzinfo=UTC),
) -> ArticleV1:
    """A later article: Samsung raises its NVIDIA GPU commitment from 50,000 to 60,000."""
    url = "https://news.example.kr/article/follow-up-samsung-60000"
    return ArticleV1(
        id=stable_id(url),
        url=url,
        source="example-news",
        lang="ko",
        title="삼성전자, 엔비디아 GPU 6만개로 확대",
        published_at=published_at,
        fetched_at=published_at,
        text=FOLLOW_UP_TEXT,
        content_hash=hashlib.sha256(FOLLOW_UP_TEXT.encode("utf-8")).hexdigest(),
    )


async def store(factory: sessionmaker[Session], *articles: ArticleV1) -> None:
    """Extract ``articles`` with the real extractor and apply them as the store's consumer does."""
    topics = Topics("dashboard-test.")
    extracted_at = datetime(2025, 12, 1, tzinfo=UTC)
    messages = [
        Message(
            topics.facts,
            0,
            next(_offsets),
            article.id.encode(),
            ExtractionV1(
                article=article,
                extractor_version=EXTRACTOR_VERSION,
                facts=tuple(extract_article(article)),
                extracted_at=extracted_at,
            )
            .model_dump_json()
            .encode(),
        )
        for article in articles
    ]
    await make_handler(factory, topics)(messages)
