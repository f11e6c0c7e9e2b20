"""Polls in event time: which partition a consumer takes its next records from.

A consumer of several partitions reads each partition in order, not the topic: one poll of a
backlog may hold partition A's facts up to ten o'clock and partition B's up to noon.  A handler
that keeps histories in time order (the store) then meets A's next records late — older than
what it just wrote from B — and re-folds the histories they fall into.  A poll in event time
is a merge of the partitions, a few records at a time: each step takes the next records of the
partition *furthest behind* (:class:`EventTimeMerge`), so a poll ends with every partition at
about the same event time, however unevenly the partitions fill.  (Kafka Streams picks its next
record by the partitions' head timestamps the same way.)

The event time is the record's own — a header the producer sets from the data, the article's
publication time (:func:`effective_at_header`) — not the time it was produced: input published
partition by partition (a re-publish, a replay) carries the same event times as news that
arrived in order.  Records without one do not move their partition's place in the merge.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Generic, TypeVar

from services.core.models import ArticleV1
from services.core.topics import HEADER_EFFECTIVE_AT

Partition = TypeVar("Partition")
Record = TypeVar("Record")


class EventTimeMerge(Generic[Partition, Record]):
    """A consumer's partitions in event time: how far each has been read, and what the current
    poll took of each."""

    def __init__(self, event_time: Callable[[Record], int | None]) -> None:
        self.event_time = event_time
        self.reached: dict[Partition, int] = {}
        """Per partition, the newest event time among the records taken (over every poll)."""
        self.polled: dict[Partition, list[Record]] = {}
        self.total = 0

    def start(self) -> None:
        """A new poll: nothing taken yet."""
        self.polled, self.total = {}, 0

    def add(self, partition: Partition, records: Sequence[Record]) -> None:
        """Take ``records``, the next ones of ``partition``."""
        if not records:
            return
        self.polled.setdefault(partition, []).extend(records)
        self.total += len(records)
        times = [t for t in map(self.event_time, records) if t is not None]
        if times:
            self.reached[partition] = max(self.reached.get(partition, times[0]), *times)

    def furthest_behind(self, candidates: Iterable[Partition]) -> Partition | None:
        """The candidate to take records from next (None if none): the one whose newest event
        time is the earliest; before those, any with no event time yet, fewest records of this
        poll first (a partition never read, or records without event times: equal shares).
        The first such candidate on a tie."""
        return min(candidates, key=self._place, default=None)

    def _place(self, partition: Partition) -> tuple[bool, int, int]:
        at = self.reached.get(partition)
        return (at is not None, at or 0, len(self.polled.get(partition, ())))


def effective_at_header(article: ArticleV1) -> dict[str, str]:
    """The ``infraledger-effective-at`` header of a message about ``article``: its effective
    time (publication, else fetch) in epoch milliseconds, the order of the ledger's histories."""
    effective_at = article.published_at or article.fetched_at
    return {HEADER_EFFECTIVE_AT: str(int(effective_at.timestamp() * 1000))}


def header_time(name: str = HEADER_EFFECTIVE_AT) -> Callable[[object], int | None]:
    """The event time of a Kafka record from its header ``name`` (epoch milliseconds, decimal;
    by default ``infraledger-effective-at``); None when the header is absent or not a number."""

    def event_time(record: object) -> int | None:
        for header, value in getattr(record, "headers", None) or ():
            if header == name:
                try:
                    return int(value)
                except (TypeError, ValueError):
                    return None
        return None

    return event_time
