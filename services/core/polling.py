"""Polls in event time: which partition a consumer takes its next records from.

A consumer of several partitions reads each partition in order, not the topic: one poll of a
backlog may hold partition A's facts up to ten o'clock and partition B's up to noon.  A handler
that keeps histories in time order (the store) then meets A's next records late — older than
what it just wrote from B — and re-folds the histories they fall into.  A poll in event time
takes its records a few at a time, each step from the partition *furthest behind*
(:class:`EventTimeMerge`), so the partitions stay abreast in the news however unevenly they
fill — much as Kafka Streams picks its next record by its partitions' head timestamps (here:
by the time of the last record taken from each).

The event time is the record's own — a header the producer sets from the data, the article's
publication time (:func:`effective_at_header`) — not the time it was produced: input published
partition by partition (a re-publish, a replay) carries the same event times as news that
arrived in order.  A partition is placed by its last record taken, and every partition with
records gives one step to each poll before the merge chooses, so a misdated article (a year
ahead) holds its partition back for the rest of one poll at most: the next step places it
again.  Records without an event time do not move their partition's place; a partition with
none so far (since the merge was made) is read before the others, in equal shares.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Generic, TypeVar

from services.core.bus import Outgoing
from services.core.models import ArticleV1
from services.core.topics import HEADER_EFFECTIVE_AT

Partition = TypeVar("Partition")
Record = TypeVar("Record")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class EventTimeMerge(Generic[Partition, Record]):
    """A consumer's partitions in event time: where each one is, and what the current poll
    took of each."""

    def __init__(self, event_time: Callable[[Record], int | None]) -> None:
        self.event_time = event_time
        self.at: dict[Partition, int] = {}
        """Per partition, the event time of the last record taken that had one (any poll since
        this merge was made; the consumer loop makes a new one at each rebalance)."""
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
        for record in reversed(records):
            at = self.event_time(record)
            if at is not None:
                self.at[partition] = at
                break

    def furthest_behind(self, candidates: Iterable[Partition]) -> Partition | None:
        """The candidate to take records from next, None if none.  First any the poll has not
        taken from yet; then any without an event time so far, fewest records of this poll
        first (records without event times go in equal shares); then the one whose last
        event time is the earliest.  The first such candidate on a tie."""
        return min(candidates, key=self._place, default=None)

    def _place(self, partition: Partition) -> tuple[bool, bool, int, int]:
        at = self.at.get(partition)
        taken = len(self.polled.get(partition, ()))
        return (taken > 0, at is not None, at or 0, taken)


def effective_at_header(article: ArticleV1) -> dict[str, str]:
    """The ``infraledger-effective-at`` header of a message about ``article``: its effective
    time in epoch milliseconds, the order of the ledger's histories."""
    return {HEADER_EFFECTIVE_AT: str((article.effective_at - _EPOCH) // timedelta(milliseconds=1))}


def article_outgoing(
    topic: str, article: ArticleV1, headers: Mapping[str, str] | None = None
) -> Outgoing:
    """The message of ``article`` on ``topic`` (``articles.v1``): keyed by its id, with its
    effective-time header after ``headers``."""
    return Outgoing(
        topic, article.id, article.model_dump_json().encode(),
        {**(headers or {}), **effective_at_header(article)},
    )  # fmt: skip


def header_time(record: object) -> int | None:
    """The event time of a Kafka record from its ``infraledger-effective-at`` header (epoch
    milliseconds, decimal); None when the header is absent or not a number."""
    for header, value in getattr(record, "headers", None) or ():
        if header == HEADER_EFFECTIVE_AT:
            try:
                return int(value)
            except (TypeError, ValueError):
                return None
    return None
