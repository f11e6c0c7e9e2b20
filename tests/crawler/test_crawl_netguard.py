"""The SSRF guard, tested by calling it (no traffic leaves the machine)."""

from __future__ import annotations

import pytest

from services.core.errors import TerminalError
from services.core.netguard import BlockedAddress, check_address, resolve_and_check

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
