"""Reading and re-driving dead-letter topics (``infraledger dlq list|show|retry``)."""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import GroupCoordinatorNotAvailableError
from aiokafka.structs import OffsetAndMetadata
from pydantic import ValidationError

from services.core.bus import Outgoing, Publisher
from services.core.config import Settings
from services.core.kafka import bootstrap_of, topic_partitions
from services.core.models import DeadLetterV1
from services.core.topics import Topics

CONSUMERS = ("extractor", "store", "alerts")
HEADER_DLQ_RETRY = "infraledger-dlq-retry"


def retry_group(settings: Settings) -> str:
    """The consumer group whose committed offsets mark how far ``dlq retry --all`` has
    re-driven each dead-letter partition: the next ``--all`` sends only what came since."""
    return f"{settings.group_prefix}-dlq-retry"


@dataclass(frozen=True)
class DeadLetterEntry:
    """One record of a dead-letter topic, addressed as ``topic:partition:offset``."""

    ref: str
    record: DeadLetterV1 | None
    raw: bytes

    @property
    def redrivable(self) -> bool:
        """Whether :func:`retry` can send it: a record carrying its original."""
        return self.record is not None and not self.record.original_omitted

    @property
    def position(self) -> tuple[TopicPartition, int]:
        """Its dead-letter partition and offset."""
        topic, partition, offset = self.ref.rsplit(":", 2)
        return TopicPartition(topic, int(partition)), int(offset)

    @property
    def reason(self) -> str:
        return self.record.error.reason if self.record else "unreadable dead-letter record"


async def read_dead_letters(settings: Settings, timeout: float = 10.0) -> list[DeadLetterEntry]:
    """Every record currently in the consumers' dead-letter topics, oldest first per topic.

    A partition is read from its log start (records older than the retention are gone) to the
    end it had when asked; ``timeout``: seconds without a record before giving up."""
    topics = Topics(settings.topic_prefix)
    names = [topics.dead_letter(c) for c in CONSUMERS]
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_of(settings))
    await admin.start()
    try:
        partitions = await topic_partitions(admin, names)
    finally:
        await admin.close()
    if not partitions:
        return []
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_of(settings), group_id=None, enable_auto_commit=False
    )
    await consumer.start()
    entries: list[DeadLetterEntry] = []
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        starts = await consumer.beginning_offsets(partitions)
        ends = await consumer.end_offsets(partitions)
        remaining = {tp for tp in partitions if ends[tp] > starts[tp]}
        idle_until = asyncio.get_running_loop().time() + timeout
        while remaining:
            batches = await consumer.getmany(*remaining, timeout_ms=200)
            for tp, records in batches.items():
                where = f"{tp.topic}:{tp.partition}"
                entries += (_entry(f"{where}:{r.offset}", r.value) for r in records)
            remaining = {tp for tp in remaining if await consumer.position(tp) < ends[tp]}
            now = asyncio.get_running_loop().time()
            if batches:
                idle_until = now + timeout
            elif remaining and now > idle_until:
                raise TimeoutError(f"no dead letter read for {timeout:.0f} s: {sorted(remaining)}")
    finally:
        await consumer.stop()
    return entries


def not_yet_retried(
    entries: list[DeadLetterEntry], retried: dict[TopicPartition, int]
) -> list[DeadLetterEntry]:
    """The entries at or after where ``dlq retry --all`` last stopped in their partition."""
    return [e for e in entries if e.position[1] >= retried.get(e.position[0], 0)]


async def retried_up_to(settings: Settings) -> dict[TopicPartition, int]:
    """Where ``dlq retry --all`` stopped in each dead-letter partition (the next offset)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_of(settings))
    await admin.start()
    try:
        for attempt in range(20):  # a cluster's first group waits for its offsets topic
            try:
                committed = await admin.list_consumer_group_offsets(retry_group(settings))
                break
            except GroupCoordinatorNotAvailableError:
                if attempt == 19:
                    raise
                await asyncio.sleep(0.5)
    finally:
        await admin.close()
    return {tp: meta.offset for tp, meta in committed.items() if meta.offset >= 0}


async def mark_retried(settings: Settings, entries: list[DeadLetterEntry]) -> None:
    """Record that ``entries`` (and what came before them) were re-driven."""
    ends: dict[TopicPartition, int] = {}
    for entry in entries:
        tp, offset = entry.position
        ends[tp] = max(ends.get(tp, 0), offset + 1)
    if not ends:
        return
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_of(settings),
        group_id=retry_group(settings),
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        consumer.assign(list(ends))
        await consumer.commit({tp: OffsetAndMetadata(at, "") for tp, at in ends.items()})
    finally:
        await consumer.stop()


def _entry(ref: str, value: bytes | None) -> DeadLetterEntry:
    raw = value or b""
    try:
        return DeadLetterEntry(ref, DeadLetterV1.model_validate_json(raw), raw)
    except ValidationError:
        return DeadLetterEntry(ref, None, raw)


async def retry(entries: list[DeadLetterEntry], publisher: Publisher) -> int:
    """Publish each record's original bytes back to its original topic; return the count (a
    record without its original, too large to copy, is left out)."""
    outgoing = []
    for entry in entries:
        record = entry.record
        if record is None or not entry.redrivable:
            continue
        headers = {**record.headers, HEADER_DLQ_RETRY: entry.ref}
        original = base64.b64decode(record.value_b64)
        outgoing.append(Outgoing(record.topic, record.original_key, original, headers))
    await publisher.publish_many(outgoing)
    return len(outgoing)
