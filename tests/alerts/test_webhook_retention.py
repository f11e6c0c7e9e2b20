"""Retention: settled deliveries and their attempts go once older than the retention; nothing
that may still be sent or redelivered goes with them."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from aiokafka.errors import KafkaConnectionError
from alerts_helpers import (
    Factory,
    MakeSettings,
    Reply,
    StartReceiver,
    always,
    make_change,
    publish,
    running_worker,
    subscribe,
)
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from services.alerts.repository import prune_settled
from services.alerts.service import wait_settled
from services.alerts.tables import FAILED, Attempt, Delivery
from services.core.config import Settings
from services.core.db import DatabaseUnavailable, transaction, utcnow
from services.core.errors import ConfigError
from services.core.retention import prune, run_retention

RETENTION = timedelta(days=90)


@pytest.fixture
def settings(make_settings: MakeSettings, db_url: str) -> Settings:
    return make_settings(database_url=db_url, webhook_retry_schedule="0")


async def _delivered(factory: Factory, settings: Settings, receivers: StartReceiver) -> str:
    """Five changes delivered to one endpoint (one attempt each); returns the endpoint's id."""
    receiver = await receivers(always(Reply(200)))
    endpoint_id, _ = subscribe(factory, receiver.url)
    await publish(factory, settings, *(make_change(n) for n in range(5)))
    async with running_worker(factory, settings):
        await receiver.wait_for(5)
        assert await wait_settled(factory, timeout=5)
    return endpoint_id


def _age(factory: Factory, event_ids: list[str], when: datetime, **values: object) -> None:
    with transaction(factory) as session:
        session.execute(
            update(Delivery)
            .where(Delivery.event_id.in_(event_ids))
            .values(updated_at=when, **values)
        )


def _rows(factory: Factory) -> tuple[dict[str, str], int]:
    """event id → state of every delivery, and the number of attempts logged."""
    with transaction(factory) as session:
        states = {e: s for e, s in session.execute(select(Delivery.event_id, Delivery.state))}
        attempts = session.scalar(select(func.count()).select_from(Attempt)) or 0
    return states, attempts


async def test_settled_deliveries_older_than_the_retention_go_with_their_attempts(
    factory: Factory, settings: Settings, receivers: StartReceiver
) -> None:
    await _delivered(factory, settings, receivers)
    old = utcnow() - RETENTION - timedelta(days=1)
    ids = [make_change(n).id for n in range(5)]
    _age(factory, ids[:2], old)  # delivered long ago
    _age(factory, ids[2:3], old, state=FAILED)  # given up long ago
    _age(factory, ids[3:4], old, state="pending")  # due again: still to be sent
    # ids[4]: delivered recently

    deleted = await prune(factory, prune_settled, utcnow() - RETENTION, asyncio.Event(), batch=2)

    assert deleted == 3
    states, attempts = _rows(factory)
    assert states == {ids[3]: "pending", ids[4]: "delivered"}
    assert attempts == 2  # the kept deliveries' attempts


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_a_delivery_being_redelivered_while_the_prune_runs_is_left_alone(
    factory: Factory, settings: Settings, receivers: StartReceiver
) -> None:
    """(PostgreSQL: SQLite's writer holds the whole database, so nothing runs beside a prune.)"""
    await _delivered(factory, settings, receivers)
    ids = [make_change(n).id for n in range(5)]
    _age(factory, ids, utcnow() - RETENTION - timedelta(days=1))
    operator = factory()
    try:  # an operator's redelivery of ids[0], not yet committed, holds its row
        row = operator.scalars(
            select(Delivery).where(Delivery.event_id == ids[0]).with_for_update()
        ).one()

        pruning = prune(factory, prune_settled, utcnow() - RETENTION, asyncio.Event())
        deleted = await asyncio.wait_for(pruning, 10)  # not waiting for the operator's lock

        row.state, row.updated_at = "pending", utcnow()
        operator.commit()
    finally:
        operator.close()
    assert deleted == 4
    assert _rows(factory) == ({ids[0]: "pending"}, 1)


async def test_a_prune_with_nothing_old_enough_deletes_nothing(
    factory: Factory, settings: Settings, receivers: StartReceiver
) -> None:
    await _delivered(factory, settings, receivers)

    assert await prune(factory, prune_settled, utcnow() - RETENTION, asyncio.Event()) == 0
    states, attempts = _rows(factory)
    assert (len(states), attempts) == (5, 5)


async def test_the_retention_task_prunes_on_start_and_ends_when_stopped(
    factory: Factory, settings: Settings, receivers: StartReceiver
) -> None:
    await _delivered(factory, settings, receivers)
    _age(factory, [make_change(n).id for n in range(5)], utcnow() - RETENTION - timedelta(days=1))
    stop, pruned = asyncio.Event(), asyncio.Event()
    loop = asyncio.get_running_loop()

    def prune_and_tell(session: Session, before: datetime, limit: int) -> int:
        deleted = prune_settled(session, before, limit)
        loop.call_soon_threadsafe(pruned.set)
        return deleted

    task = asyncio.create_task(
        run_retention(factory, prune_and_tell, RETENTION.total_seconds(), stop, service="alerts")
    )
    await asyncio.wait_for(pruned.wait(), 10)
    stop.set()

    await asyncio.wait_for(task, 5)  # not an hour: the wait between prunes ends with the stop
    assert _rows(factory) == ({}, 0)


async def test_a_database_outage_during_a_prune_is_waited_out_not_fatal(
    factory: Factory, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[datetime] = []
    tried_twice = asyncio.Event()
    loop = asyncio.get_running_loop()

    def unavailable(_session: Session, before: datetime, _limit: int) -> int:
        calls.append(before)
        if len(calls) == 2:
            loop.call_soon_threadsafe(tried_twice.set)
        raise DatabaseUnavailable("connection refused")

    stop = asyncio.Event()
    task = asyncio.create_task(
        run_retention(factory, unavailable, 86400.0, stop, service="alerts", every=0.05)
    )
    await asyncio.wait_for(tried_twice.wait(), 10)
    stop.set()

    await asyncio.wait_for(task, 5)
    assert "retention: connection refused; trying again later" in caplog.text


async def test_deliveries_outlive_the_changes_topic_whatever_the_setting(
    factory: Factory, settings: Settings, receivers: StartReceiver
) -> None:
    """A delivery row is what keeps a change redelivered by Kafka from being sent twice: while
    the topic may hold the change, its deliveries stay, however short the setting."""
    await _delivered(factory, settings, receivers)
    ids = [make_change(n).id for n in range(5)]
    _age(factory, ids[:2], utcnow() - timedelta(days=40))
    _age(factory, ids[2:4], utcnow() - timedelta(days=20))
    stop = asyncio.Event()
    lifetimes: list[float | None] = [37 * 86400.0, None]  # 30 days + a 7-day segment; for ever

    async def lifetime() -> float | None:
        answer = lifetimes.pop(0)
        if not lifetimes:
            stop.set()
        return answer

    await run_retention(factory, prune_settled, 7 * 86400.0, stop, service="alerts",
                        floor=lifetime, every=0)  # fmt: skip

    states, _ = _rows(factory)
    assert sorted(states) == sorted(ids[2:])  # 40 days old: gone; 20 days: kept (37 + 1 days)


async def test_no_prune_while_the_topic_cannot_say_how_long_it_keeps_records(
    factory: Factory, settings: Settings, receivers: StartReceiver,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    await _delivered(factory, settings, receivers)
    _age(factory, [make_change(n).id for n in range(5)], utcnow() - timedelta(days=400))
    stop = asyncio.Event()

    async def broker_away() -> float | None:
        stop.set()
        raise KafkaConnectionError("no broker")

    await run_retention(factory, prune_settled, RETENTION.total_seconds(), stop,
                        service="alerts", floor=broker_away)  # fmt: skip

    assert len(_rows(factory)[0]) == 5
    assert "cannot read the floor" in caplog.text


@pytest.mark.parametrize("value", ["1h", "23h"])
def test_a_retention_under_a_day_is_refused(make_settings: MakeSettings, value: str) -> None:
    with pytest.raises(ConfigError, match=r"INFRALEDGER_RETENTION: .*at least 1d"):
        make_settings(retention=value)


@pytest.mark.parametrize(("value", "seconds"), [("0", 0.0), ("1d", 86400.0), ("1y", None)])
def test_the_retention_is_a_duration_or_zero_for_keeping_rows_for_ever(
    make_settings: MakeSettings, value: str, seconds: float | None
) -> None:
    if seconds is None:
        with pytest.raises(ConfigError, match=r"INFRALEDGER_RETENTION: .*not a duration"):
            make_settings(retention=value)
    else:
        assert make_settings(retention=value).retention == seconds
        assert make_settings().retention == RETENTION.total_seconds()
