"""Publishing replay records to ``articles.v1`` with replay headers, rate limit and progress.

Replays are idempotent end to end: article ids are stable (canonical URL), the store ignores an
(article, extractor version) it already holds, so the same replay twice — or a replay killed
halfway and started again — ends in the same ledger.  Within one replay, the crawler's duplicate
rules apply: the same canonical URL or the same content hash is published once.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO

from services.core.bus import MAX_MESSAGE_BYTES, Outgoing, Publisher, fits
from services.core.models import stable_id
from services.core.polling import article_outgoing
from services.core.topics import HEADER_REPLAY_ALERTS, HEADER_REPLAY_ID, Topics

if TYPE_CHECKING:  # the parsers' module: a replay imports it while its fork server does
    from services.replay.sources import ReplayRecord

CHUNK = 200


@dataclass
class ReplaySummary:
    replay_id: str
    read: int = 0
    published: int = 0
    duplicates: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)
    article_ids: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def line(self) -> str:
        rate = self.published / self.elapsed if self.elapsed > 0 else 0.0
        return (
            f"replay {self.replay_id}: read {self.read}, published {self.published}, "
            f"duplicates {self.duplicates}, skipped {self.skipped}, errors {len(self.errors)} "
            f"({rate:.0f} articles/s)"
        )


def new_replay_id(paths: Iterable[str]) -> str:
    return stable_id("replay", *paths, str(time.time_ns()))[:16]


def replay_headers(replay_id: str, alerts: bool) -> dict[str, str]:
    return {HEADER_REPLAY_ID: replay_id, HEADER_REPLAY_ALERTS: "true" if alerts else "false"}


class Progress:
    """A progress line on a terminal, plain periodic log lines elsewhere."""

    def __init__(self, stream: TextIO = sys.stderr, every: float = 5.0) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.every = every if not self.tty else 0.2
        self._last = time.monotonic()

    def update(self, summary: ReplaySummary, final: bool = False) -> None:
        now = time.monotonic()
        if not final and now - self._last < self.every:
            return
        self._last = now
        if self.tty:
            end = "\n" if final else ""
            self.stream.write("\r\x1b[2K" + summary.line() + end)
        else:
            self.stream.write(summary.line() + "\n")
        self.stream.flush()


async def publish_records(
    records: Iterable[ReplayRecord] | AsyncIterable[ReplayRecord],
    publisher: Publisher | None,
    topics: Topics,
    *,
    replay_id: str,
    alerts: bool = False,
    rate: float | None = None,
    progress: Progress | None = None,
) -> ReplaySummary:
    """Publish every article of ``records``; ``publisher=None`` is a dry run that only counts."""
    summary = ReplaySummary(replay_id)
    headers = replay_headers(replay_id, alerts)
    seen_ids: set[str] = set()
    seen_hashes: set[str] = set()
    pending: list[Outgoing] = []

    async def flush() -> None:
        if publisher is not None and pending:
            await publisher.publish_many(pending)
        summary.published += len(pending)
        summary.article_ids.extend(out.key for out in pending)
        pending.clear()
        if progress is not None:
            progress.update(summary)

    async for record in _each(records):
        summary.read += 1
        if record.error is not None:
            summary.errors.append(f"{record.origin}: {record.error}")
        elif record.article is None:
            summary.skipped += 1
        elif record.article.id in seen_ids or record.article.content_hash in seen_hashes:
            summary.duplicates += 1
        elif not fits(out := article_outgoing(topics.articles, record.article, headers)):
            summary.errors.append(
                f"{record.origin}: its message is over the broker's limit of {MAX_MESSAGE_BYTES}"
                " bytes"
            )
        else:
            seen_ids.add(record.article.id)
            seen_hashes.add(record.article.content_hash)
            pending.append(out)
        if len(pending) >= CHUNK or (rate and pending):
            await flush()
        if rate:
            await _throttle(summary, rate, len(pending))
    await flush()
    if progress is not None:
        progress.update(summary, final=True)
    return summary


async def _each(
    records: Iterable[ReplayRecord] | AsyncIterable[ReplayRecord],
) -> AsyncIterator[ReplayRecord]:
    if isinstance(records, AsyncIterable):
        async for record in records:
            yield record
    else:
        for record in records:
            yield record


async def _throttle(summary: ReplaySummary, rate: float, pending: int) -> None:
    ahead = (summary.published + pending) / rate - summary.elapsed
    if ahead > 0:
        await asyncio.sleep(ahead)
