"""Delivery to real receivers on 127.0.0.1, on SQLite and on PostgreSQL.

Signatures are checked with the reference ``standardwebhooks`` package, not our own code.
"""

from __future__ import annotations

import asyncio
import json
import time
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
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from services.alerts import metrics, repository
from services.alerts.payload import webhook_id
from services.alerts.schedule import Verdict
from services.alerts.service import disabled_by, wait_settled
from services.alerts.tables import Endpoint
from services.core.config import Settings
from services.core.db import transaction, utcnow


@pytest.fixture
def settings(make_settings: MakeSettings, db_url: str) -> Settings:
    return make_settings(
        database_url=db_url, webhook_retry_schedule="0,0.3s,0.6s", webhook_timeout=2.0
    )


async def test_a_change_is_delivered_once_signed_with_the_endpoint_secret(
    factory: Factory, settings: Settings, receivers: StartReceiver
) -> None:
    receiver = await receivers(always(Reply(204)))
    endpoint_id, secret = subscribe(factory, receiver.url)
    change = make_change()

    async with running_worker(factory, settings):
        await publish(factory, settings, change)
        [request] = await receiver.wait_for(1)
        assert await wait_settled(factory, timeout=5)

    event = Webhook(secret).verify(request.body, request.headers)
    assert event["type"] == "ledger.change"
    assert event["data"] == json.loads(change.model_dump_json())
    assert event["subscription"] == {"id": endpoint_id}
    assert request.webhook_id == webhook_id(change.id, endpoint_id)
    assert request.headers["content-type"] == "application/json"
    delivery, attempts = delivery_of(factory, request.webhook_id)
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("delivered", 1, 204)
    assert [(a.number, a.status_code, a.outcome) for a in attempts] == [(1, 204, "delivered")]
    assert attempts[0].latency_ms > 0 and attempts[0].error_class is None
    assert len(receiver.requests) == 1


async def test_fail_twice_then_succeed_follows_the_schedule_exactly(
    factory: Factory, settings: Settings, receivers: StartReceiver
) -> None:
    receiver = await receivers(script(Reply(500, b"boom"), Reply(503), Reply(200)))
    subscribe(factory, receiver.url)

    async with running_worker(factory, settings):
        await publish(factory, settings, make_change())
        first, second, third = await receiver.wait_for(3)
        assert await wait_settled(factory, timeout=5)

    assert first.webhook_id == second.webhook_id == third.webhook_id
    assert 0.3 <= second.at - first.at < 0.3 + 0.25
    assert 0.6 <= third.at - second.at < 0.6 + 0.25
    delivery, attempts = delivery_of(factory, first.webhook_id)
    assert delivery.state == "delivered"
    assert [(a.number, a.status_code, a.outcome) for a in attempts] == [
        (1, 500, "retry"),
        (2, 503, "retry"),
        (3, 200, "delivered"),
    ]
    assert attempts[0].response_body == "boom"
    assert attempts[0].error_class == "http_error"
    await asyncio.sleep(0)
    assert len(receiver.requests) == 3


async def test_failing_after_the_last_retry_gives_up_and_settles(
    factory: Factory, settings: Settings, receivers: StartReceiver
) -> None:
    receiver = await receivers(always(Reply(500)))
    endpoint_id, _ = subscribe(factory, receiver.url)
    before = metrics.DELIVERIES.labels(outcome="give_up")._value.get()

    async with running_worker(factory, settings):
        await publish(factory, settings, make_change())
        assert await wait_settled(factory, timeout=5)

    assert len(receiver.requests) == 3
    [delivery] = repository_deliveries(factory, endpoint_id, failed_only=True)
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("failed", 3, 500)
    assert metrics.DELIVERIES.labels(outcome="give_up")._value.get() == before + 1
    assert endpoint_of(factory, endpoint_id).status == "enabled"


async def test_410_gone_disables_the_endpoint_and_fails_its_queue(
    factory: Factory, settings: Settings, receivers: StartReceiver
) -> None:
    receiver = await receivers(always(Reply(410)))
    endpoint_id, _ = subscribe(factory, receiver.url)
    before = metrics.ENDPOINTS_DISABLED.labels(reason="gone")._value.get()

    async with running_worker(factory, settings, jitter=lambda d: d):
        await publish(factory, settings, make_change(1))
        assert await wait_settled(factory, timeout=5)
        await publish(factory, settings, make_change(2))  # after disabling: not queued
        assert await wait_settled(factory, timeout=5)

    endpoint = endpoint_of(factory, endpoint_id)
    assert endpoint.status == "disabled"
    assert endpoint.disabled_reason is not None and "410" in endpoint.disabled_reason
    assert len(receiver.requests) == 1
    assert [d.state for d in repository_deliveries(factory, endpoint_id)] == ["failed"]
    assert metrics.ENDPOINTS_DISABLED.labels(reason="gone")._value.get() == before + 1


async def test_a_slow_receiver_times_out_and_is_retried(
    factory: Factory, make_settings: MakeSettings, db_url: str, receivers: StartReceiver
) -> None:
    settings = make_settings(
        database_url=db_url, webhook_retry_schedule="0,0.2s", webhook_timeout=0.5
    )
    receiver = await receivers(script(Reply(200, delay=3.0), Reply(200)))
    subscribe(factory, receiver.url)

    async with running_worker(factory, settings):
        await publish(factory, settings, make_change())
        first, second = await receiver.wait_for(2)
        assert await wait_settled(factory, timeout=5)

    assert 0.5 + 0.2 <= second.at - first.at < 0.5 + 0.2 + 0.4
    delivery, attempts = delivery_of(factory, first.webhook_id)
    assert delivery.state == "delivered"
    assert [(a.status_code, a.error_class, a.outcome) for a in attempts] == [
        (None, "timeout", "retry"),
        (200, None, "delivered"),
    ]
    assert 450 <= attempts[0].latency_ms < 1000


async def test_a_dead_endpoint_does_not_delay_a_healthy_one(
    factory: Factory, make_settings: MakeSettings, db_url: str, receivers: StartReceiver
) -> None:
    settings = make_settings(
        database_url=db_url,
        webhook_retry_schedule="0,1s",
        webhook_timeout=3.0,
        webhook_concurrency=2,
    )
    dead = await receivers(always(Reply(200, delay=60.0)))  # accepts, never answers in time
    healthy = await receivers(always(Reply(200)))
    subscribe(factory, dead.url)
    subscribe(factory, healthy.url)
    changes = [make_change(n) for n in range(10)]

    async with running_worker(factory, settings):
        started = time.monotonic()
        await publish(factory, settings, *changes)
        await healthy.wait_for(10, timeout=2.5)
        elapsed = time.monotonic() - started
        assert len(dead.requests) == 2  # its own concurrency limit, nothing more

    assert elapsed < 1.5
    with transaction(factory) as session:
        assert repository.unsettled_count(session) == 10  # the dead endpoint's, retried later


async def test_retry_after_on_429_postpones_the_next_attempt(
    factory: Factory, settings: Settings, receivers: StartReceiver
) -> None:
    receiver = await receivers(script(Reply(429, headers=(("Retry-After", "1"),)), Reply(200)))
    subscribe(factory, receiver.url)

    async with running_worker(factory, settings):
        await publish(factory, settings, make_change())
        first, second = await receiver.wait_for(2, timeout=5)

    assert 1.0 <= second.at - first.at < 1.4


async def test_redirects_are_failures_and_are_not_followed(
    factory: Factory, settings: Settings, receivers: StartReceiver
) -> None:
    target = await receivers(always(Reply(200)))
    receiver = await receivers(script(Reply(302, headers=(("Location", target.url),)), Reply(200)))
    subscribe(factory, receiver.url)

    async with running_worker(factory, settings):
        await publish(factory, settings, make_change())
        first, _ = await receiver.wait_for(2)
        assert await wait_settled(factory, timeout=5)

    assert target.requests == []
    _, attempts = delivery_of(factory, first.webhook_id)
    assert [(a.status_code, a.error_class) for a in attempts] == [(302, "redirect"), (200, None)]


async def test_an_endpoint_failing_longer_than_the_window_is_disabled_visibly(
    factory: Factory, make_settings: MakeSettings, db_url: str, receivers: StartReceiver
) -> None:
    settings = make_settings(
        database_url=db_url,
        webhook_retry_schedule="0,0.2s,0.2s,0.2s,0.2s,0.2s",
        webhook_disable_after="0.5s",
    )
    receiver = await receivers(always(Reply(502)))
    endpoint_id, _ = subscribe(factory, receiver.url)
    before = metrics.ENDPOINTS_DISABLED.labels(reason="failing")._value.get()

    async with running_worker(factory, settings):
        await publish(factory, settings, make_change())
        assert await wait_settled(factory, timeout=5)

    endpoint = endpoint_of(factory, endpoint_id)
    assert endpoint.status == "disabled"
    assert endpoint.disabled_reason is not None and "failing" in endpoint.disabled_reason
    assert 3 <= len(receiver.requests) <= 4  # 0, 0.2, 0.4, (0.6 ≥ 0.5 → disabled)
    assert metrics.ENDPOINTS_DISABLED.labels(reason="failing")._value.get() == before + 1


@pytest.mark.parametrize(
    ("verdict", "reason", "counted_as"),
    [
        (Verdict.GIVE_UP, "failing without a success since 2026-11-29T07:41:05.410123", "failing"),
        (Verdict.RETRY, "failing without a success since 2026-04-10T10:00:00", "failing"),
        (Verdict.DISABLE, "the endpoint answered 410 Gone", "gone"),
    ],
)
def test_a_disabling_is_counted_by_its_verdict_not_by_digits_in_its_reason(
    verdict: Verdict, reason: str, counted_as: str
) -> None:
    assert disabled_by(repository.Recorded(verdict, reason)) == counted_as


async def test_a_success_resets_the_failing_clock(
    factory: Factory, settings: Settings, receivers: StartReceiver
) -> None:
    receiver = await receivers(script(Reply(500), Reply(200)))
    endpoint_id, _ = subscribe(factory, receiver.url)

    async with running_worker(factory, settings):
        await publish(factory, settings, make_change())
        await receiver.wait_for(1)
        assert await wait_settled(factory, timeout=5)

    assert endpoint_of(factory, endpoint_id).failing_since is None


async def test_secret_rotation_signs_with_both_secrets_until_the_window_ends(
    factory: Factory, settings: Settings, receivers: StartReceiver
) -> None:
    receiver = await receivers(always(Reply(200)))
    endpoint_id, old = subscribe(factory, receiver.url)
    with transaction(factory) as session:
        _, new = repository.rotate_secret(session, endpoint_id, utcnow(), timedelta(hours=1))

    async with running_worker(factory, settings):
        await publish(factory, settings, make_change(1))
        [during] = await receiver.wait_for(1)
        with transaction(factory) as session:  # a second rotation with no window
            _, newest = repository.rotate_secret(session, endpoint_id, utcnow(), timedelta(0))
        await publish(factory, settings, make_change(2))
        _, after = await receiver.wait_for(2)

    assert len(during.headers["webhook-signature"].split()) == 2
    Webhook(old).verify(during.body, during.headers)
    Webhook(new).verify(during.body, during.headers)
    assert len(after.headers["webhook-signature"].split()) == 1
    Webhook(newest).verify(after.body, after.headers)
    for stale in (old, new):
        with pytest.raises(WebhookVerificationError):
            Webhook(stale).verify(after.body, after.headers)


def repository_deliveries(
    factory: Factory, endpoint_id: str, failed_only: bool = False
) -> list[repository.DeliveryView]:
    with transaction(factory) as session:
        return repository.list_deliveries(session, endpoint_id, failed_only)


# ---- answers and failures that once kept a delivery from ever settling


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
