"""The SSRF guard, tested by calling it (no traffic leaves the machine)."""

from __future__ import annotations

import asyncio
import socket
import threading

import pytest

from services.core.errors import TerminalError
from services.core.netguard import (
    BlockedAddress,
    check_address,
    resolve_and_check,
    system_resolver,
)

BLOCKED = [
    "127.0.0.1",
    "127.8.9.10",
    "::1",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",
    "169.254.1.1",
    "fe80::1",
    "fd00:ec2::254",
    "fc00::1",
    "100.64.0.1",
    "100.100.100.200",
    "192.0.0.192",
    "0.0.0.0",
    "::",
    "224.0.0.1",
    "ff02::1",
    "255.255.255.255",
    "240.0.0.1",
    "198.18.0.1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "64:ff9b::a9fe:a9fe",
    "2002:7f00:1::1",
    "2002:a9fe:a9fe::1",
]
PUBLIC = ["8.8.8.8", "1.1.1.1", "211.234.10.10", "2001:4860:4860::8888"]


@pytest.mark.parametrize("ip", BLOCKED)
def test_guard_refuses_internal_and_metadata_addresses(ip: str) -> None:
    with pytest.raises(BlockedAddress):
        check_address(ip, ())


@pytest.mark.parametrize("ip", PUBLIC)
def test_guard_accepts_public_addresses(ip: str) -> None:
    check_address(ip, ())


def test_allow_list_exempts_only_its_networks() -> None:
    check_address("127.0.0.1", ("127.0.0.0/8",))
    check_address("::ffff:127.0.0.1", ("127.0.0.0/8",))
    with pytest.raises(BlockedAddress):
        check_address("10.0.0.1", ("127.0.0.0/8",))
    with pytest.raises(BlockedAddress):
        check_address("169.254.169.254", ("127.0.0.0/8",))


def test_blocked_address_is_terminal_and_garbage_is_blocked() -> None:
    assert issubclass(BlockedAddress, TerminalError)
    with pytest.raises(BlockedAddress):
        check_address("not-an-ip", ())


async def test_resolution_checks_every_answer() -> None:
    async def resolver(host: str, port: int) -> list[str]:
        return {"good.test": ["8.8.8.8"], "mixed.test": ["8.8.8.8", "10.0.0.5"]}[host]

    assert await resolve_and_check("good.test", 80, (), resolver) == ["8.8.8.8"]
    with pytest.raises(BlockedAddress):
        await resolve_and_check("mixed.test", 80, (), resolver)
    with pytest.raises(BlockedAddress):
        await resolve_and_check("169.254.169.254", 80, (), resolver)
    with pytest.raises(BlockedAddress):
        await resolve_and_check("[::1]", 80, (), resolver)


async def test_name_servers_that_never_answer_do_not_hold_the_database_threads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Lookups run on threads of their own: the default executor, where the services' database
    calls run (``asyncio.to_thread``), stays free while every lookup hangs.  (No lookup leaves
    the machine: ``getaddrinfo`` is replaced.)"""
    answer = threading.Event()

    def hanging(host: str, port: int, *_: object, **__: object) -> list[tuple[object, ...]]:
        answer.wait(10)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port))]

    monkeypatch.setattr(socket, "getaddrinfo", hanging)
    lookups = [asyncio.create_task(system_resolver(f"h{i}.example", 443)) for i in range(16)]
    await asyncio.sleep(0.1)
    try:
        assert await asyncio.wait_for(asyncio.to_thread(lambda: "database answered"), 2) == (
            "database answered"
        )
        assert not any(lookup.done() for lookup in lookups)
    finally:
        answer.set()
    assert {tuple(await lookup) for lookup in lookups} == {("93.184.216.34",)}
