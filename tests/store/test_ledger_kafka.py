"""crash-between-db-and-kafka on the real broker: consumer loop, handler and outbox relay."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import timedelta

import pytest
from aiokafka import AIOKafkaConsumer
from sqlalchemy import func, select

from services.core.bus import Outgoing, Publisher
from services.core.config import Settings
from services.core.db import make_engine, session_factory
from services.core.kafka import ConsumerLoop, ensure_topics, kafka_publisher
from services.core.migrate import upgrade
from services.core.models import ChangeV1
from services.core.topics import Topics
from services.store.service import make_handler, relay_once
from services.store.tables import StoreChange

from .builders import OCT_30, article, extraction, fact

pytestmark = pytest.mark.integration


class Crash(Exception):
    """The process died."""


class AckThenCrash:
    def __init__(self, publisher: Publisher) -> None:
        self.publisher = publisher

    async def publish_many(self, messages: Sequence[Outgoing]) -> None:
        await self.publisher.publish_many(messages)
        raise Crash  # acknowledged by the broker, never marked as published


async def read_topic(settings: Settings, topic: str, expected: int) -> list[bytes]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=settings.kafka_bootstrap,
                                auto_offset_reset="earliest", group_id=None)  # fmt: skip
    await consumer.start()
    values: list[bytes] = []
    try:
        async with asyncio.timeout(60):
            while len(values) < expected:
                batches = await consumer.getmany(timeout_ms=200)
                values += [r.value for records in batches.values() for r in records]
    finally:
        await consumer.stop()
    return values


async def consume_until(loop: ConsumerLoop, done: Callable[[], bool]) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(loop.run(stop))
    try:
        async with asyncio.timeout(90):
            while not done():
                await asyncio.sleep(0.1)
                if task.done():
                    task.result()
    finally:
        stop.set()
        await task


async def test_crash_between_db_and_kafka_on_the_real_broker(
    kafka_bootstrap: str, make_settings: Callable[..., Settings], db_url: str
) -> None:
    settings = make_settings(kafka_bootstrap=kafka_bootstrap, database_url=db_url)
    topics = Topics(settings.topic_prefix)
    await ensure_topics(settings)
    upgrade(db_url)
    engine = make_engine(db_url)
    factory = session_factory(engine)

    def count(model: type[StoreChange]) -> int:
        with factory() as session:
            return session.scalar(select(func.count()).select_from(model)) or 0

    items = [
        extraction(article(f"k{i}", OCT_30 + timedelta(days=i), source=f"s{i}"),
                   fact(50_000 + 10_000 * i), fact(3e9, type="investment", unit="USD",
                                                   subject="hyundai-motor-group"))
        for i in range(6)
    ]  # fmt: skip
    try:
        async with kafka_publisher(settings) as publisher:
            await publisher.publish_many([
                Outgoing(topics.facts, e.article.id, e.model_dump_json().encode()) for e in items
            ])  # fmt: skip
            handler = make_handler(factory, topics)
            first = ConsumerLoop(settings, "store", [topics.facts], "store-a", handler, publisher)
            await consume_until(first, lambda: first.consumed >= len(items))
            changes = count(StoreChange)  # how many depends on the order partitions deliver in
            assert changes >= 7
            with pytest.raises(Crash):
                await relay_once(factory, AckThenCrash(publisher), topics)
            # the restarted process: the whole topic is delivered again, the outbox re-published
            again = ConsumerLoop(settings, "store", [topics.facts], "store-b", handler, publisher)
            await consume_until(again, lambda: again.consumed >= len(items))
            assert count(StoreChange) == changes
            assert await relay_once(factory, publisher, topics) == changes
            assert await relay_once(factory, publisher, topics) == 0
        published = await read_topic(settings, topics.changes, 2 * changes)
        ids = [ChangeV1.model_validate_json(value).id for value in published]
        assert len(ids) == 2 * changes and len(set(ids)) == changes
    finally:
        engine.dispose()
