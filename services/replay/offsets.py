"""Rewinding a consumer group to a point in time (``infraledger replay offsets``).

The plan is computed first (pure data, printed by ``--dry-run``); applying it commits the new
offsets for the group, which must have no running members (stop its service first, as with
Kafka's own ``kafka-consumer-groups --reset-offsets``); it never moves a group forward.
Idempotent handlers make the re-consumed range a no-op except where the code changed, e.g. a
newer extractor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
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


def rewind_target(current: int, at_time: int | None, end: int) -> int:
    """Where a partition's committed offset goes: the first record at or after the time (the
    end when there is none), but never past where the group is — a time after its position
    would skip records it has yet to handle.  ``current`` below 0: nothing committed."""
    target = end if at_time is None else at_time
    return target if current < 0 else min(target, current)


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
            current = committed[tp].offset
            target = rewind_target(current, hit.offset if hit is not None else None, ends[tp])
            plan.append(Rewind(tp.topic, tp.partition, current, target))
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
        targets = {TopicPartition(r.topic, r.partition): r.target for r in plan}
        consumer.assign(list(targets))
        try:
            await consumer.commit({tp: OffsetAndMetadata(at, "") for tp, at in targets.items()})
        except KafkaError as exc:  # the broker refuses commits into a group with live members
            raise ReplayTerminal(
                f"could not move group {group!r} ({exc!r}); stop the service that consumes "
                "with it first"
            ) from exc
    finally:
        await consumer.stop()


def render_plan(group: str, plan: list[Rewind]) -> str:
    lines = [f"group {group}: {sum(r.messages for r in plan)} messages to re-consume"]
    lines += [
        f"  {r.topic}[{r.partition}]  {r.current} -> {r.target}  ({r.messages} messages)"
        for r in plan
    ]
    return "\n".join(lines)
