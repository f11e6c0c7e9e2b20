"""Two store instances writing the same commitment at once: the ledger is as if one had."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta

from services.core.bus import BatchHandler, Message
from services.core.db import make_engine, session_factory, transaction
from services.core.errors import RetryableError
from services.core.migrate import upgrade
from services.core.models import stable_id
from services.store.commitments import Seen
from services.store.diff import derive_history
from services.store.repository import apply_batch
from services.store.service import make_handler, parse

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


async def test_change_log_numbers_follow_the_order_of_the_commits(pg_url: str) -> None:
    """PostgreSQL numbers rows at insert: were two instances to number their changes at once,
    the one committing second could hold the lower numbers, and a reader following the log by
    number would already have moved past them.  The second instance waits for the first."""
    upgrade(pg_url)
    engine = make_engine(pg_url)
    try:
        factory = session_factory(engine)
        first, second = (
            parse(message(extraction(article(name), fact(1, subject=org)), 0, partition=part,
                          topic=TOPICS.facts))
            for part, (name, org) in enumerate((("a", "samsung-electronics"),
                                                ("b", "hyundai-motor-group")))
        )  # fmt: skip
        slow = factory()
        apply_batch(slow, [first], topic=TOPICS.changes)  # numbered its change, not committed

        def other() -> None:
            with transaction(factory) as session:
                apply_batch(session, [second], topic=TOPICS.changes)

        waiting = asyncio.create_task(asyncio.to_thread(other))
        await asyncio.sleep(0.5)
        assert not waiting.done()  # it waits for the change log
        slow.commit()
        slow.close()
        await asyncio.wait_for(waiting, 10)

        changes = LedgerHarness(factory).changes()
        assert [c.evidence.article_id for c in changes] == [
            first.extraction.article.id,
            second.extraction.article.id,
        ]
    finally:
        engine.dispose()
