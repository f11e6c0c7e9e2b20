"""The store's service shell: the ``facts.v1`` batch handler and the outbox relay.

Exactly-once effects, end to end:

1. :func:`make_handler` applies a whole batch in **one** database transaction: the facts, the
   re-derived commitments and their history, the change log, the outbox rows and the consumed
   positions commit together or not at all.  The consumer loop commits the Kafka offsets only
   after the handler returned; a crash before that redelivers the batch, and the recorded
   positions (a primary key) turn the redelivery into a no-op.
2. :func:`run_outbox_relay` publishes unpublished outbox rows in order and marks them published
   once the broker acknowledged them.  A crash between the acknowledgement and the mark publishes
   those rows again: delivery to ``ledger.changes.v1`` is at-least-once, and consumers dedupe by
   :attr:`ChangeV1.id`, a stable id (the alerts service does).  No change is ever lost: one the
   broker refuses as too large (a topic made elsewhere with a lower limit) stays in the change
   log and is set aside, so that the relay does not stop at it.

   The handler hands the rows it committed to the relay (:class:`OutboxFeed`), which publishes
   them straight away; the database is read for unpublished rows (:func:`relay_once`) only at
   start, after a failure, after the feed overflowed and when idle — whatever the feed missed
   (a crash, another instance's rows) is found there.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Sequence
from datetime import timedelta

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from services.core import metrics
from services.core.bus import (
    BatchHandler,
    Message,
    MessageTooLarge,
    Outgoing,
    Publisher,
    record_size,
)
from services.core.db import transaction
from services.core.errors import RetryableError
from services.core.kafka import backoff_delays
from services.core.models import ExtractionV1
from services.core.topics import HEADER_REPLAY_ALERTS, HEADER_REPLAY_ID, Topics
from services.store.diff import DEFAULT_CONFLICT_WINDOW
from services.store.errors import InvalidExtraction, StoreRetryable
from services.store.repository import (
    Applied,
    Incoming,
    Pending,
    Position,
    Replay,
    apply_batch,
    mark_published,
    pending,
)

log = logging.getLogger(__name__)


def parse(message: Message) -> Incoming:
    """The :class:`Incoming` of a ``facts.v1`` message; :class:`InvalidExtraction` if malformed."""
    try:
        extraction = ExtractionV1.model_validate_json(message.value)
    except ValidationError as exc:
        raise InvalidExtraction(f"not a facts.v1 message: {exc}") from exc
    message.require_key(extraction.article.id)
    replay_id = message.header(HEADER_REPLAY_ID)
    replay = Replay(replay_id=replay_id, alerts=message.header(HEADER_REPLAY_ALERTS) == "true")
    return Incoming(
        Position(message.topic, message.partition, message.offset),
        extraction,
        replay if replay_id else Replay(),
    )


def apply_in_transaction(
    factory: sessionmaker[Session], batch: Sequence[Incoming], topic: str, window: timedelta
) -> Applied:
    """Apply ``batch`` in one transaction; a lost race with another writer is retryable."""
    try:
        with transaction(factory) as session:
            return apply_batch(session, batch, topic=topic, window=window)
    except IntegrityError as exc:
        raise StoreRetryable(f"a concurrent writer got there first: {exc.orig}") from exc


class OutboxFeed:
    """Outbox rows committed by the handler, for the relay, in commit (``seq``) order.

    Only a shortcut: the rows are in the database already.  Past ``capacity`` rows (the broker
    is away) the feed forgets them and tells the relay to read the database instead.
    """

    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self.wake = asyncio.Event()
        self.overflowed = False
        self._rows: deque[Pending] = deque()

    def put(self, rows: Sequence[Pending]) -> None:
        if len(self._rows) + len(rows) > self.capacity:
            self._rows.clear()
            self.overflowed = True
        else:
            self._rows.extend(rows)
        self.wake.set()

    def take(self, limit: int) -> list[Pending]:
        return [self._rows.popleft() for _ in range(min(limit, len(self._rows)))]

    def clear(self) -> None:
        self._rows.clear()
        self.overflowed = False

    def __len__(self) -> int:
        return len(self._rows)


def make_handler(
    factory: sessionmaker[Session],
    topics: Topics,
    *,
    window: timedelta = DEFAULT_CONFLICT_WINDOW,
    feed: OutboxFeed | None = None,
) -> BatchHandler:
    """The ``facts.v1`` batch handler; hands the committed outbox rows to ``feed`` (the relay's)."""

    async def handle(messages: Sequence[Message]) -> None:
        batch = [parse(m) for m in messages]
        applied = await asyncio.to_thread(
            apply_in_transaction, factory, batch, topics.changes, window
        )
        if applied.outbox and feed is not None:
            feed.put(applied.outbox)

    return handle


def _read_pending(factory: sessionmaker[Session], topic: str, limit: int) -> list[Pending]:
    with transaction(factory) as session:
        return pending(session, topic, limit)


def _mark_published(factory: sessionmaker[Session], seqs: list[int]) -> None:
    with transaction(factory) as session:
        mark_published(session, seqs)


async def relay_once(
    factory: sessionmaker[Session], publisher: Publisher, topics: Topics, *, limit: int = 500
) -> int:
    """Publish up to ``limit`` pending outbox rows, then mark them; returns how many."""
    rows = await asyncio.to_thread(_read_pending, factory, topics.changes, limit)
    await _publish(factory, publisher, topics, rows)
    return len(rows)


async def _publish(
    factory: sessionmaker[Session], publisher: Publisher, topics: Topics, rows: Sequence[Pending]
) -> None:
    """Publish ``rows`` and mark them published.  A batch the broker refuses as too large goes
    again one row at a time, and a row refused by itself is set aside (logged, counted, marked):
    no retry could send it, and the relay must not stop at it for ever.  The change stays in
    the change log, where the ledger's readers find it."""
    if not rows:
        return
    messages = [Outgoing(topics.changes, row.key, row.value, row.headers) for row in rows]
    try:
        await publisher.publish_many(messages)
    except MessageTooLarge as exc:
        log.warning("outbox relay: %s; sending its %d changes one by one", exc, len(rows))
        await _publish_one_by_one(factory, publisher, rows, messages)
        return
    await asyncio.to_thread(_mark_published, factory, [row.seq for row in rows])


async def _publish_one_by_one(
    factory: sessionmaker[Session],
    publisher: Publisher,
    rows: Sequence[Pending],
    messages: Sequence[Outgoing],
) -> None:
    """Each row by itself, setting aside those refused; the rows done are marked even when the
    broker fails half-way, so that a retry neither sends them again nor counts them twice."""
    done: list[int] = []
    try:
        for row, out in zip(rows, messages, strict=True):
            try:
                await publisher.publish_many([out])
            except MessageTooLarge as exc:
                log.error(
                    "outbox relay: change %s (outbox row %d, %d bytes) set aside: %s",
                    row.key, row.seq, record_size(out), exc,
                )  # fmt: skip
                metrics.SET_ASIDE.labels(service="store", topic=out.topic).inc()
            done.append(row.seq)
    finally:
        if done:
            await asyncio.to_thread(_mark_published, factory, done)


async def run_outbox_relay(
    factory: sessionmaker[Session],
    publisher: Publisher,
    topics: Topics,
    stop: asyncio.Event,
    *,
    poll: float = 0.2,
    feed: OutboxFeed | None = None,
    limit: int = 500,
    sweep: float = 5.0,
) -> None:
    """Publish the outbox until ``stop`` is set: the ``feed``'s rows as they come, and the
    database's unpublished rows at start, after a failure or overflow, after ``poll`` seconds
    without any feed, and at least every ``sweep`` seconds."""
    loop = asyncio.get_running_loop()
    metrics.SET_ASIDE.labels(service="store", topic=topics.changes)  # at 0, for alerts on it
    delays = backoff_delays(cap=10.0)
    read_database = True
    swept = loop.time()
    published = 0  # the highest seq published: the feed's rows up to it went out already
    while not stop.is_set():
        if feed is not None:
            feed.wake.clear()
        try:
            if read_database or feed is None or feed.overflowed or loop.time() - swept > sweep:
                if feed is not None:
                    feed.clear()  # what it held is in the database, read next
                swept = loop.time()
                rows = await asyncio.to_thread(_read_pending, factory, topics.changes, limit)
                read_database = len(rows) == limit
            else:
                rows = [row for row in feed.take(limit) if row.seq > published]
            await _publish(factory, publisher, topics, rows)
        except RetryableError as exc:
            read_database = True
            delay = await anext(delays)
            log.warning("outbox relay: %s; retrying in %.1fs", exc, delay)
            await _pause(stop, None, delay)
            continue
        delays = backoff_delays(cap=10.0)
        published = max([published, *(row.seq for row in rows)])
        if read_database or (feed is not None and (len(feed) or feed.overflowed)):
            continue
        woken = await _pause(stop, feed.wake if feed is not None else None, poll)
        read_database = not woken


async def _pause(stop: asyncio.Event, wake: asyncio.Event | None, timeout: float) -> bool:
    """Sleep ``timeout`` seconds, or less when ``stop`` or ``wake`` is set; whether woken."""
    waiters = [asyncio.create_task(event.wait()) for event in (stop, wake) if event is not None]
    try:
        done, _ = await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
    return bool(done)
