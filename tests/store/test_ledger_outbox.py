"""The outbox relay: publishes what the handler recorded, in order, survives a broker outage and
sets aside a change the broker refuses as too large; the rows it published go once older than
the retention."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from functools import partial

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from services.core.bus import MemoryBus, Outgoing
from services.core.db import transaction, utcnow
from services.core.errors import RetryableError
from services.core.models import ChangeV1
from services.core.retention import prune
from services.store.repository import mark_published, pending, prune_published
from services.store.service import OutboxFeed, make_handler, relay_once, run_outbox_relay
from services.store.tables import StoreOutbox

from .builders import OCT_30, article, extraction, fact
from .ledger import TOPICS, LedgerHarness

SET_ASIDE_SAMPLE = "infraledger_messages_set_aside_total"
SET_ASIDE_LABELS = {"service": "store", "topic": TOPICS.changes}


class FlakyBroker(MemoryBus):
    """Refuses the first publish, as a broker that is briefly away."""

    def __init__(self) -> None:
        super().__init__()
        self.refused = 0
        self.arrived = asyncio.Event()

    async def publish_many(self, messages: Sequence[Outgoing]) -> None:
        if not self.refused:
            self.refused += 1
            raise RetryableError("broker away")
        await super().publish_many(messages)
        self.arrived.set()


async def published(bus: FlakyBroker, count: int) -> list[bytes]:
    async with asyncio.timeout(10):
        while len(bus.topics[TOPICS.changes]) < count:
            await bus.arrived.wait()
            bus.arrived.clear()
    return [m.value for m in bus.topics[TOPICS.changes]]


async def test_the_handler_feeds_the_relay_which_publishes_in_order(
    factory: sessionmaker[Session],
) -> None:
    feed, stop = OutboxFeed(), asyncio.Event()
    ledger = LedgerHarness(factory)
    ledger.handle = make_handler(factory, TOPICS, feed=feed)
    bus = FlakyBroker()
    relay = asyncio.create_task(run_outbox_relay(factory, bus, TOPICS, stop, poll=60, feed=feed))
    changes = await ledger.deliver(
        extraction(article("a"), fact(50_000)),
        extraction(article("b", OCT_30 + timedelta(days=60), source="b"), fact(70_000)),
    )
    assert await published(bus, 2) == [c.model_dump_json().encode() for c in changes]
    assert bus.refused == 1
    more = await ledger.deliver(
        extraction(article("c", OCT_30 + timedelta(days=90), source="c"), fact(80_000))
    )
    assert (await published(bus, 3))[2] == more[0].model_dump_json().encode()
    stop.set()
    await asyncio.wait_for(relay, 5)


async def test_the_feed_publishes_once_and_the_database_read_finds_what_it_missed(
    factory: sessionmaker[Session],
) -> None:
    feed, stop = OutboxFeed(), asyncio.Event()
    ledger = LedgerHarness(factory)
    fed, other = make_handler(factory, TOPICS, feed=feed), ledger.handle
    bus = FlakyBroker()
    bus.refused = 1  # no refusal here
    relay = asyncio.create_task(run_outbox_relay(factory, bus, TOPICS, stop, poll=0.05, feed=feed))
    changes = []
    for handle, name in ((fed, "a"), (other, "b"), (fed, "c")):
        ledger.handle = handle  # other: another instance, whose rows never reach this feed
        changes += await ledger.deliver(extraction(article(name), fact(1, scope=name)))
    assert len(changes) == 3
    assert sorted(await published(bus, 3)) == sorted(c.model_dump_json().encode() for c in changes)
    await asyncio.sleep(0.3)  # idle reads of the database find nothing left to publish
    stop.set()
    await asyncio.wait_for(relay, 5)
    assert len(bus.topics[TOPICS.changes]) == 3
    assert ledger.counts()[1] == 3


async def test_outbox_rows_published_before_the_retention_go_and_the_change_log_stays(
    factory: sessionmaker[Session],
) -> None:
    ledger = LedgerHarness(factory)
    changes = []
    for name in "abcd":
        changes += await ledger.deliver(extraction(article(name), fact(1, scope=name)))
    now = utcnow()
    with transaction(factory) as session:
        seqs = [row.seq for row in pending(session, TOPICS.changes)]
        mark_published(session, seqs[:2], now - timedelta(days=100))
        mark_published(session, seqs[2:3], now - timedelta(days=1))
        # seqs[3]: not yet published

    prune_changes = partial(prune_published, topic=TOPICS.changes)
    before = now - timedelta(days=90)
    elsewhere = partial(prune_published, topic="another.topic")
    assert await prune(factory, elsewhere, before, asyncio.Event()) == 0  # only its own topic's
    deleted = await prune(factory, prune_changes, before, asyncio.Event(), batch=1)

    assert deleted == 2
    with transaction(factory) as session:
        left = session.execute(select(StoreOutbox.seq, StoreOutbox.published_at)).all()
        assert sorted(seq for seq, _ in left) == seqs[2:]
        assert [row.seq for row in pending(session, TOPICS.changes)] == seqs[3:]
    assert len(changes) == 4
    assert [c.id for c in ledger.changes()] == [c.id for c in changes]  # the change log is whole


async def three_changes_the_second_large(ledger: LedgerHarness) -> list[ChangeV1]:
    """Three changes, the second with an evidence sentence of over a thousand characters."""
    long = "삼성전자는 5만개 이상의 엔비디아 GPU를 도입한다. " + "그 규모는 " * 200
    changes = []
    for name, sentence in (("a", None), ("b", long), ("c", None)):
        built = fact(1, scope=name) if sentence is None else fact(1, scope=name, sentence=sentence)
        changes += await ledger.deliver(extraction(article(name), built))
    return changes


async def test_a_change_the_broker_refuses_as_too_large_is_set_aside_and_the_relay_goes_on(
    factory: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    ledger = LedgerHarness(factory)
    changes = await three_changes_the_second_large(ledger)
    sizes = [len(c.model_dump_json().encode()) for c in changes]
    assert sizes[1] > max(sizes[0], sizes[2]) + 1_000
    bus = MemoryBus(max_message_bytes=max(sizes[0], sizes[2]) + 500)  # a topic made elsewhere
    set_aside = REGISTRY.get_sample_value(SET_ASIDE_SAMPLE, SET_ASIDE_LABELS) or 0.0

    assert await relay_once(factory, bus, TOPICS) == 3

    assert [m.value for m in bus.topics[TOPICS.changes]] == [
        changes[0].model_dump_json().encode(),
        changes[2].model_dump_json().encode(),
    ]
    assert f"change {changes[1].key} (outbox row" in caplog.text
    assert REGISTRY.get_sample_value(SET_ASIDE_SAMPLE, SET_ASIDE_LABELS) == set_aside + 1
    with transaction(factory) as session:
        assert pending(session, TOPICS.changes) == []  # nothing left to stop the relay
    assert [c.id for c in ledger.changes()] == [c.id for c in changes]  # the change log is whole


class AwayAfter(MemoryBus):
    """Refuses what is over its limit, and is away for the ``away``-th send of one message."""

    def __init__(self, max_message_bytes: int, away: int) -> None:
        super().__init__(max_message_bytes)
        self.away, self.singles = away, 0

    async def publish_many(self, messages: Sequence[Outgoing]) -> None:
        if len(messages) == 1:
            self.singles += 1
            if self.singles == self.away:
                raise RetryableError("broker away")
        await super().publish_many(messages)


async def test_a_broker_away_half_way_through_the_one_by_one_sends_nothing_twice(
    factory: sessionmaker[Session],
) -> None:
    ledger = LedgerHarness(factory)
    changes = await three_changes_the_second_large(ledger)
    small = max(len(changes[0].model_dump_json()), len(changes[2].model_dump_json()))
    bus = AwayAfter(max_message_bytes=small + 500, away=3)  # a, b (set aside), then c: away
    set_aside = REGISTRY.get_sample_value(SET_ASIDE_SAMPLE, SET_ASIDE_LABELS) or 0.0

    with pytest.raises(RetryableError):
        await relay_once(factory, bus, TOPICS)
    assert await relay_once(factory, bus, TOPICS) == 1  # c alone is left

    assert [m.key for m in bus.topics[TOPICS.changes]] == [
        changes[0].key.encode(),
        changes[2].key.encode(),
    ]
    assert REGISTRY.get_sample_value(SET_ASIDE_SAMPLE, SET_ASIDE_LABELS) == set_aside + 1
