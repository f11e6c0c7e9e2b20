"""When to try a delivery again, and what an answer means (pure).

The schedule lists the delay before each attempt, counted from the previous attempt (the first
from the moment the change was recorded): ``0,5s,5m,30m,2h,5h,10h,10h`` is eight attempts over
about 28 hours.  Delays get jitter so that endpoints recovering from an outage are not hit by
every retry at the same instant.

An answer is classified as:

- 2xx → ``delivered``;
- 410 Gone → ``disable`` (the receiver asks us to stop: the endpoint is disabled);
- anything else — 3xx (redirects are not followed), 4xx, 5xx, a timeout, a refused or blocked
  connection → ``retry`` while the schedule has attempts left, then ``give_up``.  ``Retry-After``
  on 429 and 503 pushes the next attempt later, never earlier.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

Jitter = Callable[[float], float]
"""Maps a scheduled delay to the delay actually used."""

RETRY_AFTER_STATUSES = frozenset({429, 503})
MAX_RETRY_AFTER = 24 * 3600.0
"""A receiver cannot push an attempt further than this (a day)."""


def proportional_jitter(fraction: float = 0.1, rng: random.Random | None = None) -> Jitter:
    """Delays spread uniformly over ±``fraction`` of their value."""
    source = rng or random.Random()
    return lambda delay: delay * source.uniform(1.0 - fraction, 1.0 + fraction)


def no_jitter(delay: float) -> float:
    return delay


class Verdict(enum.StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    GIVE_UP = "give_up"
    DISABLE = "disable"


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    delay: float | None = None
    """Seconds until the next attempt (``retry`` only)."""


def next_delay(attempts_made: int, schedule: Sequence[float], jitter: Jitter) -> float | None:
    """Seconds before the next attempt after ``attempts_made`` attempts; None when exhausted."""
    if attempts_made >= len(schedule):
        return None
    return max(0.0, jitter(schedule[attempts_made]))


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date); None if unusable."""
    if value is None:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():  # not "²", a digit to str.isdigit that float refuses
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def decide(
    status: int | None,
    retry_after: float | None,
    attempts_made: int,
    schedule: Sequence[float],
    jitter: Jitter,
) -> Decision:
    """What to do after attempt number ``attempts_made`` (1-based) answered ``status``.

    ``status`` is None when there was no HTTP answer (timeout, connection error, blocked).
    """
    if status is not None and 200 <= status < 300:
        return Decision(Verdict.DELIVERED)
    if status == 410:
        return Decision(Verdict.DISABLE)
    delay = next_delay(attempts_made, schedule, jitter)
    if delay is None:
        return Decision(Verdict.GIVE_UP)
    if status in RETRY_AFTER_STATUSES and retry_after is not None:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
    return Decision(Verdict.RETRY, delay)


def failing_run_start(
    failing_since: datetime | None,
    last_failure: datetime | None,
    now: datetime,
    schedule: Sequence[float],
) -> datetime:
    """When an endpoint's run of failures began, counting a failure at ``now``.

    A failure later after the previous one than any retry could follow it (the schedule's
    longest delay or the longest ``Retry-After``, and a quarter more for jitter and the attempt
    itself) starts a new run: an endpoint that failed once a week ago and had nothing to receive
    since has not been failing all week."""
    longest = 1.25 * max(*schedule, MAX_RETRY_AFTER)
    if failing_since is None or last_failure is None:
        return now
    return failing_since if now - last_failure <= timedelta(seconds=longest) else now


def failing_too_long(failing_since: datetime | None, now: datetime, disable_after: float) -> bool:
    """True when an endpoint has failed without a success for ``disable_after`` seconds."""
    return failing_since is not None and now - failing_since >= timedelta(seconds=disable_after)
