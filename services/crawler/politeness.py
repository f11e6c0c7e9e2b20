"""Per-host politeness: one request at a time per host, a minimum delay between requests,
``Retry-After`` and error backoff.  Time functions are injectable for tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from services.crawler.errors import HostDeferred
from services.crawler.sweep import SWEEP_MIN, sweep

MAX_CRAWL_DELAY = 60.0
ERROR_BACKOFF_BASE = 2.0
ERROR_BACKOFF_CAP = 600.0
FORGET_AFTER = 7200.0
"""Seconds after its last turn that an idle host is forgotten: longer than robots.txt rules are
cached (1 h), so a host's ``Crawl-delay`` is set again from its rules before its next turn."""


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date)."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    delta = (when - (now or datetime.now(UTC))).total_seconds()
    return max(delta, 0.0)


def _refuse_beyond(host: str, wait: float, max_wait: float | None) -> None:
    if max_wait is not None and wait > max_wait:
        raise HostDeferred(f"{host} is deferred for {wait:.0f}s")


@dataclass
class _Host:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    ready_at: float = 0.0
    delay: float | None = None
    failures: int = 0


class HostGate:
    """``async with gate.slot(host):`` — wait for the host's turn, then hold it."""

    def __init__(
        self,
        default_delay: float,
        *,
        error_backoff: float = ERROR_BACKOFF_BASE,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.default_delay = default_delay
        self.error_backoff = error_backoff
        self._clock = clock
        self._sleep = sleep
        self._hosts: dict[str, _Host] = {}
        self._sweep_at = SWEEP_MIN

    def __len__(self) -> int:
        """Hosts tracked: those with a turn, deferral or error in the last :data:`FORGET_AFTER`
        seconds (and fewer than twice that many others, not yet swept)."""
        return len(self._hosts)

    def _host(self, host: str) -> _Host:
        key = host.lower()
        state = self._hosts.get(key)
        if state is None:
            if len(self._hosts) >= self._sweep_at:
                self._sweep()
            state = self._hosts[key] = _Host()
        return state

    def _sweep(self) -> None:
        """Forget the idle hosts (links may name any host, and a months-long crawl meets many):
        not held, not deferred, last turn over :data:`FORGET_AFTER` seconds ago."""
        horizon = self._clock() - FORGET_AFTER
        self._hosts, self._sweep_at = sweep(
            self._hosts, lambda _host, state: state.lock.locked() or state.ready_at > horizon
        )

    def delay_of(self, host: str) -> float:
        state = self._host(host)
        return self.default_delay if state.delay is None else state.delay

    def set_delay(self, host: str, seconds: float | None) -> None:
        """A host-specific delay (robots.txt ``Crawl-delay``), never below the default."""
        state = self._host(host)
        if seconds is None:
            state.delay = None
        else:
            state.delay = max(self.default_delay, min(float(seconds), MAX_CRAWL_DELAY))

    def defer(self, host: str, seconds: float) -> None:
        """Nothing goes to ``host`` for ``seconds`` (``Retry-After``)."""
        state = self._host(host)
        state.ready_at = max(state.ready_at, self._clock() + max(seconds, 0.0))

    def failed(self, host: str) -> float:
        """Record an error; the host is deferred exponentially.  Returns the deferral."""
        state = self._host(host)
        state.failures += 1
        wait = min(ERROR_BACKOFF_CAP, self.error_backoff * 2.0 ** min(state.failures - 1, 20))
        self.defer(host, wait)
        return wait

    def succeeded(self, host: str) -> None:
        self._host(host).failures = 0

    def wait_time(self, host: str) -> float:
        return max(0.0, self._host(host).ready_at - self._clock())

    async def pause(self, host: str, max_wait: float | None = None) -> None:
        """Before a redirect hop inside a held slot: wait the hop host's delay and deferral;
        raises :class:`HostDeferred` instead of waiting beyond ``max_wait``.

        The slot of the original host stays held (same-host hops stay exclusive); a hop to
        another host waits that host's delay but does not take its slot (no lock ordering).
        """
        wait = max(self.delay_of(host), self.wait_time(host))
        _refuse_beyond(host, wait, max_wait)
        await self._sleep(wait)

    @asynccontextmanager
    async def slot(self, host: str, max_wait: float | None = None) -> AsyncIterator[None]:
        """Hold ``host``; raises :class:`HostDeferred` instead of waiting beyond ``max_wait``."""
        state = self._host(host)
        async with state.lock:
            while (wait := state.ready_at - self._clock()) > 0:
                _refuse_beyond(host, wait, max_wait)
                await self._sleep(wait)
            try:
                yield
            finally:
                delay = self.default_delay if state.delay is None else state.delay
                state.ready_at = max(state.ready_at, self._clock() + delay)
