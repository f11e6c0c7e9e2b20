"""The retry schedule and the meaning of an answer (pure)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.alerts.schedule import (
    MAX_RETRY_AFTER,
    Decision,
    Verdict,
    decide,
    failing_run_start,
    failing_too_long,
    next_delay,
    no_jitter,
    parse_retry_after,
    proportional_jitter,
)
from services.core.config import parse_schedule

DEFAULT = parse_schedule("0,5s,5m,30m,2h,5h,10h,10h")
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_the_default_schedule_is_eight_attempts_svix_style() -> None:
    delays = [next_delay(n, DEFAULT, no_jitter) for n in range(9)]
    assert delays == [0, 5, 300, 1800, 7200, 18000, 36000, 36000, None]


def test_jitter_spreads_delays_within_ten_percent() -> None:
    jitter = proportional_jitter(0.1, random.Random(7))
    samples = [next_delay(2, DEFAULT, jitter) for _ in range(200)]
    assert all(s is not None and 270 <= s <= 330 for s in samples)
    assert len(set(samples)) > 100
    assert next_delay(0, DEFAULT, jitter) == 0


@pytest.mark.parametrize("status", [200, 201, 202, 204, 299])
def test_2xx_is_delivered(status: int) -> None:
    assert decide(status, None, 1, DEFAULT, no_jitter) == Decision(Verdict.DELIVERED)


@pytest.mark.parametrize("status", [None, 301, 302, 307, 400, 401, 404, 429, 500, 502, 503])
def test_everything_else_is_retried_on_schedule(status: int | None) -> None:
    assert decide(status, None, 2, DEFAULT, no_jitter) == Decision(Verdict.RETRY, 300.0)


def test_410_gone_disables_the_endpoint_even_on_the_first_attempt() -> None:
    assert decide(410, None, 1, DEFAULT, no_jitter) == Decision(Verdict.DISABLE)


def test_after_the_last_attempt_a_failure_gives_up() -> None:
    assert decide(500, None, len(DEFAULT), DEFAULT, no_jitter) == Decision(Verdict.GIVE_UP)
    assert decide(200, None, len(DEFAULT), DEFAULT, no_jitter) == Decision(Verdict.DELIVERED)


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_on_429_and_503_postpones_but_never_hastens(status: int) -> None:
    assert decide(status, 120.0, 1, DEFAULT, no_jitter) == Decision(Verdict.RETRY, 120.0)
    assert decide(status, 1.0, 2, DEFAULT, no_jitter) == Decision(Verdict.RETRY, 300.0)
    assert decide(status, 10**9, 1, DEFAULT, no_jitter).delay == MAX_RETRY_AFTER


def test_retry_after_is_ignored_on_other_statuses() -> None:
    assert decide(500, 120.0, 1, DEFAULT, no_jitter) == Decision(Verdict.RETRY, 5.0)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        ("Sun, 01 Mar 2026 12:01:30 GMT", 90.0),
        ("Sun, 01 Mar 2026 11:00:00 GMT", 0.0),
        ("soon", None),
        ("-5", None),
        ("²", None),  # a digit to str.isdigit (latin-1 0xB2 from the wire), not to float
        ("١٢", None),
        (None, None),
    ],
)
def test_retry_after_is_seconds_or_an_http_date(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header, NOW) == seconds


@given(st.text())
def test_no_retry_after_header_raises(header: str) -> None:
    seconds = parse_retry_after(header, NOW)
    assert seconds is None or seconds >= 0.0


@pytest.mark.parametrize(
    ("failing_since", "last_failure", "starts"),
    [
        (None, None, NOW),  # the first failure
        (NOW - timedelta(days=4), NOW - timedelta(hours=10), NOW - timedelta(days=4)),
        # a day's Retry-After and then some
        (NOW - timedelta(days=4), NOW - timedelta(hours=29), NOW - timedelta(days=4)),
        (NOW - timedelta(days=6), NOW - timedelta(days=6), NOW),  # one failure a week ago
        (NOW - timedelta(days=6), NOW - timedelta(hours=31), NOW),
    ],
)
def test_a_failure_long_after_the_last_one_starts_a_new_run(
    failing_since: datetime | None, last_failure: datetime | None, starts: datetime
) -> None:
    assert failing_run_start(failing_since, last_failure, NOW, DEFAULT) == starts


def test_an_endpoint_failing_for_the_whole_window_is_due_for_disabling() -> None:
    five_days = 5 * 86400.0
    assert not failing_too_long(None, NOW, five_days)
    assert not failing_too_long(NOW - timedelta(days=4, hours=23), NOW, five_days)
    assert failing_too_long(NOW - timedelta(days=5), NOW, five_days)


@given(
    status=st.one_of(st.none(), st.integers(min_value=100, max_value=599)),
    retry_after=st.one_of(st.none(), st.floats(min_value=0, max_value=1e7)),
    made=st.integers(min_value=1, max_value=12),
)
def test_every_answer_has_exactly_one_sensible_verdict(
    status: int | None, retry_after: float | None, made: int
) -> None:
    decision = decide(status, retry_after, made, DEFAULT, proportional_jitter())
    if status is not None and 200 <= status < 300:
        assert decision.verdict is Verdict.DELIVERED
    elif status == 410:
        assert decision.verdict is Verdict.DISABLE
    elif made >= len(DEFAULT):
        assert decision.verdict is Verdict.GIVE_UP
    else:
        assert decision.verdict is Verdict.RETRY
        assert decision.delay is not None
        assert 0.9 * DEFAULT[made] <= decision.delay <= max(1.1 * DEFAULT[made], MAX_RETRY_AFTER)
    assert (decision.delay is not None) == (decision.verdict is Verdict.RETRY)
