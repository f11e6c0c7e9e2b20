"""A poll in event time over partitions held in memory, taken as the consumer loop takes it
(:meth:`services.core.kafka.ConsumerLoop._poll_in_event_time`): for the store benchmark's
model of the service's polls and for the merge's tests."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import TypeVar

from services.core.polling import EventTimeMerge

Partition = TypeVar("Partition")
Record = TypeVar("Record")


def poll_in_event_time(
    merge: EventTimeMerge[Partition, Record],
    left: MutableMapping[Partition, list[Record]],
    limit: int,
    step: int,
) -> dict[Partition, list[Record]]:
    """One poll of up to ``limit`` records, taken from what is ``left`` of each partition: the
    first record of the first partition with any (the broker's choice in the service), then
    ``step`` records at a time from the partition furthest behind."""
    merge.start()
    open_ = [partition for partition, records in left.items() if records]
    while open_ and merge.total < limit:
        partition = merge.furthest_behind(open_) if merge.total else open_[0]
        assert partition is not None
        taken = left[partition][: min(step, limit - merge.total) if merge.total else 1]
        del left[partition][: len(taken)]
        merge.add(partition, taken)
        if not left[partition]:
            open_.remove(partition)
    return merge.polled
