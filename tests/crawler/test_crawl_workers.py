"""The parse worker pool: results in order, a worker's exception raised to the caller, and a
worker that dies neither hangs the caller nor takes the other inputs with it."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest

from services.crawler.workers import ParsePool, ParseWorkerCrashed

POISON = -1


def double(value: int) -> int:
    if value == POISON:
        os._exit(3)  # what a segfault in a C extension or the OOM killer looks like
    if value == 13:
        raise ValueError("unlucky input")
    return 2 * value


def crashed(value: int, error: ParseWorkerCrashed) -> int:
    assert "died" in str(error)
    return 0


@pytest.fixture
async def pool() -> AsyncIterator[ParsePool]:
    parse_pool = ParsePool(2, preload=())
    yield parse_pool
    parse_pool.close()


async def test_map_keeps_the_order_across_chunks_and_workers(pool: ParsePool) -> None:
    values = [v for v in range(100) if v != 13]
    got = [r async for r in pool.map(double, values, crashed=crashed, chunk=3, ahead=2)]
    assert got == [2 * v for v in values]


async def test_an_exception_in_a_worker_is_raised_to_the_caller(pool: ParsePool) -> None:
    with pytest.raises(ValueError, match="unlucky input"):
        await pool.call(double, 13)
    assert await pool.call(double, 4) == 8


async def test_a_worker_that_dies_is_replaced_and_only_its_input_is_reported(
    pool: ParsePool,
) -> None:
    with pytest.raises(ParseWorkerCrashed):
        await pool.call(double, POISON)
    assert await pool.call(double, 5) == 10  # a fresh pool

    values = [1, 2, 3, POISON, 4, 5, 6, 7, 8]
    got = [r async for r in pool.map(double, values, crashed=crashed, chunk=2, ahead=2)]
    assert got == [2, 4, 6, 0, 8, 10, 12, 14, 16]
