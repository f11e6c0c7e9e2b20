"""Nothing lost, nothing doubled: queueing from the consumer, restarts and a killed worker."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from alerts_helpers import (
    Factory,
    MakeSettings,
    Received,
    Receiver,
    Reply,
    StartReceiver,
    always,
    delivery_of,
    make_change,
    publish,
    running_worker,
    subscribe,
)
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from services.alerts import repository
from services.alerts.errors import BadChange, RotationInProgress
from services.alerts.payload import webhook_id
from services.alerts.service import make_handler, wait_settled
from services.alerts.tables import TABLES, Endpoint
from services.core.bus import Message
from services.core.config import Settings
from services.core.db import (
    Base,
    DatabaseUnavailable,
    make_engine,
    session_factory,
    transaction,
    utcnow,
)
from services.core.models import Delta

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def settings(make_settings: MakeSettings, db_url: str) -> Settings:
    return make_settings(database_url=db_url, webhook_retry_schedule="0,0.2s,0.4s")


def _queued(factory: Factory, endpoint_id: str) -> list[repository.DeliveryView]:
    with transaction(factory) as session:
        return repository.list_deliveries(session, endpoint_id)


async def test_a_redelivered_batch_queues_each_delivery_once(
    factory: Factory, settings: Settings
) -> None:
    first, _ = subscribe(factory, "http://127.0.0.1:9/a")
    second, _ = subscribe(factory, "http://127.0.0.1:9/b")
    changes = [make_change(n) for n in range(3)]

    await publish(factory, settings, *changes)
    await publish(factory, settings, *changes)  # the consumer crashed before committing
    await publish(factory, settings, changes[0], make_change(3))

    for endpoint_id in (first, second):
        ids = {d.id for d in _queued(factory, endpoint_id)}
        assert ids == {webhook_id(make_change(n).id, endpoint_id) for n in range(4)}


async def test_only_matching_enabled_endpoints_get_a_delivery(
    factory: Factory, settings: Settings
) -> None:
    everything, _ = subscribe(factory, "http://127.0.0.1:9/all")
    amd_only, _ = subscribe(factory, "http://127.0.0.1:9/amd", orgs=["AMD"])
    big_only, _ = subscribe(factory, "http://127.0.0.1:9/big", min_delta_pct=50)
    switched_off, _ = subscribe(factory, "http://127.0.0.1:9/off")
    with transaction(factory) as session:
        repository.disable_endpoint(session, switched_off, utcnow())

    await publish(
        factory,
        settings,
        make_change(1),
        make_change(2, kind="reaffirmed", delta=None),
        make_change(3, delta=Delta(absolute=60000, relative=1.2)),
        make_change(4, notify=False, replay_id="replay-1"),
    )

    assert {d.event_id for d in _queued(factory, everything)} == {
        make_change(1).id,
        make_change(3).id,
    }
    assert _queued(factory, amd_only) == []
    assert [d.event_id for d in _queued(factory, big_only)] == [make_change(3).id]
    assert _queued(factory, switched_off) == []


async def test_a_replay_batch_that_reaches_nobody_takes_no_database_round(
    settings: Settings, tmp_path: Path
) -> None:
    schemaless = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")  # any query would fail
    factory = sessionmaker(schemaless)
    replayed = [make_change(n, notify=False, replay_id="replay-1") for n in range(3)]
    try:
        await publish(factory, settings, *replayed)  # nothing to queue: no query made
        with pytest.raises(DatabaseUnavailable):
            await publish(factory, settings, *replayed, make_change(3))
    finally:
        schemaless.dispose()


async def test_a_message_that_is_not_a_change_is_a_terminal_error(
    factory: Factory, settings: Settings
) -> None:
    handler = make_handler(factory, settings)
    with pytest.raises(BadChange):
        await handler([Message("ledger.changes.v1", 0, 0, b"k", b'{"id": "nope"}')])


async def test_deliveries_queued_while_no_worker_runs_are_sent_after_a_restart(
    factory: Factory, settings: Settings, receivers: StartReceiver
) -> None:
    receiver = await receivers(always(Reply(200)))
    subscribe(factory, receiver.url)
    await publish(factory, settings, *(make_change(n) for n in range(5)))
    assert not await wait_settled(factory, timeout=0.2)

    async with running_worker(factory, settings):
        await receiver.wait_for(5)
        assert await wait_settled(factory, timeout=5)

    assert len({r.webhook_id for r in receiver.requests}) == len(receiver.requests) == 5


async def test_a_worker_killed_between_sending_and_recording_resends_once_and_loses_nothing(
    factory: Factory, settings: Settings, db_url: str, receivers: StartReceiver
) -> None:
    answered = asyncio.Event()

    async def hold_the_first(receiver: Receiver, _request: Received) -> Reply:
        if len(receiver.requests) == 1:
            await answered.wait()  # the worker is killed while waiting for this answer
        return Reply(200)

    receiver = await receivers(hold_the_first)
    subscribe(factory, receiver.url)
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "INFRALEDGER_DATABASE_URL": db_url,
        "INFRALEDGER_ALLOW_NETWORKS": "127.0.0.0/8",
        "INFRALEDGER_WEBHOOK_RETRY_SCHEDULE": "0,0.2s,0.4s",
    }
    worker = await asyncio.create_subprocess_exec(
        sys.executable,
        str(Path(__file__).with_name("alerts_worker_process.py")),
        "1.0",
        env=env,
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert worker.stdout is not None
        assert await asyncio.wait_for(worker.stdout.readline(), 30) == b"ready\n"
        await publish(factory, settings, make_change(1))
        [sent] = await receiver.wait_for(1, timeout=20)
    finally:
        worker.send_signal(signal.SIGKILL)
        await worker.wait()
    answered.set()
    delivery, _ = delivery_of(factory, sent.webhook_id)
    assert (delivery.state, delivery.attempts) == ("sending", 1)

    async with running_worker(factory, settings, lease=1.0):
        await publish(factory, settings, make_change(2))
        await receiver.wait_for(3, timeout=10)
        assert await wait_settled(factory, timeout=10)

    ids = [r.webhook_id for r in receiver.requests]
    assert ids.count(sent.webhook_id) == 2  # the original and exactly one re-send
    assert len(ids) == 3 and len(set(ids)) == 2  # and the later change, once
    delivery, attempts = delivery_of(factory, sent.webhook_id)
    assert delivery.state == "delivered"
    assert [(a.number, a.outcome, a.error_class) for a in attempts] == [
        (1, "lost", "worker_lost"),
        (2, "delivered", None),
    ]


async def test_an_expired_lease_of_an_endpoint_at_its_limit_does_not_make_the_worker_spin(
    factory: Factory, settings: Settings
) -> None:
    endpoint_id, _ = subscribe(factory, "http://127.0.0.1:9/busy")
    await publish(factory, settings, make_change())
    with transaction(factory) as session:  # a worker of another replica claims it, then dies
        [claim], _ = repository.claim_due(session, utcnow(), {}, 4, lease=0.0)

    with transaction(factory) as session:  # this worker has the endpoint's every slot in use
        claims, next_due = repository.claim_due(session, utcnow(), {endpoint_id: 0}, 4, 30.0)
    assert claims == []
    assert next_due is None  # not the expired lease: nothing to take until a slot frees

    with transaction(factory) as session:  # a slot freed: the expired lease is taken over
        [again], _ = repository.claim_due(session, utcnow(), {endpoint_id: 1}, 4, 30.0)
    assert again.webhook_id == claim.webhook_id


async def test_an_attempt_orphaned_on_a_disabled_endpoint_settles_as_failed(
    factory: Factory, settings: Settings
) -> None:
    endpoint_id, _ = subscribe(factory, "http://127.0.0.1:9/gone")
    await publish(factory, settings, make_change())
    with transaction(factory) as session:  # a worker claims it, then dies
        [claim], _ = repository.claim_due(session, utcnow(), {}, 4, lease=0.0)
        repository.disable_endpoint(session, endpoint_id, utcnow())
    assert not await wait_settled(factory, timeout=0.1)

    with transaction(factory) as session:  # the next worker's first look
        assert repository.claim_due(session, utcnow(), {}, 4, lease=30.0) == ([], None)

    assert await wait_settled(factory, timeout=1)
    delivery, _ = delivery_of(factory, claim.webhook_id)
    assert (delivery.state, delivery.last_error) == ("failed", "endpoint disabled")


async def test_two_workers_on_one_database_send_each_delivery_once(
    factory: Factory, settings: Settings, receivers: StartReceiver
) -> None:
    receiver = await receivers(always(Reply(200, delay=0.01)))
    subscribe(factory, receiver.url)
    subscribe(factory, receiver.url + "?second")

    async with running_worker(factory, settings), running_worker(factory, settings):
        await publish(factory, settings, *(make_change(n) for n in range(15)))
        await receiver.wait_for(30)
        assert await wait_settled(factory, timeout=10)

    ids = [r.webhook_id for r in receiver.requests]
    assert len(ids) == len(set(ids)) == 30


async def test_a_database_outage_pauses_delivery_without_losing_or_doubling(
    factory: Factory,
    settings: Settings,
    receivers: StartReceiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    receiver = await receivers(always(Reply(200)))
    subscribe(factory, receiver.url)
    await publish(factory, settings, make_change(1), make_change(2))
    real_record = repository.record_attempt
    outages = {"claim": 2, "record": 2}

    def flaky(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            if outages[name]:
                outages[name] -= 1
                raise DatabaseUnavailable(f"{name}: connection refused")
            return real(*args, **kwargs)

        return call

    monkeypatch.setattr(repository, "claim_due", flaky("claim", repository.claim_due))
    monkeypatch.setattr(repository, "record_attempt", flaky("record", real_record))

    async with running_worker(factory, settings, poll_interval=0.05):
        await receiver.wait_for(2)
        assert await wait_settled(factory, timeout=5)

    assert outages == {"claim": 0, "record": 0}
    ids = [r.webhook_id for r in receiver.requests]
    assert len(ids) == len(set(ids)) == 2


def test_two_rotations_at_once_on_postgresql_give_one_secret_and_one_refusal(pg_url: str) -> None:
    """Without a row lock the second rotation read the endpoint before the first committed,
    and overwrote the first caller's secret: a secret handed out that signs nothing."""
    engine = make_engine(pg_url)
    Base.metadata.create_all(engine, tables=list(TABLES))
    factory = session_factory(engine)
    try:
        endpoint_id, _ = subscribe(factory, "http://127.0.0.1:9/in")
        first_rotated = threading.Event()
        outcomes: dict[str, object] = {}

        def first() -> None:
            with transaction(factory) as session:
                outcomes["first"] = repository.rotate_secret(session, endpoint_id, utcnow())[1]
                first_rotated.set()
                time.sleep(0.5)  # still uncommitted while the second one starts

        def second() -> None:
            first_rotated.wait(5)
            try:
                with transaction(factory) as session:
                    outcomes["second"] = repository.rotate_secret(session, endpoint_id, utcnow())
            except RotationInProgress as exc:
                outcomes["second"] = exc

        threads = [threading.Thread(target=first), threading.Thread(target=second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        assert isinstance(outcomes["second"], RotationInProgress)
        with transaction(factory) as session:
            [stored] = session.execute(select(Endpoint.secret)).scalars()
        assert stored == outcomes["first"]  # the secret handed out is the one that signs
    finally:
        engine.dispose()
