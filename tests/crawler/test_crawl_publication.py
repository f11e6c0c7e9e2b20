"""Publishing claims to ``articles.v1`` once, when a republish and a poll meet, on SQLite and
PostgreSQL (the bus is in memory: what is under test is the crawler's bookkeeping)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence

import pytest
from sqlalchemy import Engine

from services.core.bus import MemoryBus, Outgoing
from services.core.models import ArticleV1
from services.core.topics import Topics
from services.crawler.fingerprint import minhash
from services.crawler.publication import Publication
from services.crawler.state import CrawlState

from .claims import article, distinct_words

TOPICS = Topics("t")


class YieldingBus(MemoryBus):
    """A bus that lets the event loop run other tasks while it sends, as a broker's does."""

    async def publish_many(self, messages: Sequence[Outgoing]) -> None:
        await asyncio.sleep(0)
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
    return Counter(m.key.decode() for m in bus.topics[TOPICS.articles])


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


@pytest.mark.parametrize("republish_first", [True, False])
async def test_polls_and_republishes_at_the_same_time_send_each_claim_once(
    engine: Engine, republish_first: bool
) -> None:
    state, bus = CrawlState(engine), YieldingBus()
    publication = Publication(bus, state, TOPICS)
    articles = claimed(state, 12)
    polls = [publication.publish(articles[i : i + 4]) for i in range(0, 12, 4)]
    republishes = [publication.republish_pending() for _ in range(3)]
    runs = [*republishes, *polls] if republish_first else [*polls, *republishes]
    assert sum(await asyncio.gather(*runs)) == 12
    assert sent(bus) == Counter({a.id: 1 for a in articles})
    assert state.pending() == []


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


def test_still_pending_names_the_claims_not_yet_published(engine: Engine) -> None:
    state = CrawlState(engine)
    first, second = claimed(state, 2)
    state.mark_published([first.id])
    assert state.still_pending([first.id, second.id, "0" * 32]) == {second.id}
    assert state.still_pending([]) == set()
