"""One HTTP POST to a webhook endpoint, bounded in time and in what is read back.

The client never follows redirects and connects only through the SSRF guard of
:mod:`services.core.netguard` (checked after DNS resolution, at connection time).  Nothing here
raises on a failed attempt: every outcome becomes an :class:`AttemptResult`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass

import httpcore
import httpx

from services.core.config import Settings
from services.core.netguard import BlockedAddress, GuardedTransport

MAX_RESPONSE_EXCERPT = 1024
"""Bytes of the response body kept in the attempt log."""


@dataclass(frozen=True)
class AttemptResult:
    status: int | None
    """The HTTP status, None when no answer arrived."""
    latency: float
    """Seconds from sending to the end of the (truncated) answer or the error."""
    body_excerpt: str | None = None
    error_class: str | None = None
    """``timeout``, ``connect``, ``blocked_address``, ``protocol``, ``redirect``,
    ``http_error``, ``crashed`` (a bug in making the attempt) or None for a 2xx."""
    retry_after: str | None = None
    """The raw ``Retry-After`` header, if any."""


def make_client(
    settings: Settings, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """The webhook client: guarded transport, no redirects, no proxies from the environment."""
    return httpx.AsyncClient(
        transport=transport
        or GuardedTransport(
            settings.allow_networks,
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=32),
        ),
        timeout=httpx.Timeout(settings.webhook_timeout),
        follow_redirects=False,
        trust_env=False,
        headers={"user-agent": settings.user_agent},
    )


def excerpt_text(body: bytes) -> str:
    """The attempt log's text of a response body: UTF-8 where it is, U+FFFD for the rest and for
    NUL, which PostgreSQL's text columns refuse (one such answer must not stop the recording of
    every attempt in its turn)."""
    return body.decode("utf-8", "replace").replace("\x00", "\ufffd")


def _error_class(status: int) -> str | None:
    if 200 <= status < 300:
        return None
    return "redirect" if 300 <= status < 400 else "http_error"


async def post(
    client: httpx.AsyncClient,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    timeout: float,
) -> AttemptResult:
    """POST ``body``; the whole exchange must finish within ``timeout`` seconds."""
    started = time.monotonic()
    try:
        async with (
            asyncio.timeout(timeout),
            client.stream("POST", url, headers=dict(headers), content=body) as response,
        ):
            excerpt = bytearray()
            async for chunk in response.aiter_raw():
                excerpt += chunk
                if len(excerpt) >= MAX_RESPONSE_EXCERPT:
                    break
            return AttemptResult(
                status=response.status_code,
                latency=time.monotonic() - started,
                body_excerpt=excerpt_text(bytes(excerpt[:MAX_RESPONSE_EXCERPT])),
                error_class=_error_class(response.status_code),
                retry_after=response.headers.get("retry-after"),
            )
    except (TimeoutError, httpx.TimeoutException, httpcore.TimeoutException):
        kind = "timeout"
    except BlockedAddress:
        kind = BlockedAddress.kind
    except (httpx.ConnectError, httpcore.ConnectError):
        kind = "connect"
    except (httpx.TransportError, httpcore.ProtocolError, httpx.InvalidURL):
        kind = "protocol"
    return AttemptResult(status=None, latency=time.monotonic() - started, error_class=kind)
