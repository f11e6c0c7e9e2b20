"""The crawler's SSRF guard protects webhook delivery too (no traffic leaves loopback)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest
from alerts_helpers import (
    Factory,
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

from services.alerts.errors import InvalidSubscription
from services.alerts.repository import validate_url
from services.alerts.service import wait_settled
from services.alerts.tables import Delivery
from services.core.config import Settings
from services.core.netguard import BlockedAddress, GuardedTransport, check_address


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.0.0.8", "192.168.1.1", "169.254.169.254", "::1", "::ffff:10.0.0.1",
     "fd00:ec2::254", "100.64.0.1", "0.0.0.0"],
)  # fmt: skip
def test_the_guard_refuses_internal_addresses(address: str) -> None:
    with pytest.raises(BlockedAddress):
        check_address(address)


def test_the_allow_list_opens_exactly_its_networks() -> None:
    check_address("127.0.0.1", ["127.0.0.0/8"])
    with pytest.raises(BlockedAddress):
        check_address("10.0.0.1", ["127.0.0.0/8"])


@pytest.mark.parametrize(
    "url", ["http://169.254.169.254/latest/meta-data", "http://10.0.0.1/", "http://[::1]:80/"]
)
def test_subscribing_an_internal_ip_literal_is_refused_up_front(url: str) -> None:
    with pytest.raises(InvalidSubscription):
        validate_url(url, ())


def test_host_names_are_accepted_at_subscription_and_checked_at_connection() -> None:
    assert validate_url("https://hooks.example/in", ()) == "https://hooks.example/in"
    assert validate_url("http://127.0.0.1:8080/x", ["127.0.0.0/8"]) == "http://127.0.0.1:8080/x"


async def test_a_loopback_endpoint_is_blocked_at_connect_time_without_the_allow_list(
    factory: Factory,
    make_settings: Callable[..., Settings],
    db_url: str,
    receivers: StartReceiver,
) -> None:
    settings = make_settings(
        database_url=db_url, allow_networks="", webhook_retry_schedule="0,0.1s"
    )
    receiver = await receivers(always(Reply(200)))
    subscribe(factory, receiver.url)  # subscribed while allowed, e.g. before a config change

    async with running_worker(factory, settings):
        await publish(factory, settings, make_change())
        assert await wait_settled(factory, timeout=5)

    assert receiver.requests == []
    [delivery] = _all_deliveries(factory)
    _, attempts = delivery_of(factory, delivery)
    assert [a.error_class for a in attempts] == ["blocked_address", "blocked_address"]


async def test_a_name_resolving_to_a_private_address_is_blocked_after_dns(
    factory: Factory, make_settings: Callable[..., Settings], db_url: str
) -> None:
    settings = make_settings(database_url=db_url, webhook_retry_schedule="0")

    async def resolver(host: str, port: int) -> Sequence[str]:
        return ["10.20.30.40"] if host == "hooks.example" else []

    subscribe(factory, "http://hooks.example/in")
    transport = GuardedTransport(settings.allow_networks, resolver)
    async with running_worker(factory, settings, transport=transport):
        await publish(factory, settings, make_change())
        assert await wait_settled(factory, timeout=5)

    [delivery] = _all_deliveries(factory)
    _, attempts = delivery_of(factory, delivery)
    assert [(a.status_code, a.error_class) for a in attempts] == [(None, "blocked_address")]


def _all_deliveries(factory: Factory) -> list[str]:
    with factory() as session:
        return list(session.scalars(select(Delivery.webhook_id)))
