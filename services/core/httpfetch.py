"""A bounded HTTP GET for untrusted servers.

:class:`Fetcher` never trusts the other side:

- connect/read timeouts *and* a total deadline per fetch (a server trickling one byte a second
  cannot keep us forever); the deadline bounds the time on the network, all hops together —
  waiting for a redirect target's turn (``before_hop``: its host's politeness delay) is not
  counted, and is bounded by the hook and by ``max_redirects``;
- a maximum body size enforced while streaming (a 50 MB body is cut off after the limit, not
  buffered);
- gzip/deflate decoded incrementally with an output cap (decompression-bomb protection);
- redirects followed by hand, at most ``max_redirects`` hops, every hop through the SSRF guard
  of :mod:`services.core.netguard` (the transport checks each connection's address);
- only ``http`` and ``https`` URLs.

It returns a frozen :class:`FetchResult` with both the raw bytes as received (what the WARC
archive stores) and the decoded bytes (what parsers read).  Errors are :class:`FetchError`
subclasses with a short ``kind`` used for metrics.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
import zlib
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import TracebackType
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from services.core.errors import InfraledgerError, RetryableError, TerminalError
from services.core.netguard import BlockedAddress, GuardedTransport, Resolver

REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})


class FetchError(InfraledgerError):
    kind = "fetch"


class FetchRetryable(FetchError, RetryableError):
    kind = "transient"


class FetchTerminal(FetchError, TerminalError):
    kind = "terminal"


class FetchTimeout(FetchRetryable):
    kind = "timeout"


class ConnectFailed(FetchRetryable):
    kind = "connect"


class ProtocolFailed(FetchRetryable):
    kind = "protocol"


class BodyTooLarge(FetchTerminal):
    kind = "too_large"


class DecompressionBomb(FetchTerminal):
    kind = "decompression_bomb"


class BadContentEncoding(FetchTerminal):
    kind = "bad_encoding"


class TooManyRedirects(FetchTerminal):
    kind = "redirects"


class BadUrl(FetchTerminal):
    kind = "bad_url"


def error_kind(exc: BaseException) -> str:
    """The metric label of an error (``timeout``, ``too_large``, ``blocked_address``, …)."""
    if isinstance(exc, BlockedAddress):
        return BlockedAddress.kind
    return str(getattr(exc, "kind", type(exc).__name__))


@dataclass(frozen=True)
class FetchLimits:
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    total_timeout: float = 60.0
    max_body_bytes: int = 10 * 1024 * 1024
    """Raw bytes on the wire."""
    max_decoded_bytes: int = 10 * 1024 * 1024
    """Bytes after content-decoding (bomb protection)."""
    max_redirects: int = 5


@dataclass(frozen=True)
class FetchResult:
    url: str
    """The URL asked for."""
    final_url: str
    """The URL that answered, after redirects."""
    status: int
    headers: tuple[tuple[str, str], ...]
    """Response headers, names in lower case, in the order received."""
    raw: bytes
    """Body as received (still content-encoded): what the archive stores."""
    body: bytes
    """Body after content-decoding."""
    elapsed: float
    """Seconds on the network (waits for a redirect target's turn left out)."""
    redirects: tuple[str, ...] = ()
    http_version: str = "HTTP/1.1"
    request_headers: tuple[tuple[str, str], ...] = field(default=())

    def header(self, name: str) -> str | None:
        name = name.lower()
        for key, value in self.headers:
            if key == name:
                return value
        return None

    @cached_property
    def body_sha256(self) -> str:
        """SHA-256 of the decoded body (hex), computed once: what a listing is remembered by."""
        return hashlib.sha256(self.body).hexdigest()

    @property
    def header_map(self) -> dict[str, str]:
        """Headers as a dict (repeated names joined with ``, ``)."""
        out: dict[str, str] = {}
        for key, value in self.headers:
            out[key] = f"{out[key]}, {value}" if key in out else value
        return out


class _Decoder:
    """Incremental content-decoding with an output cap."""

    def __init__(self, encodings: list[str], cap: int) -> None:
        self.cap = cap
        self.size = 0
        self.stages: list[_Stage] = []
        for enc in reversed(encodings):  # the last applied encoding is undone first
            if enc in ("gzip", "x-gzip"):
                self.stages.append(_Stage("gzip"))
            elif enc == "deflate":
                self.stages.append(_Stage("deflate"))
            elif enc in ("identity", ""):
                continue
            else:
                raise BadContentEncoding(f"unsupported content-encoding {enc!r}")

    def feed(self, data: bytes) -> bytes:
        for stage in self.stages:
            data = stage.feed(data, self.cap - self.size)
        self.size += len(data)
        if self.size > self.cap:
            raise DecompressionBomb(f"decoded body exceeds {self.cap} bytes")
        return data

    def flush(self) -> bytes:
        data = b""
        for stage in self.stages:
            data = stage.feed(data, self.cap - self.size) + stage.flush(self.cap - self.size)
        self.size += len(data)
        if self.size > self.cap:
            raise DecompressionBomb(f"decoded body exceeds {self.cap} bytes")
        return data


class _Stage:
    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.obj: zlib._Decompress | None = None
        if kind == "gzip":
            self.obj = zlib.decompressobj(16 + zlib.MAX_WBITS)

    def _make_deflate(self, first: bytes) -> zlib._Decompress:
        # "deflate" is meant to be zlib-wrapped; some servers send raw deflate.
        if len(first) >= 2 and (first[0] & 0x0F) == 8 and ((first[0] << 8) | first[1]) % 31 == 0:
            return zlib.decompressobj(zlib.MAX_WBITS)
        return zlib.decompressobj(-zlib.MAX_WBITS)

    def feed(self, data: bytes, room: int) -> bytes:
        if not data:
            return b""
        if self.obj is None:
            self.obj = self._make_deflate(data)
        out = bytearray()
        try:
            while data:
                if self.obj.eof:  # concatenated gzip members
                    rest = self.obj.unused_data + data
                    if self.kind != "gzip" or not rest.strip(b"\x00"):
                        break
                    self.obj = zlib.decompressobj(16 + zlib.MAX_WBITS)
                    data = rest
                limit = max(room - len(out), 0) + 1
                out += self.obj.decompress(data, limit)
                if len(out) > room:
                    raise DecompressionBomb(f"decoded body exceeds the cap ({room} bytes left)")
                data = self.obj.unconsumed_tail
        except zlib.error as exc:
            raise BadContentEncoding(f"corrupt {self.kind} body: {exc}") from exc
        return bytes(out)

    def flush(self, room: int) -> bytes:
        if self.obj is None:
            return b""
        try:
            out = self.obj.flush(max(room, 0) + 1) if room >= 0 else b""
        except zlib.error as exc:
            raise BadContentEncoding(f"corrupt {self.kind} body: {exc}") from exc
        if len(out) > room:
            raise DecompressionBomb("decoded body exceeds the cap")
        return out


def decode_content(raw: bytes, content_encoding: str | None, cap: int) -> bytes:
    """Undo ``Content-Encoding`` on a complete body with the same output cap as a live fetch."""
    encodings = [e.strip().lower() for e in (content_encoding or "").split(",") if e.strip()]
    decoder = _Decoder(encodings, cap)
    return decoder.feed(raw) + decoder.flush()


MAX_COOKIES = 1000
"""Cookies a fetcher keeps at most (see :meth:`Fetcher._bound_cookies`)."""


def _check_url(url: str) -> None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 — raises on a port that is no number or out of range
    except ValueError as exc:  # "http://[x", "http://h:99999/"
        raise BadUrl(f"not a usable URL: {url[:200]!r}: {exc}") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadUrl(f"not an http(s) URL: {url[:200]!r}")


async def _off_the_clock(deadline: asyncio.Timeout, wait: Awaitable[None]) -> float:
    """Await ``wait`` with ``deadline`` stopped; the seconds it took.  A fetch's deadline bounds
    its time on the network: counting a redirect target's politeness wait made every redirect
    to a host with a long ``Crawl-delay`` time out."""
    loop = asyncio.get_running_loop()
    when, began = deadline.when(), loop.time()
    deadline.reschedule(None)
    try:
        await wait
    finally:
        if when is not None:  # later by as long as the wait took
            deadline.reschedule(when + loop.time() - began)
    return loop.time() - began


class Fetcher:
    """An HTTP client for untrusted servers; use as ``async with Fetcher(...) as f``."""

    def __init__(
        self,
        *,
        user_agent: str,
        limits: FetchLimits | None = None,
        allow_networks: Iterable[str] = (),
        resolver: Resolver | None = None,
        accept: str = "*/*",
    ) -> None:
        self.limits = limits or FetchLimits()
        lim = self.limits
        # The transport directly, not an ``httpx.AsyncClient`` around it: redirects are followed
        # here by hand anyway, and the client's request building, cookie extraction and
        # response wrapping cost a third of a fetch's CPU.  What it did is done below: the
        # same request headers, timeouts and cookie jar.
        self._transport = GuardedTransport(allow_networks, resolver)
        self._timeout = httpx.Timeout(
            connect=lim.connect_timeout,
            read=lim.read_timeout,
            write=lim.read_timeout,
            pool=lim.total_timeout,
        ).as_dict()
        self._headers = httpx.Headers(
            {
                "Connection": "keep-alive",
                "User-Agent": user_agent,
                "Accept": accept,
                "Accept-Encoding": "gzip, deflate",
            }
        )
        self._cookies = httpx.Cookies()

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._transport.aclose()

    async def get(
        self,
        url: str,
        headers: Mapping[str, str] | None = None,
        *,
        before_hop: Callable[[str], Awaitable[None]] | None = None,
    ) -> FetchResult:
        """GET ``url`` within the limits; raises a :class:`FetchError` subclass on failure.

        ``before_hop(url)`` is awaited before each redirect hop (politeness for the hop's host),
        with the deadline stopped meanwhile.
        """
        try:
            async with asyncio.timeout(self.limits.total_timeout) as deadline:
                return await self._get(url, dict(headers or {}), deadline, before_hop)
        except TimeoutError as exc:
            raise FetchTimeout(f"{url}: no complete answer within the deadline") from exc

    async def _get(
        self,
        url: str,
        headers: dict[str, str],
        deadline: asyncio.Timeout,
        before_hop: Callable[[str], Awaitable[None]] | None,
    ) -> FetchResult:
        started = time.monotonic()
        waited = 0.0
        hops: list[str] = []
        current = url
        while True:
            _check_url(current)
            status, resp_headers, raw, body, version = await self._one(current, headers)
            location = dict(resp_headers).get("location")
            if status in REDIRECT_CODES and location:
                try:
                    target = urljoin(current, location.strip())
                except ValueError as exc:  # a Location that is no URL ("http://[x")
                    raise BadUrl(f"{url}: redirect to {location[:200]!r}: {exc}") from exc
                hops.append(current)
                if len(hops) > self.limits.max_redirects:
                    raise TooManyRedirects(
                        f"{url}: more than {self.limits.max_redirects} redirects"
                    )
                if target in hops:
                    raise TooManyRedirects(f"{url}: redirect loop via {target}")
                # conditional headers belong to the first URL only
                headers = {
                    k: v
                    for k, v in headers.items()
                    if k.lower() not in ("if-none-match", "if-modified-since")
                }
                current = target
                _check_url(current)
                if before_hop is not None:
                    waited += await _off_the_clock(deadline, before_hop(current))
                continue
            return FetchResult(
                url=url,
                final_url=current,
                status=status,
                headers=resp_headers,
                raw=raw,
                body=body,
                elapsed=time.monotonic() - started - waited,
                redirects=tuple(hops),
                http_version=version,
                request_headers=tuple(headers.items()),
            )

    def _bound_cookies(self) -> None:
        """Keep the jar under :data:`MAX_COOKIES`: a crawl of months meets more sites than it
        needs to remember, and the jar walks every cookie it holds for each request.  Expired
        cookies go first, then session cookies, then all (a news site sets them again)."""
        jar = self._cookies.jar
        for shed in (jar.clear_expired_cookies, jar.clear_session_cookies, jar.clear):
            if len(jar) <= MAX_COOKIES:
                return
            shed()

    async def _one(
        self, url: str, headers: dict[str, str]
    ) -> tuple[int, tuple[tuple[str, str], ...], bytes, bytes, str]:
        merged = self._headers.copy()
        merged.update(headers)
        try:
            request = httpx.Request("GET", url, headers=merged,
                                    extensions={"timeout": self._timeout})  # fmt: skip
            if self._cookies:
                self._cookies.set_cookie_header(request)
            response = await self._transport.handle_async_request(request)
            try:
                response.request = request
                if "set-cookie" in response.headers:
                    self._cookies.extract_cookies(response)
                    self._bound_cookies()
                return await self._read(url, response)
            finally:
                await response.aclose()
        except (httpx.TimeoutException, httpcore.TimeoutException) as exc:
            raise FetchTimeout(f"{url}: {type(exc).__name__}") from exc
        except (httpx.ConnectError, httpcore.ConnectError) as exc:
            raise ConnectFailed(f"{url}: {exc}") from exc
        except (httpx.TransportError, httpcore.ProtocolError) as exc:
            raise ProtocolFailed(f"{url}: {type(exc).__name__}: {exc}") from exc
        except httpx.InvalidURL as exc:
            raise BadUrl(f"{url}: {exc}") from exc

    async def _read(
        self, url: str, response: httpx.Response
    ) -> tuple[int, tuple[tuple[str, str], ...], bytes, bytes, str]:
        """The status, headers, raw and content-decoded body of ``response``, within limits."""
        lim = self.limits
        resp_headers = tuple(
            (k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in response.headers.raw
        )
        declared = response.headers.get("content-length")
        if declared and declared.strip().isdigit() and int(declared) > lim.max_body_bytes:
            raise BodyTooLarge(
                f"{url}: Content-Length {declared} exceeds {lim.max_body_bytes} bytes"
            )
        encodings = [
            e.strip().lower()
            for e in response.headers.get("content-encoding", "").split(",")
            if e.strip()
        ]
        decoder = _Decoder(encodings, lim.max_decoded_bytes)
        raw = bytearray()
        body = bytearray()
        async for chunk in response.aiter_raw():
            raw += chunk
            if len(raw) > lim.max_body_bytes:
                raise BodyTooLarge(f"{url}: body exceeds {lim.max_body_bytes} bytes")
            body += decoder.feed(chunk)
        body += decoder.flush()
        return response.status_code, resp_headers, bytes(raw), bytes(body), response.http_version
