"""SSRF guard: outgoing connections only to public addresses, checked after DNS resolution.

Shared by the crawler and the webhook sender.  Three layers:

- :func:`check_address` — a pure function: raises :class:`BlockedAddress` for loopback, private,
  link-local, multicast, reserved, unspecified, CGNAT, cloud-metadata and other non-global
  addresses (also when hidden in IPv4-mapped, 6to4 or NAT64 IPv6 forms) unless the address is
  inside one of the allow-listed networks (``INFRALEDGER_ALLOW_NETWORKS``, e.g. ``127.0.0.0/8``).
- :func:`resolve_and_check` — resolves a host name through an injectable resolver and checks
  *every* address it returns (one bad answer blocks the host: no "first public answer" games).
- :class:`GuardedTransport` — an :class:`httpx.AsyncHTTPTransport` whose network backend
  resolves, checks and then connects to the checked IP itself.  The connection is pinned to the
  address that was checked, so there is no DNS-rebinding window between check and connect, and
  every redirect hop (each a new connection) is checked again.  TLS still uses the host name
  for SNI and certificate verification.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import certifi
import httpcore
import httpx

from services.core.errors import TerminalError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
"""``async (host, port) -> [ip, ...]``: how names become addresses (tests map names)."""

METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean, …
        "169.254.170.2",  # AWS ECS task metadata
        "169.254.169.123",  # AWS time sync
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud (classic)
        "fd00:ec2::254",  # AWS IMDS over IPv6
        "fd00:ec2::123",
    )
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")


class BlockedAddress(TerminalError):
    """The destination resolves to an address the SSRF guard refuses."""

    kind = "blocked_address"


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64 or ip in _NAT64_LOCAL:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _problem(ip: IPAddress) -> str | None:
    if ip in METADATA_ADDRESSES:
        return "cloud metadata address"
    if ip.is_unspecified:
        return "unspecified address"
    if ip.is_loopback:
        return "loopback address"
    if ip.is_link_local:
        return "link-local address"
    if ip.is_multicast:
        return "multicast address"
    if isinstance(ip, ipaddress.IPv4Address) and ip in ipaddress.ip_network("100.64.0.0/10"):
        return "carrier-grade NAT address"
    if ip.is_private:
        return "private address"
    if ip.is_reserved:
        return "reserved address"
    if not ip.is_global:
        return "non-global address"
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:
            why = _problem(inner)
            if why is not None:
                return f"{why} embedded in IPv6 {ip}"
    return None


def check_address(ip: str | IPAddress, allow: Iterable[str] = ()) -> None:
    """Raise :class:`BlockedAddress` unless ``ip`` is a public address or is allow-listed."""
    try:
        addr = ipaddress.ip_address(ip.split("%", 1)[0] if isinstance(ip, str) else ip)
    except ValueError as exc:
        raise BlockedAddress(f"not an IP address: {ip!r}") from exc
    candidates: list[IPAddress] = [addr]
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        candidates.append(addr.ipv4_mapped)
    for network in allow:
        net = ipaddress.ip_network(network, strict=False)
        if any(c.version == net.version and c in net for c in candidates):
            return
    why = _problem(addr)
    if why is not None:
        raise BlockedAddress(f"refusing to connect to {addr}: {why}")


DNS_THREADS = 8
_dns = ThreadPoolExecutor(max_workers=DNS_THREADS, thread_name_prefix="dns")
"""Threads of their own for ``getaddrinfo``: a name server that never answers holds them for the
resolver's timeout, and must not hold the default executor's, which run the database calls."""


async def system_resolver(host: str, port: int) -> Sequence[str]:
    """Resolve through the operating system (``getaddrinfo``), on the :data:`_dns` threads."""
    loop = asyncio.get_running_loop()
    lookup = functools.partial(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    infos = await loop.run_in_executor(_dns, lookup)
    seen: dict[str, None] = {}
    for _family, _type, _proto, _canon, sockaddr in infos:
        seen[str(sockaddr[0])] = None
    return list(seen)


def _ip_literal(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host.strip("[]").split("%", 1)[0]))
    except ValueError:
        return None


async def resolve_and_check(
    host: str, port: int, allow: Iterable[str] = (), resolver: Resolver | None = None
) -> list[str]:
    """Every address of ``host``, each checked by :func:`check_address`.

    Raises :class:`BlockedAddress` if any address is refused or the name does not resolve to
    anything usable.
    """
    allowed = tuple(allow)
    literal = _ip_literal(host)
    if literal is not None:
        addresses: Sequence[str] = [literal]
    else:
        try:
            addresses = await (resolver or system_resolver)(host, port)
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
    if not addresses:
        raise httpcore.ConnectError(f"{host} resolves to no address")
    for address in addresses:
        check_address(address, allowed)
    return list(addresses)


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that connects only to checked addresses (pinned)."""

    def __init__(
        self,
        allow: Iterable[str] = (),
        resolver: Resolver | None = None,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self.allow = tuple(allow)
        self.resolver = resolver
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await resolve_and_check(host, port, self.allow, self.resolver)
        last: Exception | None = None
        for address in addresses:
            try:
                stream = await self._inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
                continue
            peer = stream.get_extra_info("server_addr")
            if peer is not None:  # belt and braces: the socket's real peer
                try:
                    check_address(str(peer[0]), self.allow)
                except BlockedAddress:
                    await stream.aclose()
                    raise
            return stream
        assert last is not None
        raise last

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise BlockedAddress("unix sockets are not allowed")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """``httpx.AsyncHTTPTransport`` (no proxies) whose connections go through the guard."""

    def __init__(
        self,
        allow: Iterable[str] = (),
        resolver: Resolver | None = None,
        *,
        limits: httpx.Limits | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        limits = limits or httpx.Limits(max_connections=50, max_keepalive_connections=10)
        super().__init__(trust_env=False, limits=limits)
        # httpx has no public knob for the network backend: replace the pool it built.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context or ssl.create_default_context(cafile=certifi.where()),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=False,
            network_backend=GuardedBackend(allow, resolver),
        )
