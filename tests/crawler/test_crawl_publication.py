"""Publishing claims to ``articles.v1`` once — when a republish and a poll meet, when the database
fails after the broker acknowledged — on SQLite and PostgreSQL (the bus is in memory: what is
under test is the crawler's bookkeeping)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterable, Sequence

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from services.core.bus import MemoryBus, Outgoing
from services.core.models import ArticleV1
from services.core.topics import Topics
from services.crawler import publication as publication_module
from services.crawler.fingerprint import minhash
from services.crawler.publication import Publication
from services.crawler.state import CrawlState

from .claims import article, distinct_words

TOPICS = Topics("t")


class GatedBus(MemoryBus):
    """A bus whose sends wait at a gate: a test holds one publish inside the broker."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = asyncio.Event()
        self.gate = asyncio.Event()
        self.batches = 0

    async def publish_many(self, messages: Sequence[Outgoing]) -> None:
        self.batches += 1
        self.inside.set()
        await self.gate.wait()
        await super().publish_many(messages)


class FailingBus(MemoryBus):
    async def publish_many(self, messages: Sequence[Outgoing]) -> None:
        raise ConnectionError("broker down")


def claimed(state: CrawlState, count: int) -> list[ArticleV1]:
    """``count`` articles claimed (pending) as a poll claims them before it publishes."""
    articles = [article(f"https://n.example/p/{i}", distinct_words(f"p{i}")) for i in range(count)]
    for a in articles:
        assert state.claim(a, minhash(a.text)).kind == "claimed"
    return articles


def sent(bus: MemoryBus) -> Counter[str]:
    return Counter(m.key_text for m in bus.topics[TOPICS.articles])


async def test_a_claim_a_republish_sent_first_is_not_sent_again_by_its_poll(
    engine: Engine,
) -> None:
    state, bus = CrawlState(engine), MemoryBus()
    publication = Publication(bus, state, TOPICS)
    articles = claimed(state, 3)
    assert await publication.republish_pending() == 3  # read while the poll was claiming
    assert await publication.publish(articles) == 0  # the poll's own publish comes after
    assert sent(bus) == Counter({a.id: 1 for a in articles})
    assert state.pending() == []


async def test_a_republish_after_its_poll_published_sends_nothing(engine: Engine) -> None:
    state, bus = CrawlState(engine), MemoryBus()
    publication = Publication(bus, state, TOPICS)
    articles = claimed(state, 3)
    assert await publication.publish(articles) == 3
    assert await publication.republish_pending() == 0
    assert sent(bus) == Counter({a.id: 1 for a in articles})


async def test_a_poll_waiting_while_a_republish_sends_its_claims_sends_nothing(
    engine: Engine,
) -> None:
    state, bus = CrawlState(engine), GatedBus()
    publication = Publication(bus, state, TOPICS)
    articles = claimed(state, 3)
    republish = asyncio.create_task(publication.republish_pending())
    await bus.inside.wait()  # the republish is inside the broker, holding the lock
    poll = asyncio.create_task(publication.publish(articles))
    await asyncio.sleep(0.05)
    bus.gate.set()
    assert (await republish, await poll) == (3, 0)
    assert sent(bus) == Counter({a.id: 1 for a in articles}) and bus.batches == 1


async def test_a_republish_waiting_while_a_poll_sends_its_claims_sends_nothing(
    engine: Engine,
) -> None:
    state, bus = CrawlState(engine), GatedBus()
    publication = Publication(bus, state, TOPICS)
    articles = claimed(state, 3)
    poll = asyncio.create_task(publication.publish(articles))
    await bus.inside.wait()
    republish = asyncio.create_task(publication.republish_pending())  # reads them pending
    await asyncio.sleep(0.05)
    bus.gate.set()
    assert (await poll, await republish) == (3, 0)
    assert sent(bus) == Counter({a.id: 1 for a in articles}) and bus.batches == 1


async def test_a_failed_publish_leaves_its_claims_pending_for_the_next_republish(
    engine: Engine,
) -> None:
    state = CrawlState(engine)
    articles = claimed(state, 2)
    with pytest.raises(ConnectionError):
        await Publication(FailingBus(), state, TOPICS).publish(articles)
    assert {a.id for a in state.pending()} == {a.id for a in articles}
    bus = MemoryBus()
    assert await Publication(bus, state, TOPICS).republish_pending() == 2
    assert sent(bus) == Counter({a.id: 1 for a in articles})


class MarkFailingOnce(CrawlState):
    """The database goes away once, just after the broker acknowledged a batch."""

    failed = False

    def mark_published(self, article_ids: Iterable[str]) -> None:
        if not self.failed:
            self.failed = True
            raise OperationalError("UPDATE crawler_urls", None, ConnectionError("server closed"))
        super().mark_published(article_ids)


async def test_a_batch_sent_but_not_marked_is_marked_later_and_never_sent_again(
    engine: Engine,
) -> None:
    state, bus = MarkFailingOnce(engine), MemoryBus()
    publication = Publication(bus, state, TOPICS)
    articles = claimed(state, 2)
    with pytest.raises(OperationalError):
        await publication.publish(articles)
    assert {a.id for a in state.pending()} == {a.id for a in articles}  # not marked yet
    assert await publication.republish_pending() == 0  # marks them first, then finds none
    assert state.pending() == []
    assert sent(bus) == Counter({a.id: 1 for a in articles})


async def test_a_backlog_of_pending_claims_is_republished_in_batches(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(publication_module, "REPUBLISH_BATCH", 2)
    state, bus = CrawlState(engine), GatedBus()
    bus.gate.set()
    articles = claimed(state, 5)
    assert await Publication(bus, state, TOPICS).republish_pending() == 5
    assert sent(bus) == Counter({a.id: 1 for a in articles}) and bus.batches == 3


def test_still_pending_names_the_claims_not_yet_published(engine: Engine) -> None:
    state = CrawlState(engine)
    first, second = claimed(state, 2)
    state.mark_published([first.id])
    assert state.still_pending([first.id, second.id, "0" * 32]) == {second.id}
    assert state.still_pending([]) == set()
