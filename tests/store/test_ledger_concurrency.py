"""Two store instances writing the same commitment at once: the ledger is as if one had."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta

from services.core.bus import BatchHandler, Message
from services.core.db import make_engine, session_factory
from services.core.errors import RetryableError
from services.core.migrate import upgrade
from services.core.models import stable_id
from services.store.commitments import Seen
from services.store.diff import derive_history
from services.store.service import make_handler

from .builders import OCT_30, article, extraction, fact, message
from .ledger import TOPICS, LedgerHarness

KEY = "gpu_commitment|samsung-electronics|nvidia|gpu|-"


async def consume(handler: BatchHandler, messages: Sequence[Message]) -> None:
    """What the consumer loop does: one message at a time, retried while retryable."""
    for item in messages:
        while True:
            try:
                await handler([item])
                break
            except RetryableError:
                await asyncio.sleep(0.01)


async def test_two_instances_on_one_key_serialise(db_url: str) -> None:
    extractions = [
        extraction(article(f"n{i}", OCT_30 + timedelta(days=i % 9, hours=i), source=f"s{i % 4}"),
                   fact(50_000 + 1_000 * (i % 5)))
        for i in range(24)
    ]  # fmt: skip
    upgrade(db_url)
    engines = [make_engine(db_url) for _ in range(2)]
    try:
        factories = [session_factory(engine) for engine in engines]
        await asyncio.gather(*(
            consume(make_handler(factory, TOPICS), [
                message(e, offset, partition=part, topic=TOPICS.facts)
                for offset, e in enumerate(extractions[part::2])
            ])
            for part, factory in enumerate(factories)
        ))  # fmt: skip
        observations = [
            Seen.in_article(stable_id(e.article.id, e.extractor_version, "0"), e.facts[0],
                            e.article).observation
            for e in extractions
        ]  # fmt: skip
        expected = derive_history(KEY, observations)
        ledger = LedgerHarness(factories[0])
        assert [v.id for v in ledger.history(KEY)] == [v.id for v in expected]
        [row] = ledger.ledger()
        assert row.state == expected[-1].after and row.versions == len(expected)
    finally:
        for engine in engines:
            engine.dispose()
