"""Which records of a poll go to the handler now: the same stretch of time on every partition.

A consumer of several partitions reads each partition in order, not the topic: one poll may hold
partition A's records up to ten o'clock and partition B's up to noon.  A handler that keeps
histories in time order (the store) then meets A's next records late — older than what it just
wrote from B — and re-folds the histories they fall into.  :func:`time_aligned` hands on the
records up to the *horizon*, the earliest of the partitions' newest timestamps in the poll,
and holds the rest for the next poll.  The partition that sets the horizon goes whole, so every
poll with records hands some on, whatever order the timestamps are in.  (Kafka Streams orders
its input partitions the same way, by their head records' timestamps.)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

Partition = TypeVar("Partition")
Record = TypeVar("Record")


def time_aligned(
    polled: Mapping[Partition, Sequence[Record]], timestamp: Callable[[Record], int]
) -> tuple[dict[Partition, list[Record]], dict[Partition, list[Record]]]:
    """``(hand, hold)`` of a poll: per partition, its records up to the horizon, and the rest
    from the first record past it (a partition's held records stay contiguous)."""
    newest = [max(map(timestamp, records)) for records in polled.values() if records]
    if not newest:
        return {}, {}
    horizon = min(newest)
    hand: dict[Partition, list[Record]] = {}
    hold: dict[Partition, list[Record]] = {}
    for partition, records in polled.items():
        cut = next((i for i, r in enumerate(records) if timestamp(r) > horizon), len(records))
        if cut:
            hand[partition] = list(records[:cut])
        if cut < len(records):
            hold[partition] = list(records[cut:])
    return hand, hold
