"""robots.txt (RFC 9309) with caching.

- 2xx: the rules apply (``Crawl-delay`` feeds the politeness gate);
- 4xx: no restrictions;
- 5xx, 429 or unreachable: everything is disallowed for now and asked again after a short time.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from protego import Protego

from services.crawler.sweep import SWEEP_MIN, sweep

MAX_ROBOTS_BYTES = 500 * 1024
TTL_OK = 3600.0
TTL_UNAVAILABLE = 600.0


@dataclass(frozen=True)
class RobotsRules:
    parser: Protego | None
    """RFC 9309's matching: the longest rule wins, ``*`` and ``$`` in paths (the standard
    library's parser takes the first rule that matches and knows no wildcards)."""
    allow_all: bool = False
    disallow_all: bool = False
    delays: tuple[tuple[str, float], ...] = ()
    """``Crawl-delay`` per user-agent group (fractional seconds allowed, unlike urllib's)."""

    def allowed(self, agent: str, url: str) -> bool:
        if self.disallow_all:
            return False
        if self.allow_all or self.parser is None:
            return True
        return bool(self.parser.can_fetch(url, agent))

    def crawl_delay(self, agent: str) -> float | None:
        token = agent.lower()
        specific = [d for name, d in self.delays if name != "*" and name in token]
        if specific:
            return specific[0]
        generic = [d for name, d in self.delays if name == "*"]
        return generic[0] if generic else None


def _delays(lines: list[str]) -> tuple[tuple[str, float], ...]:
    out: list[tuple[str, float]] = []
    agents: list[str] = []
    in_rules = False
    for raw in lines:
        line = raw.split("#", 1)[0].strip()
        if ":" not in line:
            continue
        key, value = (part.strip() for part in line.split(":", 1))
        key = key.lower()
        if key == "user-agent":
            if in_rules:
                agents, in_rules = [], False
            agents.append(value.lower())
        elif key in ("allow", "disallow", "crawl-delay", "request-rate"):
            in_rules = True
            if key == "crawl-delay":
                try:
                    delay = float(value)
                except ValueError:
                    continue
                if delay >= 0:
                    out.extend((agent, delay) for agent in agents)
    return tuple(out)


def parse_robots(text: str) -> RobotsRules:
    text = text[:MAX_ROBOTS_BYTES]
    return RobotsRules(parser=Protego.parse(text), delays=_delays(text.splitlines()))


def rules_for_status(status: int, body: bytes) -> tuple[RobotsRules, float]:
    """The rules and how long to cache them, from the robots.txt response."""
    if 200 <= status < 300:
        return parse_robots(body[:MAX_ROBOTS_BYTES].decode("utf-8", "replace")), TTL_OK
    if status == 429 or status >= 500:
        return RobotsRules(parser=None, disallow_all=True), TTL_UNAVAILABLE
    return RobotsRules(parser=None, allow_all=True), TTL_OK


def robots_url(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/robots.txt"


def agent_token(user_agent: str) -> str:
    """The product token robots.txt groups are matched against (``infraledger``)."""
    return user_agent.split("/", 1)[0].strip() or "*"


RobotsFetch = Callable[[str], Awaitable[tuple[RobotsRules, float]]]


class RobotsCache:
    """Each site's rules until they expire, fetched once however many ask at a time.

    Expired rules are swept out whenever the cache has doubled since the last sweep: it holds the
    sites met within the last TTL, not every site a months-long crawl has met.  A site's lock
    lives while someone holds or waits for it.
    """

    def __init__(self, fetch: RobotsFetch, clock: Callable[[], float] = time.monotonic) -> None:
        self._fetch = fetch
        self._clock = clock
        self._cache: dict[str, tuple[RobotsRules, float]] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: Counter[str] = Counter()
        """Callers holding or waiting for each key's lock (a released lock with a waiter about
        to wake is not ``locked()``)."""
        self._sweep_at = SWEEP_MIN

    def __len__(self) -> int:
        return len(self._cache)

    async def rules(self, url: str) -> RobotsRules:
        key = robots_url(url)
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        self._users[key] += 1
        try:
            async with lock:
                hit = self._cache.get(key)
                if hit is not None and hit[1] > self._clock():
                    return hit[0]
                rules, ttl = await self._fetch(key)
                self._cache[key] = (rules, self._clock() + ttl)
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key], self._locks[key]
        if len(self._cache) >= self._sweep_at:
            now = self._clock()
            self._cache, self._sweep_at = sweep(self._cache, lambda _key, hit: hit[1] > now)
        return rules
