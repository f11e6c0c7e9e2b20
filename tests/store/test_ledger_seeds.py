"""The seed article through the real extractor: replaying ``seeds/`` twice changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from services.core.db import transaction
from services.core.models import ExtractionV1
from services.extractor.extract import extract_article
from services.extractor.version import EXTRACTOR_VERSION
from services.replay.sources import read_path
from services.store import queries
from services.store.directory import load_directory

from .ledger import LedgerHarness

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def seed_extractions(extracted_at: datetime) -> list[ExtractionV1]:
    articles = [record.article for record in read_path(SEEDS) if record.article is not None]
    assert articles, "the seed archive yields no article"
    return [
        ExtractionV1(article=article, extractor_version=EXTRACTOR_VERSION,
                     facts=tuple(extract_article(article)), extracted_at=extracted_at)
        for article in articles
    ]  # fmt: skip


def snapshot(ledger: LedgerHarness) -> tuple[object, ...]:
    rows = ledger.ledger()
    return (rows, ledger.changes(), [ledger.history(row.key) for row in rows], ledger.counts())


async def test_replaying_the_seeds_twice_leaves_ledger_and_change_log_unchanged(
    ledger: LedgerHarness,
) -> None:
    first = await ledger.deliver(*seed_extractions(datetime(2025, 11, 1, tzinfo=UTC)), replay="1")
    assert len(first) >= 8 and {c.kind for c in first} == {"new"}
    assert all(c.replay_id == "1" and not c.notify for c in first)
    before = snapshot(ledger)
    again = seed_extractions(datetime.now(UTC))
    assert await ledger.deliver(*again, replay="2", alerts=True) == []
    assert snapshot(ledger) == before


async def test_the_seed_ledger_shows_koreas_total_and_its_parts(ledger: LedgerHarness) -> None:
    await ledger.deliver(*seed_extractions(datetime(2025, 11, 1, tzinfo=UTC)))
    with transaction(ledger.factory) as session:
        [korea] = queries.totals(session, load_directory())
    assert (korea.subject.id, korea.counterparty.id, korea.total) == ("nvidia", "korea", 260_000)
    assert {p.subject.id for p in korea.parts} >= {"kr-government", "samsung-electronics"}
    assert korea.unallocated == korea.total - korea.allocated
