"""Small builders of ``facts.v1`` messages and a ledger on a real database, for compute tests."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from services.compute.ledger_rows import LedgerVersion, read_versions
from services.core.db import transaction
from services.core.models import (
    ArticleV1,
    Entity,
    Evidence,
    ExtractionV1,
    ExtractorRef,
    FactType,
    FactV1,
    Qualifier,
    Quantity,
    Status,
    stable_id,
)
from services.extractor.extract import extract_article
from services.extractor.version import EXTRACTOR_VERSION
from services.replay.sources import read_path
from services.store.repository import Incoming, Position, apply_batch

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
NAMES = {
    "nvidia": "NVIDIA",
    "samsung-electronics": "Samsung Electronics",
    "korea": "South Korea",
    "xai": "xAI",
    "openai": "OpenAI",
}


def party(org_id: str) -> Entity:
    name = NAMES.get(org_id, org_id)
    return Entity(id=org_id, name=name, mention=name)


def gpu_fact(
    value: float | None,
    *,
    unit: str = "gpu",
    model: str | None = None,
    subject: str = "samsung-electronics",
    counterparty: str | None = "nvidia",
    type: FactType = "gpu_commitment",
    qualifier: Qualifier = "exact",
    status: Status = "announced",
    sentence: str = "Samsung will deploy NVIDIA GPUs.",
    scope: str | None = None,
) -> FactV1:
    return FactV1(
        type=type,
        subject=party(subject),
        counterparty=party(counterparty) if counterparty else None,
        quantity=Quantity(value=value, unit=unit, qualifier=qualifier, text=f"{value} {unit}"),
        gpu_model=model,
        scope=scope,
        status=status,
        evidence=Evidence(sentence=sentence, start=0, end=len(sentence)),
        extractor=ExtractorRef(version="1.0.0", rule="test"),
    )


def news(slug: str, published_at: datetime, *facts: FactV1) -> ExtractionV1:
    url = f"https://news.example/{slug}"
    article = ArticleV1(
        id=stable_id(url),
        url=url,
        source="example",
        lang="en",
        title=f"Title of {slug}",
        published_at=published_at,
        fetched_at=published_at + timedelta(hours=1),
        text=f"article {slug}",
        content_hash=stable_id(slug) * 2,
    )
    return ExtractionV1(
        article=article,
        extractor_version="1.0.0",
        facts=facts,
        extracted_at=published_at + timedelta(hours=2),
    )


def seed_extractions() -> list[ExtractionV1]:
    """The seed archive through the real extractor, as the pipeline would publish it."""
    articles = [r.article for r in read_path(SEEDS) if r.article is not None]
    return [
        ExtractionV1(
            article=a,
            extractor_version=EXTRACTOR_VERSION,
            facts=tuple(extract_article(a)),
            extracted_at=datetime(2025, 11, 1, tzinfo=UTC),
        )
        for a in articles
    ]


@dataclass
class Ledger:
    """A store on a real database, fed the way the consumer feeds it."""

    factory: sessionmaker[Session]
    _offsets: itertools.count[int]

    def record(self, *extractions: ExtractionV1) -> None:
        batch = [
            Incoming(Position("facts.v1", 0, next(self._offsets)), extraction)
            for extraction in extractions
        ]
        with transaction(self.factory) as session:
            apply_batch(session, batch, topic="ledger.changes.v1")

    def versions(self) -> list[LedgerVersion]:
        with transaction(self.factory) as session:
            return read_versions(session)
