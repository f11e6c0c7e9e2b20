"""Answers and failures that once kept a delivery from ever settling, on SQLite and PostgreSQL:
each is recorded as an attempt, and the delivery follows its schedule to an end."""

from __future__ import annotations

from datetime import timedelta

import pytest
from alerts_helpers import (
    Factory,
    MakeSettings,
    Receiver,
    Reply,
    StartReceiver,
    always,
    delivery_of,
    endpoint_of,
    make_change,
    publish,
    running_worker,
    script,
    subscribe,
)

from services.alerts import repository
from services.alerts.payload import webhook_id
from services.alerts.service import wait_settled
from services.alerts.tables import Endpoint
from services.core.config import Settings
from services.core.db import transaction, utcnow


@pytest.fixture
def settings(make_settings: MakeSettings, db_url: str) -> Settings:
    return make_settings(
        database_url=db_url, webhook_retry_schedule="0,0.2s,0.2s", webhook_timeout=2.0
    )


async def deliver_one_change(
    factory: Factory, settings: Settings, receiver: Receiver
) -> tuple[repository.DeliveryView, list[repository.AttemptView]]:
    """One change to a new endpoint at ``receiver``, delivered until it settles."""
    endpoint_id, _ = subscribe(factory, receiver.url)
    change = make_change()
    async with running_worker(factory, settings):
        await publish(factory, settings, change)
        assert await wait_settled(factory, timeout=5)
    return delivery_of(factory, webhook_id(change.id, endpoint_id))


async def test_an_answer_with_a_nul_byte_is_recorded_and_delivered(
    factory: Factory, settings: Settings, receivers: StartReceiver
) -> None:
    receiver = await receivers(always(Reply(200, body=b"ok\x00done")))
    delivery, attempts = await deliver_one_change(factory, settings, receiver)
    assert delivery.state == "delivered"
    assert [a.response_body for a in attempts] == ["ok\ufffddone"]
    assert len(receiver.requests) == 1


async def test_a_retry_after_that_is_no_number_leaves_the_schedule_in_charge(
    factory: Factory, settings: Settings, receivers: StartReceiver
) -> None:
    busy = Reply(503, headers=(("Retry-After", "²"),))  # 0xB2 on the wire
    receiver = await receivers(script(busy, Reply(200)))
    delivery, attempts = await deliver_one_change(factory, settings, receiver)
    assert delivery.state == "delivered"
    assert [(a.status_code, a.outcome) for a in attempts] == [(503, "retry"), (200, "delivered")]


async def test_an_attempt_that_crashes_is_recorded_and_gives_up_on_schedule(
    factory: Factory,
    settings: Settings,
    receivers: StartReceiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*_args: object) -> dict[str, str]:
        raise RuntimeError("a bug in signing")

    monkeypatch.setattr("services.alerts.service.webhook_headers", broken)
    receiver = await receivers(always(Reply(200)))
    delivery, attempts = await deliver_one_change(factory, settings, receiver)
    assert delivery.state == "failed"
    assert [(a.error_class, a.outcome) for a in attempts] == [
        ("crashed", "retry"),
        ("crashed", "retry"),
        ("crashed", "give_up"),
    ]
    assert receiver.requests == []


@pytest.mark.parametrize(
    ("last_failure", "disabled"),
    [(timedelta(hours=2), True), (timedelta(days=6), False)],
    ids=["failing all along", "one failure a week ago"],
)
async def test_an_endpoint_is_disabled_only_after_a_run_of_failures_as_long_as_the_window(
    factory: Factory,
    make_settings: MakeSettings,
    db_url: str,
    receivers: StartReceiver,
    last_failure: timedelta,
    disabled: bool,
) -> None:
    settings = make_settings(
        database_url=db_url, webhook_retry_schedule="0", webhook_disable_after="5d"
    )
    receiver = await receivers(always(Reply(502)))
    endpoint_id, _ = subscribe(factory, receiver.url)
    now = utcnow()
    with transaction(factory) as session:
        endpoint = session.get(Endpoint, endpoint_id)
        assert endpoint is not None
        endpoint.failing_since = now - timedelta(days=6)
        endpoint.last_failure_at = now - last_failure

    async with running_worker(factory, settings):
        await publish(factory, settings, make_change())
        assert await wait_settled(factory, timeout=5)

    found = endpoint_of(factory, endpoint_id)
    assert (found.status == "disabled") is disabled
    if not disabled:
        assert found.failing_since is not None and found.failing_since >= now
