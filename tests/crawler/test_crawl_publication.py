"""Publishing claims to ``articles.v1`` once — when a republish and a poll meet, when the database
fails after the broker acknowledged — on SQLite and PostgreSQL (the bus is in memory: what is
under test is the crawler's bookkeeping)."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import timedelta

import pytest
from sqlalchemy import Engine, update
from sqlalchemy.exc import OperationalError

from services.core.bus import MAX_MESSAGE_BYTES, MemoryBus, Outgoing
from services.core.db import utcnow
from services.core.models import ArticleV1
from services.core.topics import Topics
from services.crawler import publication as publication_module
from services.crawler.fingerprint import minhash
from services.crawler.publication import Outcome, Publication
from services.crawler.state import URLS, CrawlState

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


class ReadingState(CrawlState):
    """Says when a republish has read the pending claims, and which pages it read."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.read = threading.Event()
        self.reads: list[tuple[str, int | None]] = []

    def pending(self, after: str = "", limit: int | None = None) -> list[ArticleV1]:
        self.reads.append((after, limit))
        found = super().pending(after, limit)
        self.read.set()
        return found


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
    assert await publication.republish_pending() == Outcome(3)  # read while the poll claimed
    assert await publication.publish(articles) == Outcome(0)  # the poll's own publish, after
    assert sent(bus) == Counter({a.id: 1 for a in articles})
    assert state.pending() == []


async def test_a_republish_after_its_poll_published_sends_nothing(engine: Engine) -> None:
    state, bus = CrawlState(engine), MemoryBus()
    publication = Publication(bus, state, TOPICS)
    articles = claimed(state, 3)
    assert await publication.publish(articles) == Outcome(3)
    assert await publication.republish_pending() == Outcome(0)
    assert sent(bus) == Counter({a.id: 1 for a in articles})


@pytest.mark.parametrize("first", ["republish", "poll"])
async def test_whichever_of_a_republish_and_a_poll_sends_first_the_other_finds_nothing(
    engine: Engine, first: str
) -> None:
    state, bus = ReadingState(engine), GatedBus()
    publication = Publication(bus, state, TOPICS)
    articles = claimed(state, 3)
    republish, poll = publication.republish_pending, lambda: publication.publish(articles)
    leader = asyncio.create_task(republish() if first == "republish" else poll())
    await bus.inside.wait()  # the first is inside the broker, holding the lock
    if first == "republish":
        follower = asyncio.create_task(poll())
        await asyncio.sleep(0.05)  # the poll waits for the lock
    else:
        follower = asyncio.create_task(republish())
        await asyncio.to_thread(state.read.wait, 10)  # it read them pending; waits for the lock
    bus.gate.set()
    assert (await leader, await follower) == (Outcome(3), Outcome(0))
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
    assert await Publication(bus, state, TOPICS).republish_pending() == Outcome(2)
    assert sent(bus) == Counter({a.id: 1 for a in articles})


class MarkFailingOnce(CrawlState):
    """The database goes away once, just after the broker acknowledged a batch."""

    failed = False

    def mark_published(self, article_ids: Iterable[str]) -> None:
        if not self.failed:
            self.failed = True
            raise OperationalError("UPDATE crawler_urls", None, ConnectionError("server closed"))
        super().mark_published(article_ids)


async def test_a_batch_sent_but_not_marked_counts_as_published_and_is_never_sent_again(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    state, bus = MarkFailingOnce(engine), MemoryBus()
    publication = Publication(bus, state, TOPICS)
    articles = claimed(state, 2)
    assert await publication.publish(articles) == Outcome(2)  # the broker has them
    assert "marking 2 published articles failed" in caplog.text
    assert {a.id for a in state.pending()} == {a.id for a in articles}  # not marked yet
    assert await publication.republish_pending() == Outcome(0)  # marks them, then finds none
    assert state.pending() == []
    assert sent(bus) == Counter({a.id: 1 for a in articles})


async def test_a_backlog_of_pending_claims_is_republished_in_batches(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(publication_module, "REPUBLISH_BATCH", 2)
    state, bus = ReadingState(engine), GatedBus()
    bus.gate.set()
    articles = claimed(state, 5)
    assert await Publication(bus, state, TOPICS).republish_pending() == Outcome(5)
    assert sent(bus) == Counter({a.id: 1 for a in articles}) and bus.batches == 3
    ids = sorted(a.id for a in articles)
    assert state.reads == [("", 2), (ids[1], 2), (ids[3], 2), (ids[4], 2)]  # pages, by id


async def test_an_article_too_large_for_the_broker_is_set_aside_and_the_others_go_out(
    engine: Engine,
) -> None:
    state, bus = CrawlState(engine), MemoryBus()
    (fine,) = claimed(state, 1)
    giant_url = "https://n.example/" + "a" * MAX_MESSAGE_BYTES  # a hostile canonical link
    giant = article(giant_url, distinct_words("giant"))
    assert state.claim(giant, minhash(giant.text)).kind == "claimed"
    publication = Publication(bus, state, TOPICS)
    assert await publication.publish([giant, fine]) == Outcome(published=1, too_large=1)
    assert sent(bus) == Counter({fine.id: 1})
    assert state.pending() == [] and state.status_of(giant_url) == "too_large"
    assert await publication.republish_pending() == Outcome()


class SetAsideFailingOnce(CrawlState):
    """The database goes away once, as an article the broker refused is set aside."""

    failed = False

    def set_aside(self, article_ids: Sequence[str], status: str) -> None:
        if not self.failed:
            self.failed = True
            raise OperationalError("UPDATE crawler_urls", None, ConnectionError("server closed"))
        super().set_aside(article_ids, status)


async def test_an_article_not_set_aside_for_a_database_failure_is_set_aside_by_a_republish(
    engine: Engine,
) -> None:
    state, bus = SetAsideFailingOnce(engine), MemoryBus()
    (fine,) = claimed(state, 1)
    giant = article("https://n.example/" + "a" * MAX_MESSAGE_BYTES, distinct_words("giant"))
    assert state.claim(giant, minhash(giant.text)).kind == "claimed"
    publication = Publication(bus, state, TOPICS)
    assert await publication.publish([giant, fine]) == Outcome(published=1, too_large=0)
    assert [a.id for a in state.pending()] == [giant.id]  # the other is marked all the same
    assert await publication.republish_pending() == Outcome(published=0, too_large=1)
    assert state.pending() == [] and sent(bus) == Counter({fine.id: 1})


def test_pending_claims_are_read_by_id_a_page_at_a_time_leaving_out_rows_without_a_message(
    engine: Engine,
) -> None:
    state = CrawlState(engine)
    ids = sorted(a.id for a in claimed(state, 5))
    with engine.begin() as connection:  # a row without its message, as no writer leaves one
        connection.execute(update(URLS).where(URLS.c.id == ids[2]).values(payload=""))
    first = [a.id for a in state.pending("", 2)]
    state.mark_published([ids[3]])  # by a poll, between the pages
    assert first == ids[:2] and [a.id for a in state.pending(first[-1], 2)] == [ids[4]]
    assert state.pending(ids[4], 2) == []


async def test_an_article_its_topic_refuses_as_too_large_is_set_aside_and_the_others_go_out(
    engine: Engine,
) -> None:
    state, bus = CrawlState(engine), MemoryBus(max_message_bytes=4096)  # a topic made elsewhere
    fine = claimed(state, 2)
    long = article("https://n.example/long", " ".join(distinct_words(f"l{i}") for i in range(3)))
    assert state.claim(long, minhash(long.text)).kind == "claimed"
    outcome = await Publication(bus, state, TOPICS).publish([fine[0], long, fine[1]])
    assert outcome == Outcome(published=2, too_large=1)
    assert sent(bus) == Counter({a.id: 1 for a in fine})
    assert state.pending() == [] and state.status_of(long.url) == "too_large"


async def test_a_mark_owed_at_the_stop_is_made_before_the_crawler_goes(engine: Engine) -> None:
    state, bus = MarkFailingOnce(engine), MemoryBus()
    publication = Publication(bus, state, TOPICS)
    articles = claimed(state, 2)
    await publication.publish(articles)  # acknowledged, not marked
    await publication.close()
    assert state.pending() == [] and sent(bus) == Counter({a.id: 1 for a in articles})


def test_count_pending_counts_the_claims_made_before_a_time_not_yet_published(
    engine: Engine,
) -> None:
    state = CrawlState(engine)
    first, _, third, fourth = claimed(state, 4)
    state.mark_published([first.id])
    state.set_aside([third.id], "too_large")
    with engine.begin() as connection:  # a row without its message, as no writer leaves one
        connection.execute(update(URLS).where(URLS.c.id == fourth.id).values(payload=None))
    assert state.count_pending(utcnow() + timedelta(seconds=1)) == 1
    assert state.count_pending(utcnow() - timedelta(minutes=1)) == 0  # claimed just now


def test_still_pending_names_the_claims_not_yet_published(engine: Engine) -> None:
    state = CrawlState(engine)
    first, second = claimed(state, 2)
    state.mark_published([first.id])
    assert state.still_pending([first.id, second.id, "0" * 32]) == {second.id}
    assert state.still_pending([]) == set()
