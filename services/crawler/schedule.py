"""When to poll each source next: pure functions of time, a stable per-source phase and luck.

- After a (re)start a source is first due at ``now + phase``, where the phase is a stable hash of
  its name spread over ``min(poll_every, startup_spread)``: sources do not all fire at once, and
  a restart does not reshuffle them.  A persisted next-poll time, when present, wins.
- After a successful poll: ``now + poll_every × (1 ± jitter)``.
- After a failed poll: exponential backoff ``base × 2^(failures-1)`` (capped, jittered, never
  sooner than the regular interval), so a failing source is backed off, not retried in a loop.
"""

from __future__ import annotations

import hashlib
import random
from datetime import datetime, timedelta

JITTER = 0.1
STARTUP_SPREAD = 60.0
BACKOFF_BASE = 60.0
BACKOFF_CAP = 6 * 3600.0


def phase(name: str, span: float) -> float:
    """A stable offset in ``[0, span)`` for source ``name``."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return (int.from_bytes(digest[:8], "big") / 2**64) * max(span, 0.0)


def first_due(
    name: str,
    now: datetime,
    poll_every: float,
    persisted: datetime | None = None,
    startup_spread: float = STARTUP_SPREAD,
) -> datetime:
    if persisted is not None:
        return persisted
    return now + timedelta(seconds=phase(name, min(poll_every, startup_spread)))


def next_after_success(
    now: datetime, poll_every: float, rng: random.Random, jitter: float = JITTER
) -> datetime:
    factor = 1.0 + rng.uniform(-jitter, jitter)
    return now + timedelta(seconds=poll_every * factor)


def backoff_seconds(
    failures: int,
    rng: random.Random,
    base: float = BACKOFF_BASE,
    cap: float = BACKOFF_CAP,
    jitter: float = JITTER,
) -> float:
    if failures <= 0:
        return 0.0
    raw = min(cap, base * 2.0 ** min(failures - 1, 30))
    return raw * (1.0 + rng.uniform(-jitter, jitter))


def next_after_failure(
    now: datetime, poll_every: float, failures: int, rng: random.Random
) -> datetime:
    delay = max(poll_every, backoff_seconds(failures, rng))
    return now + timedelta(seconds=delay)
