"""The consumer loop's polls over a consumer stand-in: which records one poll takes (no broker).

The broker tests in ``test_kafka_loop.py`` show the partitions kept abreast end to end; these
pin the poll's rules down where a broker cannot be steered: partitions revoked mid-poll,
rebalances mid-poll (for polls in event time and in equal shares), partitions without records
or without the header, misdated records, one-record batches.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
from aiokafka import TopicPartition

from services.core.config import Settings
from services.core.kafka import ConsumerLoop
from services.core.polling import header_time
from services.core.topics import HEADER_EFFECTIVE_AT

TOPIC = "facts.v1"


def record(partition: int, offset: int, at: int | None) -> SimpleNamespace:
    headers = [] if at is None else [(HEADER_EFFECTIVE_AT, str(at).encode())]
    return SimpleNamespace(topic=TOPIC, partition=partition, offset=offset, headers=headers)


@dataclass
class Consumer:
    """Partitions whose records have all been fetched: ``getmany`` hands them out in order, and
    nothing of a partition no longer assigned, as aiokafka does."""

    logs: dict[TopicPartition, list[SimpleNamespace]]
    positions: dict[TopicPartition, int] = field(default_factory=dict)
    on_getmany: Callable[[], None] = lambda: None
    assigned: set[TopicPartition] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.assigned = self.assigned or set(self.logs)

    def assignment(self) -> set[TopicPartition]:
        return set(self.assigned)

    def highwater(self, tp: TopicPartition) -> int:
        return len(self.logs[tp])

    async def position(self, tp: TopicPartition) -> int:
        return self.positions.get(tp, 0)

    async def getmany(
        self, *partitions: TopicPartition, timeout_ms: int = 0, max_records: int = 1
    ) -> dict[TopicPartition, list[SimpleNamespace]]:
        self.on_getmany()
        got: dict[TopicPartition, list[SimpleNamespace]] = {}
        for tp in partitions or sorted(self.assigned):
            if tp not in self.assigned:
                continue
            start = self.positions.get(tp, 0)
            records = self.logs[tp][start : start + max_records - sum(map(len, got.values()))]
            if records:
                got[tp] = records
                self.positions[tp] = start + len(records)
        return got


def loop(batch_size: int = 12, merge_step: int = 2, in_event_time: bool = True) -> ConsumerLoop:
    async def handler(batch: Sequence[Any]) -> None:
        raise AssertionError("not called: only polls are taken")

    looped = ConsumerLoop(
        Settings(), "store", [TOPIC], "g", handler, None, batch_size=batch_size,
        whole_poll=True, event_time=header_time if in_event_time else None,
        merge_step=merge_step,
    )  # fmt: skip
    return looped


def at_fetch(n: int, action: Callable[[Any], object], argument: Any) -> Callable[[], None]:
    """For :attr:`Consumer.on_getmany`: ``action(argument)`` at the ``n``-th fetch."""
    calls = 0

    def count() -> None:
        nonlocal calls
        calls += 1
        if calls == n:
            action(argument)

    return count


def tp(partition: int) -> TopicPartition:
    return TopicPartition(TOPIC, partition)


def logs(*times: Sequence[int | None]) -> dict[TopicPartition, list[SimpleNamespace]]:
    return {
        tp(p): [record(p, offset, at) for offset, at in enumerate(ats)]
        for p, ats in enumerate(times)
    }


async def poll(consumer_loop: ConsumerLoop, consumer: Consumer) -> dict[int, list[int]]:
    """One poll, as ``{partition: offsets}``."""
    consumer_loop.listener.assigned = consumer.assignment()
    polled = await consumer_loop._poll(consumer)
    return {t.partition: [r.offset for r in records] for t, records in polled.items()}


async def test_the_partition_furthest_behind_in_the_news_is_read_first() -> None:
    """Partition 1 carries twice the news per hour: it gives about twice the records, and each
    poll ends with both at about the same hour (a step of 2 records apart at most)."""
    consumer = Consumer(logs(range(0, 200, 2), range(100)))
    consumer_loop = loop(batch_size=12, merge_step=2)
    for _ in range(4):
        taken = await poll(consumer_loop, consumer)
        last = {p: consumer.logs[tp(p)][offsets[-1]] for p, offsets in taken.items()}
        times = {p: int(r.headers[0][1]) for p, r in last.items()}
        assert len(taken[1]) >= len(taken[0]) + 2 and abs(times[0] - times[1]) <= 4


async def test_a_misdated_record_does_not_hold_its_partition_back() -> None:
    """An article dated decades ahead: its partition is placed by the records after it."""
    consumer = Consumer(logs([0, 10**12, 2, 3, 4, 5, 6, 7], range(100)))
    consumer_loop = loop(batch_size=8, merge_step=2)
    taken = [await poll(consumer_loop, consumer) for _ in range(3)]
    assert [len(p.get(0, [])) for p in taken] == [4, 4, 0]


async def test_a_record_misdated_at_the_end_of_a_step_holds_its_partition_for_that_poll_only() -> (
    None
):
    consumer = Consumer(logs([0, 1, 10**12, *range(3, 20)], range(100)))
    consumer_loop = loop(batch_size=8, merge_step=2)
    first = await poll(consumer_loop, consumer)
    assert first == {0: [0, 1, 2], 1: [0, 1, 2, 3, 4]}  # nothing of partition 0 after 10**12
    second = await poll(consumer_loop, consumer)
    assert second[0][:1] == [3] and len(second[0]) >= 3  # placed by its next records again


async def test_partitions_without_the_header_are_read_before_those_with_it() -> None:
    consumer = Consumer(logs(range(20), [None] * 20))
    assert await poll(loop(batch_size=8, merge_step=2), consumer) == {0: [0], 1: list(range(7))}


async def test_records_without_the_header_are_taken_in_equal_shares() -> None:
    consumer = Consumer(logs([None] * 20, [None] * 20, [None] * 20))
    assert {p: len(o) for p, o in (await poll(loop(batch_size=12), consumer)).items()} == {
        0: 4, 1: 4, 2: 4
    }


async def test_a_partition_with_nothing_more_is_left_out_and_the_rest_fill_the_poll() -> None:
    consumer = Consumer(logs([0, 1], range(100), []))
    assert await poll(loop(batch_size=10, merge_step=3), consumer) == {
        0: [0, 1], 1: list(range(8))
    }


async def test_a_one_record_batch_takes_the_first_record_to_come() -> None:
    consumer = Consumer(logs([5, 6], [1, 2]))
    assert await poll(loop(batch_size=1), consumer) == {0: [0]}


@pytest.mark.parametrize("in_event_time", [True, False], ids=["event time", "equal shares"])
async def test_a_partition_the_consumer_lost_mid_poll_gives_nothing_more_and_the_poll_goes_on(
    in_event_time: bool,
) -> None:
    """Revoked before the rebalance listener ran: it gives nothing more, and the poll fills
    from the partition still held."""
    consumer = Consumer(logs(range(50), range(50)))
    consumer_loop = loop(batch_size=20, merge_step=2, in_event_time=in_event_time)
    # before partition 1 is asked for its step (its share)
    consumer.on_getmany = at_fetch(3 if in_event_time else 1, consumer.assigned.discard, tp(1))
    polled = await poll(consumer_loop, consumer)
    assert sum(map(len, polled.values())) == 20 and len(polled.get(1, [])) < 10


@pytest.mark.parametrize("in_event_time", [True, False], ids=["event time", "equal shares"])
async def test_a_rebalance_mid_poll_hands_nothing_on(in_event_time: bool) -> None:
    """The partitions restart from their committed offsets: what the poll took comes again."""
    consumer = Consumer(logs(range(50), range(50)))
    consumer_loop = loop(batch_size=20, merge_step=2, in_event_time=in_event_time)

    def rebalance(listener: Any) -> None:
        listener.generation += 1

    consumer.on_getmany = at_fetch(2, rebalance, consumer_loop.listener)
    assert await poll(consumer_loop, consumer) == {}
    consumer.on_getmany = lambda: None
    consumer.positions.clear()  # back to the committed offsets
    again = await poll(consumer_loop, consumer)
    assert again[0][0] == 0 and again[1][0] == 0
    if in_event_time:  # where the partitions were is forgotten: placed by this poll alone
        assert consumer_loop._merge is not None
        assert consumer_loop._merge.at == {tp(p): offsets[-1] for p, offsets in again.items()}


def test_a_step_of_no_records_is_refused() -> None:
    with pytest.raises(ValueError, match="merge_step"):
        loop(merge_step=0)
