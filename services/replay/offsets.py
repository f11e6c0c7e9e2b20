"""Rewinding a consumer group to a point in time (``infraledger replay offsets``).

The plan is computed first (pure data, printed by ``--dry-run``); applying it commits the new
offsets for the group, which must have no running members (stop its service first, as with
Kafka's own ``kafka-consumer-groups --reset-offsets``).  Idempotent handlers make the
re-consumed range a no-op except where the code changed, e.g. a newer extractor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import OffsetAndMetadata

from services.core.config import Settings
from services.core.kafka import bootstrap_of
from services.replay.errors import ReplayTerminal


@dataclass(frozen=True)
class Rewind:
    topic: str
    partition: int
    current: int
    target: int

    @property
    def messages(self) -> int:
        return max(0, self.current - self.target)


async def plan_rewind(settings: Settings, group: str, to_time: datetime) -> list[Rewind]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_of(settings))
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_of(settings), group_id=None)
    await admin.start()
    await consumer.start()
    try:
        committed = await admin.list_consumer_group_offsets(group)
        if not committed:
            raise ReplayTerminal(f"consumer group {group!r} has no committed offsets")
        partitions = sorted(committed)
        stamp = int(to_time.timestamp() * 1000)
        found = await consumer.offsets_for_times({tp: stamp for tp in partitions})
        ends = await consumer.end_offsets(partitions)
        plan = []
        for tp in partitions:
            hit = found.get(tp)
            target = hit.offset if hit is not None else ends[tp]
            plan.append(Rewind(tp.topic, tp.partition, committed[tp].offset, target))
        return plan
    finally:
        await consumer.stop()
        await admin.close()


async def apply_rewind(settings: Settings, group: str, plan: list[Rewind]) -> None:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_of(settings), group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        parts = [TopicPartition(r.topic, r.partition) for r in plan]
        consumer.assign(parts)
        await consumer.commit(
            {TopicPartition(r.topic, r.partition): OffsetAndMetadata(r.target, "") for r in plan}
        )
    finally:
        await consumer.stop()


def render_plan(group: str, plan: list[Rewind]) -> str:
    lines = [f"group {group}: {sum(r.messages for r in plan)} messages to re-consume"]
    lines += [
        f"  {r.topic}[{r.partition}]  {r.current} -> {r.target}  ({r.messages} messages)"
        for r in plan
    ]
    return "\n".join(lines)
