"""The consumer loop on the real broker: commit after effect, retries, dead letters."""

from __future__ import annotations

import asyncio
import base64
import os
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic, RecordsToDelete
from aiokafka.errors import IllegalStateError, KafkaError
from prometheus_client import REGISTRY

from services.core.bus import (
    MAX_MESSAGE_BYTES,
    BatchHandler,
    MemoryBus,
    Message,
    MessageTooLarge,
    Outgoing,
)
from services.core.config import Settings
from services.core.errors import RetryableError
from services.core.kafka import (
    ConsumerLoop,
    LagProbe,
    behind_last_fetch,
    committed_lag,
    dead_letter,
    dead_letter_message,
    ensure_topics,
    kafka_publisher,
    record_lifetime,
)
from services.core.models import DeadLetterV1
from services.core.polling import header_time
from services.core.topics import HEADER_EFFECTIVE_AT, Topics
from services.dlq.reader import (
    mark_retried,
    not_yet_retried,
    read_dead_letters,
    retried_up_to,
)


async def read_all(
    settings: Settings, topic: str, expected: int, timeout: float = 30
) -> list[bytes]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=settings.kafka_bootstrap, auto_offset_reset="earliest",
        group_id=None, enable_auto_commit=False,
    )  # fmt: skip
    await consumer.start()
    values: list[bytes] = []
    try:
        async with asyncio.timeout(timeout):
            while len(values) < expected:
                batches = await consumer.getmany(timeout_ms=200)
                values += [r.value for records in batches.values() for r in records]
    finally:
        await consumer.stop()
    return values


async def one_partition(
    make_settings: Callable[..., Settings], kafka_bootstrap: str
) -> tuple[Settings, Topics]:
    """Settings of a test's own topics, of one partition each, created on the broker."""
    settings = make_settings(kafka_bootstrap=kafka_bootstrap, partitions=1)
    await ensure_topics(settings)
    return settings, Topics(settings.topic_prefix)


def failing_on_poison(handled: list[bytes]) -> BatchHandler:
    """A handler that cannot parse a message starting with ``poison`` and keeps the others."""

    async def handler(batch: Sequence[Message]) -> None:
        if any(m.value.startswith(b"poison") for m in batch):
            raise ValueError("cannot parse this")
        handled.extend(m.value for m in batch)

    return handler


async def run_until(loop: ConsumerLoop, condition: Callable[[], bool], timeout: float = 60) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(loop.run(stop))
    try:
        async with asyncio.timeout(timeout):
            while not condition():
                await asyncio.sleep(0.05)
                if task.done():
                    task.result()
    finally:
        stop.set()
        await task


async def test_every_message_is_handled_and_committed(
    kafka_bootstrap: str, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(kafka_bootstrap=kafka_bootstrap)
    topic = Topics(settings.topic_prefix).articles
    await ensure_topics(settings)
    seen: list[bytes] = []

    async def handler(batch: Sequence[Message]) -> None:
        seen.extend(m.value for m in batch)

    async with kafka_publisher(settings) as publisher, LagProbe(settings) as probe:
        await publisher.publish_many([Outgoing(topic, str(i), f"m{i}".encode()) for i in range(50)])
        assert await probe.lag("g-all", [topic]) == 50  # the group has committed nothing yet
        assert await probe.lag("g-all", [f"{topic}.absent"]) == 0  # no such topic
        loop = ConsumerLoop(settings, "extractor", [topic], "g-all", handler, publisher)
        await run_until(loop, lambda: len(seen) >= 50)
        assert await probe.lag("g-all", [topic]) == 0  # asked again over the same clients

    assert sorted(seen) == sorted(f"m{i}".encode() for i in range(50))
    assert await committed_lag(settings, "g-all", [topic]) == 0


async def test_a_header_without_a_value_reads_as_empty_and_the_record_flows(
    kafka_bootstrap: str, make_settings: Callable[..., Settings]
) -> None:
    """Kafka allows a header with a null value (another producer's); it once crashed the loop
    before its handler, at every restart."""
    settings, topics = await one_partition(make_settings, kafka_bootstrap)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(
            topics.articles, b"value", key=b"k", headers=[("from-elsewhere", None)]
        )
    finally:
        await producer.stop()
    seen: list[Message] = []

    async def handler(batch: Sequence[Message]) -> None:
        seen.extend(batch)

    async with kafka_publisher(settings) as publisher:
        loop = ConsumerLoop(settings, "extractor", [topics.articles], "g-null", handler, publisher)
        await run_until(loop, lambda: len(seen) >= 1)
    assert [(m.value, m.headers) for m in seen] == [(b"value", (("from-elsewhere", b""),))]


async def whole_polls(
    settings: Settings,
    group: str,
    count: int,
    batch_size: int = 500,
    key: Callable[[int], str] = lambda i: f"key-{i}",
) -> list[Sequence[Message]]:
    """The batches a whole-poll loop in ``group`` hands over for ``count`` messages published
    before it starts (values ``m0``, ``m1``, …; keys ``key(i)``), once all of them are handled
    and committed."""
    topic = Topics(settings.topic_prefix).articles
    await ensure_topics(settings)
    batches: list[Sequence[Message]] = []

    async def handler(batch: Sequence[Message]) -> None:
        batches.append(batch)

    async with kafka_publisher(settings) as publisher:
        await publisher.publish_many(
            [Outgoing(topic, key(i), f"m{i}".encode()) for i in range(count)]
        )
        loop = ConsumerLoop(
            settings, "store", [topic], group, handler, publisher, batch_size=batch_size,
            whole_poll=True,
        )  # fmt: skip
        await run_until(loop, lambda: sum(map(len, batches)) >= count)
    seen = [m.value for batch in batches for m in batch]
    assert sorted(seen) == sorted(f"m{i}".encode() for i in range(count))
    assert await committed_lag(settings, group, [topic]) == 0
    return batches


async def test_whole_poll_hands_several_partitions_at_once_and_commits_them_all(
    kafka_bootstrap: str, make_settings: Callable[..., Settings]
) -> None:
    batches = await whole_polls(make_settings(kafka_bootstrap=kafka_bootstrap), "g-whole", 50)
    assert max(len({m.partition for m in batch}) for batch in batches) > 1


async def test_whole_poll_of_a_backlog_takes_an_equal_share_of_every_partition(
    kafka_bootstrap: str, make_settings: Callable[..., Settings]
) -> None:
    """A backlog published in order is consumed as slices of the same stretch on every
    partition, not as one partition's next batch after another's (the store would meet every
    other partition's facts late)."""
    settings = make_settings(kafka_bootstrap=kafka_bootstrap)
    batches = await whole_polls(settings, "g-fair", 300, batch_size=30)
    shares = [Counter(m.partition for m in batch) for batch in batches]
    left = Counter(m.partition for batch in batches for m in batch)
    for share in shares:  # more than a share only once another partition has nothing left
        left -= share
        if all(left[p] > 0 for p in range(3)):
            assert max(share.values()) <= 30 // 3
    assert max(len(share) for share in shares) == 3


async def test_a_lone_partitions_backlog_still_moves_a_whole_batch_a_poll(
    kafka_bootstrap: str, make_settings: Callable[..., Settings]
) -> None:
    """The room the idle partitions leave goes to the one with records: 300 records on one
    of three partitions take about ten batches of 30, not thirty of 10."""
    settings = make_settings(kafka_bootstrap=kafka_bootstrap)
    batches = await whole_polls(settings, "g-lone", 300, batch_size=30, key=lambda i: "same")
    assert len({m.partition for batch in batches for m in batch}) == 1
    assert len(batches) <= 12


async def lateness(
    settings: Settings, topic: str, group: str, event_time: Callable[[object], int | None] | None
) -> int:
    """How late the records a whole-poll loop (batches of 30, steps of 3) in ``group`` hands
    over come at worst: how much older than the newest record of an earlier batch, by their
    ``infraledger-effective-at`` header — late facts make the store re-fold a history that
    far back.  Every record is handled once and committed."""
    batches: list[Sequence[Message]] = []

    async def handler(batch: Sequence[Message]) -> None:
        batches.append(batch)

    async with kafka_publisher(settings) as publisher:
        loop = ConsumerLoop(
            settings, "store", [topic], group, handler, publisher, batch_size=30,
            whole_poll=True, event_time=event_time, merge_step=3,
        )  # fmt: skip
        await run_until(loop, lambda: sum(map(len, batches)) >= 300)
    seen = [m.value for batch in batches for m in batch]
    assert sorted(seen) == sorted(f"m{i}".encode() for i in range(300))
    assert await committed_lag(settings, group, [topic]) == 0
    worst, newest = 0, 0
    for batch in batches:
        times = [int(m.header(HEADER_EFFECTIVE_AT) or 0) for m in batch]
        worst = max(worst, newest - min(times))
        newest = max(newest, *times)
    return worst


async def test_polls_in_event_time_keep_the_partitions_abreast_in_the_news(
    kafka_bootstrap: str, make_settings: Callable[..., Settings]
) -> None:
    """Partition 0 carries twice the news per hour of partitions 1 and 2.  Equal shares of a
    backlog take partitions 1 and 2 further ahead of partition 0 with every poll, and its
    records reach the handler ever later; taken in event time, none is later than the news
    in one step of another partition."""
    settings = make_settings(kafka_bootstrap=kafka_bootstrap)
    topic = Topics(settings.topic_prefix).facts
    await ensure_topics(settings)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        news = [(0, at) for at in range(150)] + [(p, at) for p in (1, 2) for at in range(0, 150, 2)]
        for i, (partition, at) in enumerate(sorted(news, key=lambda item: item[1])):
            header = [(HEADER_EFFECTIVE_AT, str(at).encode())]
            await producer.send(topic, f"m{i}".encode(), partition=partition, headers=header)
        await producer.flush()
    finally:
        await producer.stop()
    assert await lateness(settings, topic, "g-shares", None) >= 40
    assert await lateness(settings, topic, "g-event-time", header_time) <= 8


class PartitionBehind:
    """A consumer whose partition 0 had records up to offset 10 at its last fetch; asking its
    position runs ``position``."""

    def __init__(self, position: Callable[[], Awaitable[int]]) -> None:
        self.tp = TopicPartition("t", 0)
        self._position = position

    def assignment(self) -> set[TopicPartition]:
        return {self.tp}

    def highwater(self, tp: TopicPartition) -> int:
        return 10

    async def position(self, tp: TopicPartition) -> int:
        return await self._position()


async def test_a_partition_behind_its_last_fetch_is_waited_for() -> None:
    async def at_four() -> int:
        return 4

    consumer = PartitionBehind(at_four)
    assert await behind_last_fetch(consumer, consumer.tp, 0.2)
    assert not await behind_last_fetch(consumer, consumer.tp, 0)


async def test_a_partition_revoked_or_resetting_mid_poll_is_not_waited_for() -> None:
    """The poll goes on without it: no exception escapes, no wait past the poll's own."""

    async def revoked() -> int:
        raise IllegalStateError("No current assignment for partition t-0")

    async def resetting() -> int:
        await asyncio.sleep(60)
        return 0

    for position in (revoked, resetting):
        consumer = PartitionBehind(position)
        async with asyncio.timeout(5):
            assert not await behind_last_fetch(consumer, consumer.tp, 0.1)


async def test_poison_message_goes_to_dead_letter_topic_and_the_rest_flows(
    kafka_bootstrap: str, make_settings: Callable[..., Settings]
) -> None:
    settings, topics = await one_partition(make_settings, kafka_bootstrap)
    handled: list[bytes] = []
    handler = failing_on_poison(handled)

    async with kafka_publisher(settings) as publisher:
        values = [b"ok-1", b"poison \xff\xfe", b"ok-2", b"ok-3"]
        await publisher.publish_many([Outgoing(topics.articles, "k", v) for v in values])
        loop = ConsumerLoop(settings, "extractor", [topics.articles], "g-dlq", handler, publisher)
        await run_until(loop, lambda: len(handled) >= 3)

    assert handled == [b"ok-1", b"ok-2", b"ok-3"]
    (raw,) = await read_all(settings, topics.dead_letter("extractor"), 1)
    record = DeadLetterV1.model_validate_json(raw)
    assert record.error.kind == "ValueError" and "cannot parse" in record.error.reason
    assert base64.b64decode(record.value_b64) == b"poison \xff\xfe"
    assert record.topic == topics.articles and record.offset == 1
    assert await committed_lag(settings, "g-dlq", [topics.articles]) == 0


async def test_a_batch_holding_a_message_too_large_for_the_broker_sends_none_of_it(
    kafka_bootstrap: str, make_settings: Callable[..., Settings]
) -> None:
    settings, topics = await one_partition(make_settings, kafka_bootstrap)
    topic = topics.articles
    async with kafka_publisher(settings) as publisher:
        batch = [Outgoing(topic, "a", b"fine"), Outgoing(topic, "b", b"x" * MAX_MESSAGE_BYTES)]
        with pytest.raises(MessageTooLarge, match="none of its batch was sent"):
            await publisher.publish_many(batch)
        await publisher.publish_many([Outgoing(topic, "c", b"after")])
    assert await read_all(settings, topic, 1) == [b"after"]


async def test_a_topic_made_with_a_lower_limit_refuses_a_message_as_too_large_not_unavailable(
    kafka_bootstrap: str, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(kafka_bootstrap=kafka_bootstrap, partitions=1)
    topic = Topics(settings.topic_prefix).articles
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        small = {"max.message.bytes": str(1024 * 1024)}
        await admin.create_topics([NewTopic(topic, 1, 1, topic_configs=small)])
    finally:
        await admin.close()
    async with kafka_publisher(settings) as publisher:
        with pytest.raises(MessageTooLarge, match="refused a message as too large"):
            await publisher.publish_many([Outgoing(topic, "k", os.urandom(2 * 1024 * 1024))])
        async with asyncio.timeout(30):  # the producer goes on: the next messages are taken
            await publisher.publish_many([Outgoing(topic, "k", b"after")])
            await publisher.publish_many([Outgoing(topic, "k", b"and more")])
    assert await read_all(settings, topic, 2) == [b"after", b"and more"]


async def test_a_message_whose_output_outgrows_the_broker_is_dead_lettered_not_retried(
    kafka_bootstrap: str, make_settings: Callable[..., Settings]
) -> None:
    settings, topics = await one_partition(make_settings, kafka_bootstrap)
    big = b"x" * (6 * 1024 * 1024)  # taken on the input topic; doubled, too large for the output

    async with kafka_publisher(settings) as publisher:

        async def handler(batch: Sequence[Message]) -> None:
            await publisher.publish_many(
                [Outgoing(topics.facts, m.key_text or "", m.value * 2) for m in batch]
            )

        values = [b"ok-1", big, b"ok-2"]
        await publisher.publish_many([Outgoing(topics.articles, "k", v) for v in values])
        loop = ConsumerLoop(settings, "extractor", [topics.articles], "g-big", handler, publisher)
        await run_until(loop, lambda: loop.consumed >= 3)

    assert set(await read_all(settings, topics.facts, 2)) == {b"ok-1" * 2, b"ok-2" * 2}
    (raw,) = await read_all(settings, topics.dead_letter("extractor"), 1)
    record = DeadLetterV1.model_validate_json(raw)
    assert record.error.kind == "MessageTooLarge" and record.offset == 1
    assert record.original_omitted  # 6 MiB in base64 would not fit: it points to offset 1
    assert await committed_lag(settings, "g-big", [topics.articles]) == 0


async def test_a_dead_letter_its_topic_refuses_as_too_large_goes_without_its_original(
    kafka_bootstrap: str, make_settings: Callable[..., Settings]
) -> None:
    settings, topics = await one_partition(make_settings, kafka_bootstrap)
    handled: list[bytes] = []
    handler = failing_on_poison(handled)
    dead_letters = MemoryBus(max_message_bytes=1024 * 1024)  # made elsewhere
    async with kafka_publisher(settings) as publisher:
        values = [b"poison" + b"x" * (2 * 1024 * 1024), b"ok"]
        await publisher.publish_many([Outgoing(topics.articles, "k", v) for v in values])
        loop = ConsumerLoop(
            settings, "extractor", [topics.articles], "g-small", handler, dead_letters
        )
        await run_until(loop, lambda: handled == [b"ok"])

    (sent,) = dead_letters.topics[topics.dead_letter("extractor")]
    record = DeadLetterV1.model_validate_json(sent.value)
    assert record.original_omitted and (record.topic, record.offset) == (topics.articles, 0)
    assert record.error.kind == "ValueError"


async def test_retryable_failure_is_retried_not_dead_lettered(
    kafka_bootstrap: str, make_settings: Callable[..., Settings]
) -> None:
    settings, topics = await one_partition(make_settings, kafka_bootstrap)
    failures = 2
    handled: list[bytes] = []

    async def handler(batch: Sequence[Message]) -> None:
        nonlocal failures
        if failures:
            failures -= 1
            raise RetryableError("database briefly away")
        handled.extend(m.value for m in batch)

    async with kafka_publisher(settings) as publisher:
        await publisher.publish_many([Outgoing(topics.articles, "k", b"only")])
        loop = ConsumerLoop(settings, "extractor", [topics.articles], "g-retry", handler, publisher)
        await run_until(loop, lambda: bool(handled))

    assert handled == [b"only"] and failures == 0
    assert await committed_lag(settings, "g-retry", [topics.articles]) == 0
    assert await committed_lag(settings, "g-none", [topics.dead_letter("extractor")]) == 0


async def test_a_message_failing_as_retryable_for_good_is_dead_lettered_not_holding_the_rest(
    kafka_bootstrap: str, make_settings: Callable[..., Settings]
) -> None:
    """A row the database refuses for good reads as retryable (an integrity or program-limit
    error); alone it once held every partition of the poll for ever."""
    settings, topics = await one_partition(make_settings, kafka_bootstrap)
    handled: list[bytes] = []

    async def handler(batch: Sequence[Message]) -> None:
        if any(m.value == b"sticky" for m in batch):
            raise RetryableError("index row size exceeds the maximum")
        handled.extend(m.value for m in batch)

    values = [b"a", b"sticky", b"b", b"c"]
    async with kafka_publisher(settings) as publisher:
        await publisher.publish_many([Outgoing(topics.articles, "k", v) for v in values])
        articles = [topics.articles]
        loop = ConsumerLoop(settings, "extractor", articles, "g-sticky", handler, publisher)
        await run_until(loop, lambda: loop.consumed >= 4, timeout=120)

    assert list(dict.fromkeys(handled)) == [b"a", b"b", b"c"]  # c once more: the probe
    (raw,) = await read_all(settings, topics.dead_letter("extractor"), 1)
    record = DeadLetterV1.model_validate_json(raw)
    assert (record.error.kind, record.offset) == ("PersistentFailure", 1)
    assert "index row size" in record.error.reason
    assert await committed_lag(settings, "g-sticky", [topics.articles]) == 0


async def test_an_outage_is_waited_out_and_nothing_is_dead_lettered(
    kafka_bootstrap: str, make_settings: Callable[..., Settings]
) -> None:
    settings, topics = await one_partition(make_settings, kafka_bootstrap)
    handled: list[bytes] = []
    failures = 8  # the 5 tries before a split, then its first 3 messages: an outage

    async def handler(batch: Sequence[Message]) -> None:
        nonlocal failures
        if failures > 0:
            failures -= 1
            raise RetryableError("database away")
        handled.extend(m.value for m in batch)

    values = [b"a", b"b", b"c", b"d", b"e"]
    async with kafka_publisher(settings) as publisher:
        await publisher.publish_many([Outgoing(topics.articles, "k", v) for v in values])
        articles = [topics.articles]
        loop = ConsumerLoop(settings, "extractor", articles, "g-outage", handler, publisher)
        await run_until(loop, lambda: len(handled) == 5, timeout=120)

    assert sorted(handled) == sorted(values)
    assert await committed_lag(settings, "g-outage", [topics.articles]) == 0
    assert await committed_lag(settings, "g-none", [topics.dead_letter("extractor")]) == 0


async def test_a_topics_record_lifetime_is_its_retention_plus_a_segment_or_for_ever(
    kafka_bootstrap: str, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(kafka_bootstrap=kafka_bootstrap)
    day, hour = 86_400_000, 3_600_000
    kinds = {
        "changes": {"retention.ms": str(30 * day), "segment.ms": str(7 * day)},
        "forever": {"retention.ms": "-1"},
        "compacted": {"cleanup.policy": "compact"},
        "short": {"retention.ms": str(hour), "segment.ms": str(hour)},
    }
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(settings.topic_prefix + k, 1, 1, topic_configs=c) for k, c in kinds.items()]
        )
    finally:
        await admin.close()

    lifetimes = {k: await record_lifetime(settings, settings.topic_prefix + k) for k in kinds}

    assert lifetimes == {"changes": 37 * 86_400.0, "forever": None, "compacted": None,
                         "short": 7_200.0}  # fmt: skip
    with pytest.raises(KafkaError):
        await record_lifetime(settings, settings.topic_prefix + "no-such-topic")


async def test_dead_letters_are_read_from_each_partitions_log_start(
    kafka_bootstrap: str, make_settings: Callable[..., Settings]
) -> None:
    """A dead-letter partition whose records all passed the retention (its log start at its
    end) once kept `dlq list|show|retry` waiting for records that no longer exist."""
    settings, topics = await one_partition(make_settings, kafka_bootstrap)
    extractor, store = (TopicPartition(topics.dead_letter(c), 0) for c in ("extractor", "store"))
    record = dead_letter(Message(topics.articles, 0, 1, b"k", b"bad"), "extractor", ValueError("x"))
    async with kafka_publisher(settings) as publisher:
        for dlq in (extractor, store):
            await publisher.publish_many([dead_letter_message(dlq.topic, record)] * 2)
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:  # what the retention does: the extractor's both, the store's first
        await admin.delete_records({extractor: RecordsToDelete(2), store: RecordsToDelete(1)})
    finally:
        await admin.close()

    async with asyncio.timeout(20):
        entries = await read_dead_letters(settings, timeout=5)

    assert [e.ref for e in entries] == [f"{store.topic}:0:1"]
    assert entries[0].reason == "x"


async def test_retry_all_sends_only_what_was_dead_lettered_since_the_last_retry_all(
    kafka_bootstrap: str, make_settings: Callable[..., Settings]
) -> None:
    settings, topics = await one_partition(make_settings, kafka_bootstrap)
    dlq = topics.dead_letter("extractor")
    record = dead_letter(Message(topics.articles, 0, 1, b"k", b"bad"), "extractor", ValueError("x"))
    async with kafka_publisher(settings) as publisher:
        await publisher.publish_many([dead_letter_message(dlq, record)] * 2)
        first = await read_dead_letters(settings, timeout=5)
        assert not_yet_retried(first, await retried_up_to(settings)) == first  # none yet
        await mark_retried(settings, first)  # what `dlq retry --all` does after sending them
        await publisher.publish_many([dead_letter_message(dlq, record)])  # failed again

    later = await read_dead_letters(settings, timeout=5)
    assert [e.ref for e in not_yet_retried(later, await retried_up_to(settings))] == [f"{dlq}:0:2"]


async def test_the_lag_of_a_partition_lost_in_a_rebalance_is_no_longer_exported(
    make_settings: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another instance exports it now: a stale copy here would be summed with its."""
    settings = make_settings()
    loop = ConsumerLoop(settings, "lagtest", ["t"], "g", failing_on_poison([]), MemoryBus())
    assignments = iter([{"t:0": 5, "t:1": 3}, {"t:1": 2}])

    async def lag() -> dict[str, int]:
        return next(assignments)

    monkeypatch.setattr(loop, "lag", lag)

    def exported(partition: str) -> float | None:
        labels = {"service": "lagtest", "partition": partition}
        return REGISTRY.get_sample_value("infraledger_consumer_lag", labels)

    await loop._report_lag()
    assert (exported("t:0"), exported("t:1")) == (5, 3)
    await loop._report_lag()  # t:0 went to another instance
    assert (exported("t:0"), exported("t:1")) == (None, 2)
