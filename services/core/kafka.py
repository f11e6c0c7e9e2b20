"""The Kafka adapter: an idempotent publisher, topic creation and the consumer loop.

Delivery semantics, stated plainly:

- Transport is at-least-once.  The producer is idempotent (``acks=all``); a consumer commits a
  partition's offset only after its batch handler returned, i.e. after the effects are durable.
  A crash in between redelivers the batch; every handler is idempotent by a database constraint
  or by deterministic message keys, so a redelivery changes nothing.
- A handler raising :class:`~services.core.errors.RetryableError` leaves the batch uncommitted;
  the loop backs off and tries it again (the broker or database was briefly away).  Every
  :data:`SPLIT_AFTER` tries it handles the batch one message at a time instead: a message that
  keeps failing while the others go through — and go through again when asked — is
  dead-lettered as :class:`PersistentFailure` (a row the database refuses for good reads as
  retryable too); when nothing goes through, the database is away and the batch waits whole.
- Any other error makes the loop handle the batch one message at a time; a message that still
  fails goes to the consumer's dead-letter topic with the reason and its original bytes, and the
  loop moves on.  Nothing escapes the loop and nothing is dropped silently.
- A message larger than the broker takes (:data:`~services.core.bus.MAX_MESSAGE_BYTES`) is
  refused before anything of its batch is sent (:class:`~services.core.bus.MessageTooLarge`,
  terminal: no retry could send it), so a handler whose output outgrows its input dead-letters
  that input instead of retrying it for ever.  A topic made elsewhere with a lower limit refuses
  it at the broker, after the batch's other messages may have gone out: terminal too.  A
  dead-letter record that could not carry its original says so and points to it.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import random
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import KafkaError, MessageSizeTooLargeError, TopicAlreadyExistsError

from services.core import metrics
from services.core.bus import (
    MAX_MESSAGE_BYTES,
    BatchHandler,
    Message,
    MessageTooLarge,
    Outgoing,
    check_sizes,
    fits,
)
from services.core.config import Settings
from services.core.errors import RetryableError, TerminalError
from services.core.models import DeadLetterError, DeadLetterV1
from services.core.polling import EventTimeMerge
from services.core.topics import Topics

log = logging.getLogger(__name__)

LAG_REPORT_EVERY = 5.0


def backoff_delays(first: float = 0.2, cap: float = 30.0) -> AsyncIterator[float]:
    """Exponential backoff with full jitter: 0.2 s, 0.4 s, … capped at ``cap``."""

    async def gen() -> AsyncIterator[float]:
        delay = first
        while True:
            yield random.uniform(delay / 2, delay)
            delay = min(cap, delay * 2)

    return gen()


SPLIT_AFTER = 5
"""Tries of a whole batch failing as retryable before it is handled one message at a time."""
MESSAGE_TRIES = 5
"""Further tries of one message that still fails while the rest of its batch went through."""
OUTAGE_AFTER = 3
"""Messages failing one after the other, none passing, that end a split as an outage."""


class PersistentFailure(TerminalError):
    """A message whose retryable failure outlived its tries while others went through."""


class BusUnavailable(RetryableError):
    """The broker did not acknowledge a publish in time; the work is retried."""


class KafkaPublisher:
    """A :class:`~services.core.bus.Publisher` over an idempotent aiokafka producer."""

    def __init__(self, producer: AIOKafkaProducer) -> None:
        self._producer = producer

    async def publish_many(self, messages: Sequence[Outgoing]) -> None:
        """Send ``messages`` and wait for the broker's acknowledgements.  Raises
        :class:`MessageTooLarge` before sending any of them if one is over
        :data:`MAX_MESSAGE_BYTES`, or when a topic made with a lower limit refuses one (the
        batch's others may have gone out), :class:`BusUnavailable` when the broker does not
        acknowledge them."""
        check_sizes(messages)
        try:
            futures = []
            for out in messages:
                headers = [(k, v.encode()) for k, v in out.headers.items()]
                futures.append(
                    await self._producer.send(
                        out.topic, out.value, key=out.key.encode(), headers=headers
                    )
                )
            if futures:
                await asyncio.gather(*futures)
        except MessageSizeTooLargeError as exc:  # a topic made elsewhere with a lower limit
            raise MessageTooLarge(f"the broker refused a message as too large: {exc!r}") from exc
        except KafkaError as exc:
            raise BusUnavailable(f"publishing failed: {exc!r}") from exc
        for out in messages:
            metrics.PRODUCED.labels(topic=out.topic).inc()


def producer_for(settings: Settings) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap_of(settings),
        enable_idempotence=True,
        acks="all",
        # No linger: every publisher here hands a whole batch to the producer at once and then
        # waits for its acknowledgement, so a linger only delayed each hop (measured in session
        # 14, three alternated pairs end to end: p50 at 10 % load 110 → 77 ms, at 50 % 275 →
        # 193 ms; the sustained rate and the CPU per article unchanged).
        linger_ms=0,
        max_batch_size=256 * 1024,
        max_request_size=MAX_MESSAGE_BYTES,
        # zstd: 8× cheaper to compress than gzip (level 9 in aiokafka) for the same size on
        # facts.v1 batches, 2.5× cheaper to decompress (measured: 0.41 vs 3.4 ms per 240 KB)
        compression_type="zstd",
        request_timeout_ms=30000,
    )


def bootstrap_of(settings: Settings) -> str:
    if not settings.kafka_bootstrap:
        raise RuntimeError("INFRALEDGER_KAFKA_BOOTSTRAP is not set and no local broker runs")
    return settings.kafka_bootstrap


async def _start_with_backoff(client: Any, what: str, attempts: int = 60) -> None:
    delays = backoff_delays(cap=5.0)
    for attempt in range(attempts):
        try:
            await client.start()
            return
        except KafkaError as exc:
            if attempt == attempts - 1:
                raise
            delay = await anext(delays)
            log.warning("%s: Kafka unavailable (%s); retrying in %.1fs", what, exc, delay)
            await asyncio.sleep(delay)


@asynccontextmanager
async def kafka_publisher(settings: Settings) -> AsyncIterator[KafkaPublisher]:
    """An idempotent producer, started with backoff and flushed and stopped on exit."""
    producer = producer_for(settings)
    await _start_with_backoff(producer, "producer")
    try:
        yield KafkaPublisher(producer)
    finally:
        await producer.flush()
        await producer.stop()


async def ensure_topics(settings: Settings) -> list[str]:
    """Create the pipeline's topics and every consumer's dead-letter topic if missing."""
    names = Topics(settings.topic_prefix).all()
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_of(settings))
    await _start_with_backoff(admin, "admin")
    delays = backoff_delays(cap=5.0)
    try:
        for attempt in range(60):  # a broker of the cluster may be away: retry, don't exit
            try:
                return await _create_missing(admin, names, settings)
            except TopicAlreadyExistsError:
                return []
            except KafkaError as exc:
                if attempt == 59:
                    raise
                delay = await anext(delays)
                log.warning("creating topics failed (%r); retrying in %.1fs", exc, delay)
                await asyncio.sleep(delay)
        return []
    finally:
        await admin.close()


async def record_lifetime(settings: Settings, topic: str) -> float | None:
    """The longest a record of ``topic`` may stay readable, in seconds, from the broker: its
    ``retention.ms`` plus ``segment.ms`` (a segment goes only once its newest record expired, and
    the active segment only after it rolled); ``None`` if the topic keeps records for ever
    (``retention.ms`` -1, or compaction).  Raises :class:`KafkaError` if the broker cannot say."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_of(settings))
    await admin.start()
    try:
        [response] = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, topic)]
        )
    finally:
        await admin.close()
    [(error_code, error_message, _type, _name, entries)] = response.resources
    if error_code:
        raise KafkaError(f"describing {topic}: {error_code} {error_message}")
    config = {entry[0]: entry[1] for entry in entries}
    retention = int(config["retention.ms"])
    if retention < 0 or "compact" in config.get("cleanup.policy", ""):
        return None
    return (retention + int(config["segment.ms"])) / 1000


async def _create_missing(
    admin: AIOKafkaAdminClient, names: list[str], settings: Settings
) -> list[str]:
    existing = set(await admin.list_topics())
    missing = [n for n in names if n not in existing]
    if missing:
        config = {"max.message.bytes": str(MAX_MESSAGE_BYTES)}
        await admin.create_topics(
            [
                NewTopic(n, settings.partitions, settings.replication_factor, topic_configs=config)
                for n in missing
            ]
        )
    return missing


def dead_letter(message: Message, service: str, error: BaseException) -> DeadLetterV1:
    """The dead-letter record of ``message``: original bytes, headers and the reason."""
    return DeadLetterV1(
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        key_b64=None if message.key is None else base64.b64encode(message.key).decode(),
        value_b64=base64.b64encode(message.value).decode(),
        headers={k: v.decode("utf-8", "replace") for k, v in message.headers},
        error=DeadLetterError(service=service, kind=type(error).__name__, reason=str(error)[:2000]),
        failed_at=datetime.now(UTC),
    )


def without_original(record: DeadLetterV1) -> DeadLetterV1:
    """``record`` pointing to its original (topic, partition, offset) instead of carrying it."""
    omitted: dict[str, object] = {"key_b64": None, "value_b64": "", "headers": {}}
    return record.model_copy(update={**omitted, "original_omitted": True})


def dead_letter_message(topic: str, record: DeadLetterV1) -> Outgoing:
    """The message of ``record`` on the dead-letter ``topic``, keyed as its original was; the
    record :func:`without_original` when it would be larger than the broker takes."""
    out = Outgoing(topic, record.original_key, record.model_dump_json().encode())
    if fits(out) or record.original_omitted:
        return out
    return dead_letter_message(topic, without_original(record))


@dataclass
class _Assignment(ConsumerRebalanceListener):  # type: ignore[misc]
    assigned: set[TopicPartition] = field(default_factory=set)
    generation: int = 0

    async def on_partitions_revoked(self, revoked: Any) -> None:
        self.assigned -= set(revoked)
        self.generation += 1

    async def on_partitions_assigned(self, assigned: Any) -> None:
        self.assigned |= set(assigned)
        self.generation += 1


async def behind_last_fetch(consumer: AIOKafkaConsumer, tp: TopicPartition, timeout: float) -> bool:
    """Whether ``tp`` had records past the consumer's position at its last fetch.  False when
    that cannot be told within ``timeout`` seconds (the position is being reset) or the
    partition went away meanwhile: the poll goes on without it."""
    if tp not in consumer.assignment():
        return False  # revoked since the poll
    end = consumer.highwater(tp)
    if end is None or timeout <= 0:
        return False
    try:
        position = await asyncio.wait_for(consumer.position(tp), timeout)
    except (KafkaError, TimeoutError):
        return False
    return bool(end > position)


async def _fetched(
    consumer: AIOKafkaConsumer, tp: TopicPartition, limit: int, wait: float = 0.0
) -> list[Any]:
    """Up to ``limit`` records of ``tp``: those fetched already, or the first to arrive within
    ``wait`` seconds (none for a partition the consumer no longer holds)."""
    got = await consumer.getmany(tp, timeout_ms=max(0, int(wait * 1000)), max_records=limit)
    return list(got.get(tp, ()))


async def _fetched_or_on_the_way(
    consumer: AIOKafkaConsumer, tp: TopicPartition, limit: int, deadline: float
) -> list[Any]:
    """:func:`_fetched` now, or — when ``tp``'s last fetch showed records past the position
    that have not arrived yet — the first of them to arrive before ``deadline`` (the event
    loop's clock: one wait shared by every partition of a poll)."""
    more = await _fetched(consumer, tp, limit)
    clock = asyncio.get_running_loop().time
    if not more and await behind_last_fetch(consumer, tp, deadline - clock()):
        more = await _fetched(consumer, tp, limit, wait=deadline - clock())
    return more


@dataclass
class ConsumerLoop:
    """Consume ``topics`` in group ``group``; hand batches to ``handler``; commit after it."""

    settings: Settings
    service: str
    topics: list[str]
    group: str
    handler: BatchHandler
    dead_letters: Any  # Publisher: dead-letter records are published through it
    batch_size: int = 500
    poll_ms: int = 200
    whole_poll: bool = False
    """Hand the handler everything one poll returned, from every partition, as one batch (and
    commit the partitions together): for handlers whose cost is mostly per batch, such as the
    store's one transaction.  Otherwise one batch per partition."""
    event_time: Callable[[Any], int | None] | None = None
    """A record's event time (:func:`services.core.polling.header_time`): a whole poll then
    takes each :attr:`merge_step` records from the partition furthest behind, by the event
    time of the last record taken from it (:meth:`_poll_in_event_time`; the batch stays
    grouped by partition), for handlers that keep histories in time order and the stages
    before them.  Without it a whole poll takes an equal share of each partition; without
    ``whole_poll`` it is not used (a plain ``getmany``, one batch per partition)."""
    merge_step: int = 16
    """Records taken from one partition at a time by a poll in event time."""
    listener: _Assignment = field(default_factory=_Assignment)
    consumed: int = 0
    _consumer: AIOKafkaConsumer | None = None
    _merge: EventTimeMerge[TopicPartition, Any] | None = None
    """Where each partition is in event time (polls in event time), for the assignment of
    :attr:`_merge_generation`."""
    _merge_generation: int = -1
    _lag_series: set[str] = field(default_factory=set)
    """The partitions whose lag this loop exports (those it was last assigned)."""

    def __post_init__(self) -> None:
        if self.batch_size < 1 or self.merge_step < 1:
            raise ValueError(
                f"batch_size={self.batch_size}, merge_step={self.merge_step}: both must be ≥ 1"
            )

    @property
    def ready(self) -> bool:
        return self._consumer is not None and bool(self.listener.assigned)

    async def lag(self) -> dict[str, int]:
        """Messages behind the end of each assigned partition."""
        consumer = self._consumer
        if consumer is None or not self.listener.assigned:
            return {}
        parts = sorted(self.listener.assigned)
        ends = await consumer.end_offsets(parts)
        result = {}
        for tp in parts:
            try:
                position = await consumer.position(tp)
            except Exception:
                continue
            result[f"{tp.topic}:{tp.partition}"] = max(0, ends[tp] - position)
        return result

    async def run(self, stop: asyncio.Event) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap_of(self.settings),
            group_id=self.group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=self.batch_size,
            fetch_max_bytes=32 * 1024 * 1024,
            max_partition_fetch_bytes=MAX_MESSAGE_BYTES,
            session_timeout_ms=10000,
            heartbeat_interval_ms=1000,
            max_poll_interval_ms=600000,
        )
        await _start_with_backoff(consumer, f"{self.service} consumer")
        consumer.subscribe(self.topics, listener=self.listener)
        self._consumer = consumer
        next_lag_report = 0.0
        try:
            while not stop.is_set():
                batches = await self._poll(consumer)
                slices = (
                    [[r for records in batches.values() for r in records]]
                    if self.whole_poll and batches
                    else list(batches.values())
                )
                for records in slices:
                    if stop.is_set():
                        break  # the rest is uncommitted: handed back to the group
                    messages = [_message(r) for r in records]
                    await self._handle_with_retry(consumer, messages, stop)
                now = asyncio.get_running_loop().time()
                if now >= next_lag_report:
                    next_lag_report = now + LAG_REPORT_EVERY
                    await self._report_lag()
        finally:
            self._consumer = None
            await consumer.stop()

    async def _poll(self, consumer: AIOKafkaConsumer) -> dict[TopicPartition, list[Any]]:
        """One poll of at most ``batch_size`` records; a whole poll takes an equal share of each
        assigned partition (and shares out the room that idle partitions leave).

        aiokafka's ``getmany`` drains the fetched partitions one after the other, so a poll of a
        backlog would be the next ``batch_size`` records of one partition, far more time than
        the other partitions' share: the store would then meet every other partition's facts
        late, each a re-fold of its commitment's history.  Equal shares keep a poll a slice of
        the same stretch of time on every partition, as they were published.  A partition
        whose next records are on the way is waited for, all of them within one ``poll_ms``; a
        rebalance during the poll hands nothing on (see :meth:`_poll_in_event_time`).  With an
        :attr:`event_time`, a poll takes its records in event time instead.
        """
        polled: dict[TopicPartition, list[Any]]
        if not self.whole_poll:
            polled = await consumer.getmany(timeout_ms=self.poll_ms)
            return polled
        if self.event_time is not None:
            return await self._poll_in_event_time(consumer, self.event_time)
        polled = await consumer.getmany(timeout_ms=self.poll_ms, max_records=self._share())
        if not polled:
            return polled
        generation = self.listener.generation
        share = self._share()  # the poll may have joined the group: the assignment is new
        for tp, records in polled.items():
            if len(records) > share:
                consumer.seek(tp, records[share].offset)  # the rest comes with later polls
                del records[share:]
        deadline = asyncio.get_running_loop().time() + self.poll_ms / 1000
        for tp in sorted(self.listener.assigned):
            room = share - len(polled.get(tp, ()))
            if room <= 0:
                continue
            more = await _fetched_or_on_the_way(consumer, tp, room, deadline)
            if more:
                polled.setdefault(tp, []).extend(more)
        await self._share_out_room(consumer, polled, share)
        return polled if self.listener.generation == generation else {}  # as in event time

    async def _poll_in_event_time(
        self, consumer: AIOKafkaConsumer, event_time: Callable[[Any], int | None]
    ) -> dict[TopicPartition, list[Any]]:
        """One poll of at most ``batch_size`` records: the first to come, alone, from whichever
        partition the broker gives, then :attr:`merge_step` at a time from the partition
        furthest behind in event time (:class:`EventTimeMerge`, kept from poll to poll while
        the assignment stands): the partitions stay abreast in the news, not in record counts.
        A partition whose next records are on the way is waited for, all of them within one
        ``poll_ms``; one that has nothing more is left out of the rest of the poll.  A
        rebalance during the poll hands nothing on: the partitions restart from their committed
        offsets (aiokafka rebalances eagerly), where the records taken are fetched again."""
        # the first record to come, from any partition (a longer wait when there is none)
        first = await consumer.getmany(timeout_ms=self.poll_ms, max_records=1)
        if not first:
            return {}
        generation = self.listener.generation
        if self._merge is None or self._merge_generation != generation:
            self._merge, self._merge_generation = EventTimeMerge(event_time), generation
        merge = self._merge
        merge.start()
        for tp, records in first.items():
            merge.add(tp, records)
        deadline = asyncio.get_running_loop().time() + self.poll_ms / 1000
        open_ = sorted(self.listener.assigned)
        while merge.total < self.batch_size and self.listener.generation == generation:
            tp = merge.furthest_behind(open_)
            if tp is None:
                break
            wanted = min(self.merge_step, self.batch_size - merge.total)
            more = await _fetched_or_on_the_way(consumer, tp, wanted, deadline)
            if more:
                merge.add(tp, more)
            else:
                open_.remove(tp)  # nothing more for now
        return merge.polled if self.listener.generation == generation else {}

    async def _share_out_room(
        self, consumer: AIOKafkaConsumer, polled: dict[TopicPartition, list[Any]], share: int
    ) -> None:
        """Give the room that partitions without records left to those that filled their share
        (records already fetched only, in equal parts): a lone partition's backlog still moves
        ``batch_size`` records a poll, and several backlogged partitions stay abreast."""
        room = self.batch_size - sum(map(len, polled.values()))
        full = [tp for tp in sorted(polled) if len(polled[tp]) >= share]
        while room > 0 and full:
            each = max(1, room // len(full))
            still = []
            for tp in full:
                wanted = min(each, room)
                if wanted <= 0:
                    break
                got = await _fetched(consumer, tp, wanted)
                polled[tp].extend(got)
                room -= len(got)
                if len(got) == wanted:
                    still.append(tp)
            full = still

    def _share(self) -> int:
        return max(1, self.batch_size // max(1, len(self.listener.assigned)))

    async def _report_lag(self) -> None:
        try:
            lags = await self.lag()
        except KafkaError:
            return
        for partition, lag in lags.items():
            metrics.CONSUMER_LAG.labels(service=self.service, partition=partition).set(lag)
        for gone in self._lag_series - set(lags):  # another instance reports these now
            metrics.CONSUMER_LAG.remove(self.service, gone)
        self._lag_series = set(lags)

    async def _handle_with_retry(
        self, consumer: AIOKafkaConsumer, batch: list[Message], stop: asyncio.Event
    ) -> None:
        firsts: dict[TopicPartition, int] = {}
        ends: dict[TopicPartition, int] = {}
        counts: Counter[TopicPartition] = Counter()
        for message in batch:
            tp = TopicPartition(message.topic, message.partition)
            firsts.setdefault(tp, message.offset)
            ends[tp] = message.offset + 1
            counts[tp] += 1
        delays = backoff_delays(cap=10.0)
        generation = self.listener.generation
        tries = 0
        while True:
            try:
                await self._handle(batch)
                break
            except RetryableError as exc:
                tries += 1
                split = tries % SPLIT_AFTER == 0 and len(batch) > 1
                if split and await self._split(batch, stop):
                    break
                delay = await anext(delays)
                log.warning(
                    "retryable failure, backing off",
                    extra={"service": self.service, "error": str(exc), "delay_s": round(delay, 2),
                           "partitions": sorted(f"{tp.topic}:{tp.partition}" for tp in ends)},
                )  # fmt: skip
                if stop.is_set():
                    # Hand the batch back: nothing was committed, the next owner redoes it.
                    for tp, first in firsts.items():
                        consumer.seek(tp, first)
                    return
                await asyncio.sleep(delay)
        self.consumed += len(batch)
        for tp, count in counts.items():
            metrics.CONSUMED.labels(service=self.service, topic=tp.topic).inc(count)
        if generation != self.listener.generation:
            # partitions moved during the batch: their new owners redo them idempotently
            ends = {tp: end for tp, end in ends.items() if tp in self.listener.assigned}
        if ends:
            await self._commit(consumer, ends)

    async def _commit(self, consumer: AIOKafkaConsumer, offsets: dict[TopicPartition, int]) -> None:
        delays = backoff_delays(cap=5.0)
        for _ in range(20):
            try:
                await consumer.commit(offsets)
                return
            except KafkaError as exc:
                # A failed commit only means a redelivery later, which handlers absorb.
                log.warning("offset commit failed: %s", exc, extra={"service": self.service})
                offsets = {tp: end for tp, end in offsets.items() if tp in self.listener.assigned}
                if not offsets:
                    return
                await asyncio.sleep(await anext(delays))

    async def _handle(self, batch: list[Message]) -> None:
        started = asyncio.get_running_loop().time()
        try:
            await self.handler(batch)
        except RetryableError:
            raise
        except Exception:
            for message in batch:
                await self._handle_one(message)
        finally:
            metrics.BATCH_SECONDS.labels(service=self.service).observe(
                asyncio.get_running_loop().time() - started
            )

    async def _split(self, batch: list[Message], stop: asyncio.Event) -> bool:
        """A batch that kept failing as retryable (every :data:`SPLIT_AFTER` tries), handled
        one message at a time: whether it is done.  When the first :data:`OUTAGE_AFTER` fail
        and none goes through, the failure is the dependency's (a database away) and the batch
        is tried again later, whole.  When others go through, a message
        still failing after :data:`MESSAGE_TRIES` of its own is a message no retry will pass
        (a row the database refuses for good, misread as transient) when a message that went
        through goes through again right after: it is dead-lettered, not allowed to hold every
        partition of the poll for ever.  When that fails too, the database is away again, and
        the batch waits whole."""
        failing: list[tuple[Message, RetryableError]] = []
        passed: list[Message] = []
        for message in batch:
            if stop.is_set():
                return False
            try:
                await self._handle([message])
                passed.append(message)
            except RetryableError as exc:
                failing.append((message, exc))
                if not passed and len(failing) >= OUTAGE_AFTER:
                    return False  # the first ones all fail: the dependency is away
        if not passed:
            return False
        for message, error in failing:
            delays = backoff_delays(cap=10.0)
            for _ in range(MESSAGE_TRIES):
                if stop.is_set():
                    return False
                await asyncio.sleep(await anext(delays))
                try:
                    await self._handle([message])
                    break
                except RetryableError as again:
                    error = again
            else:
                try:  # is the dependency there now?  A message that went through goes again
                    await self._handle([passed[-1]])  # (a no-op: the handlers are idempotent)
                except RetryableError:
                    return False  # it is away: an outage, the batch waits for it whole
                await self._dead_letter(message, PersistentFailure(
                    f"a retryable failure persisted through {SPLIT_AFTER + MESSAGE_TRIES} tries "
                    f"while the rest of its batch went through: {error}"
                ))  # fmt: skip
        return True

    async def _handle_one(self, message: Message) -> None:
        try:
            await self.handler([message])
        except RetryableError:
            raise
        except Exception as exc:
            await self._dead_letter(message, exc)

    async def _dead_letter(self, message: Message, exc: Exception) -> None:
        """Send ``message`` to this consumer's dead-letter topic with ``exc`` as the reason."""
        record = dead_letter(message, self.service, exc)
        log.error(
            "dead-lettered message",
            extra={"service": self.service, "topic": message.topic,
                   "partition": message.partition, "offset": message.offset,
                   "key": (message.key_text or "")[:200], "reason": record.error.reason},
        )  # fmt: skip
        dlq = Topics(self.settings.topic_prefix).dead_letter(self.service)
        try:
            await self.dead_letters.publish_many([dead_letter_message(dlq, record)])
        except MessageTooLarge:  # a dead-letter topic made elsewhere, with a lower limit
            omitted = without_original(record)
            await self.dead_letters.publish_many([dead_letter_message(dlq, omitted)])
        metrics.DEAD_LETTERED.labels(service=self.service, topic=message.topic).inc()


def _message(record: Any) -> Message:
    return Message(
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        key=record.key,
        value=record.value if record.value is not None else b"",
        headers=tuple((k, b"" if v is None else bytes(v)) for k, v in (record.headers or ())),
        timestamp_ms=record.timestamp or 0,
    )


class LagProbe:
    """Committed lag of consumer groups, asked over one consumer and one admin client kept open
    for as many questions as the caller has.  Here a question over a new pair (opened, asked,
    closed) took ≈7.5 ms of this process's CPU and ≈120 ms; over an open pair ≈1.2 ms and
    ≈5.5 ms."""

    def __init__(self, settings: Settings) -> None:
        bootstrap = bootstrap_of(settings)
        self._consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
        self._admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)

    async def __aenter__(self) -> LagProbe:
        await self._consumer.start()
        try:
            await self._admin.start()
        except BaseException:
            await self._consumer.stop()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            await self._admin.close()
        finally:
            await self._consumer.stop()

    async def lag(self, group: str, topics: Sequence[str]) -> int:
        """Messages in ``topics`` that consumer group ``group`` has not committed yet."""
        partitions = await topic_partitions(self._admin, topics)
        if not partitions:
            return 0
        ends = await self._consumer.end_offsets(partitions)
        try:
            committed = await self._admin.list_consumer_group_offsets(group, partitions=partitions)
        except KafkaError:
            committed = {}  # no coordinator for the group yet: nothing committed
        lag = 0
        for tp in partitions:
            meta = committed.get(tp)
            position = meta.offset if meta is not None and meta.offset >= 0 else 0
            lag += max(0, ends[tp] - position)
        return lag


async def committed_lag(settings: Settings, group: str, topics: Sequence[str]) -> int:
    """Messages in ``topics`` that consumer group ``group`` has not committed yet (one question:
    :class:`LagProbe` for several)."""
    async with LagProbe(settings) as probe:
        return await probe.lag(group, topics)


async def topic_partitions(
    admin: AIOKafkaAdminClient, topics: Sequence[str]
) -> list[TopicPartition]:
    """Every partition of the existing ones among ``topics``."""
    described = await admin.describe_topics(list(topics))
    return [
        TopicPartition(str(info["topic"]), int(part["partition"]))
        for info in described
        if not info.get("error_code")
        for part in info.get("partitions", ())
    ]
