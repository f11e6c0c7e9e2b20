"""Rewinding a consumer group to a time on the real broker: a dry-run plan, then the rewind."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import pytest

from services.core.bus import Message, Outgoing
from services.core.config import Settings
from services.core.kafka import ConsumerLoop, committed_lag, ensure_topics, kafka_publisher
from services.core.topics import Topics
from services.replay.offsets import apply_rewind, plan_rewind, render_plan, rewind_target


async def consume_all(settings: Settings, group: str, expected: int) -> list[bytes]:
    topic = Topics(settings.topic_prefix).articles
    seen: list[bytes] = []

    async def handler(batch: Sequence[Message]) -> None:
        seen.extend(m.value for m in batch)

    async with kafka_publisher(settings) as publisher:
        loop = ConsumerLoop(settings, "extractor", [topic], group, handler, publisher)
        stop = asyncio.Event()
        task = asyncio.create_task(loop.run(stop))
        async with asyncio.timeout(60):
            while len(seen) < expected or await committed_lag(  # noqa: ASYNC110 - broker state
                settings, group, [topic]
            ):
                await asyncio.sleep(0.1)
        stop.set()
        await task
    return seen


async def test_a_group_rewound_to_a_time_re_consumes_exactly_what_came_after_it(
    kafka_bootstrap: str, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(kafka_bootstrap=kafka_bootstrap, partitions=2)
    topic = Topics(settings.topic_prefix).articles
    await ensure_topics(settings)
    async with kafka_publisher(settings) as publisher:
        await publisher.publish_many(
            [Outgoing(topic, f"k{i}", f"old{i}".encode()) for i in range(6)]
        )
        await asyncio.sleep(0.05)
        boundary = datetime.now(UTC)
        await asyncio.sleep(0.05)
        await publisher.publish_many(
            [Outgoing(topic, f"k{i}", f"new{i}".encode()) for i in range(4)]
        )
    assert len(await consume_all(settings, "g-rewind", 10)) == 10

    plan = await plan_rewind(settings, "g-rewind", boundary)
    printed = render_plan("g-rewind", plan)
    assert sum(step.messages for step in plan) == 4
    assert "4 messages to re-consume" in printed
    assert await committed_lag(settings, "g-rewind", [topic]) == 0  # a plan changes nothing

    await apply_rewind(settings, "g-rewind", plan)
    assert await committed_lag(settings, "g-rewind", [topic]) == 4
    again = await consume_all(settings, "g-rewind", 4)
    assert sorted(again) == sorted(f"new{i}".encode() for i in range(4))

    future = await plan_rewind(settings, "g-rewind", datetime(2100, 1, 1, tzinfo=UTC))
    assert [(s.target, s.messages) for s in future] == [(s.current, 0) for s in future]


@pytest.mark.parametrize(
    ("current", "at_time", "end", "target"),
    [
        (100, 40, 120, 40),  # back to the first record at the time
        (100, 110, 120, 100),  # a time past the group's position: it stays
        (100, None, 120, 100),  # a time past every record: it stays, not to the end
        (-1, None, 120, 120),  # nothing committed: the end
        (-1, 40, 120, 40),
    ],
)
def test_a_rewind_never_moves_a_group_forward(
    current: int, at_time: int | None, end: int, target: int
) -> None:
    assert rewind_target(current, at_time, end) == target
