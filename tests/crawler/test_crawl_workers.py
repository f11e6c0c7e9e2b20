"""The parse worker pool: results in order, a worker's exception raised to the caller, and a
worker that dies neither hangs the caller nor takes the other inputs with it."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from services.crawler.errors import ParseTimeout
from services.crawler.workers import ParsePool, ParseWorkerCrashed

POISON = -1
PATHOLOGICAL = -2


def double(value: int) -> int:
    if value == POISON:
        os._exit(3)  # what a segfault in a C extension or the OOM killer looks like
    if value == 13:
        raise ValueError("unlucky input")
    if value == PATHOLOGICAL:  # a page whose parse never ends (say, a regex backtracking)
        while True:
            pass
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


async def test_no_worker_of_a_replaced_pool_outlives_it(pool: ParsePool) -> None:
    """A replaced pool's workers are killed, even one still busy: CPython's manager thread can
    miss a worker started by a submission that raced with the breakage and wait for it for
    ever (seen as a test run hanging at exit)."""
    replaced = pool._executor
    assert await pool.call(double, 1) == 2
    replaced.submit(time.sleep, 60)  # a worker that would not leave by itself
    workers = list(replaced._processes.values())
    pool._replace(replaced)
    await asyncio.to_thread(lambda: [worker.join(10) for worker in workers])
    assert not [worker.pid for worker in workers if worker.is_alive()]
    assert await pool.call(double, 6) == 12


OWNER = textwrap.dedent(
    """
    import asyncio, os, sys, time
    from services.crawler.workers import ParsePool

    def pid(_: int) -> int:
        time.sleep(0.2)  # keep both workers busy, so that both start
        return os.getpid()

    async def main() -> None:
        pool = ParsePool(2, preload=())
        pids = await asyncio.gather(pool.call(pid, 0), pool.call(pid, 1))
        print(" ".join(map(str, sorted(set(pids)))), flush=True)
        await asyncio.sleep(3600)

    if __name__ == "__main__":
        asyncio.run(main())
    """
)


def test_workers_leave_when_their_owner_is_killed_and_release_its_output(
    tmp_path: Path,
) -> None:
    """SIGKILL of the owner (not reaped yet: a zombie, as under ``communicate``) ends its
    workers and the fork server, so whoever reads the owner's output sees its end."""
    script = tmp_path / "owner.py"  # a file: the workers import ``pid`` from it by name
    script.write_text(OWNER, encoding="utf-8")
    owner = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        cwd=Path(__file__).resolve().parents[2],
    )  # fmt: skip
    assert owner.stdout is not None
    workers = [int(p) for p in owner.stdout.readline().split()]
    assert workers
    owner.send_signal(signal.SIGKILL)
    owner.communicate(timeout=20)  # EOF only once no worker holds the pipes
    deadline = time.monotonic() + 10
    while any(os.path.exists(f"/proc/{p}") for p in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in workers if os.path.exists(f"/proc/{p}")]
    assert owner.returncode == -signal.SIGKILL


def worker_pid(_: int) -> int:
    return os.getpid()


async def test_the_pool_is_renewed_every_so_many_tasks_and_the_old_workers_leave() -> None:
    pool = ParsePool(2, preload=(), recycle_after=10)
    try:
        first = pool._executor
        pids = {await pool.call(worker_pid, n) for n in range(10)}
        old_workers = list(first._processes.values())
        assert pool._executor is first
        values = [v for v in range(40) if v != 13]  # tasks of one item, many in flight
        got = [r async for r in pool.map(double, values, crashed=crashed, chunk=1, ahead=4)]
        assert got == [2 * v for v in values]
        later = {await pool.call(worker_pid, n) for n in range(4)}
    finally:
        pool.close()

    assert pool._executor is not first
    assert not later & pids  # the workers now are new ones
    await asyncio.to_thread(lambda: [worker.join(10) for worker in old_workers])
    assert not [worker.pid for worker in old_workers if worker.is_alive()]


async def test_a_parse_over_its_deadline_is_given_up_and_its_worker_replaced() -> None:
    """A pathological input holds a worker for ever: past the deadline its call fails with
    :class:`ParseTimeout`, the worker is killed and a fresh one takes the next inputs; a call
    in flight beside it when the worker is killed is run again and gets its result."""
    pool = ParsePool(2, preload=(), timeout=2.0)
    try:
        assert await pool.call(double, 1) == 2
        old_workers = list(pool._executor._processes.values())
        started = time.monotonic()
        stuck = asyncio.ensure_future(pool.call(double, PATHOLOGICAL))
        await asyncio.sleep(1.7)
        beside = await pool.call(nap, 0.6)  # still running when the stuck worker is killed
        with pytest.raises(ParseTimeout, match="2s"):
            await stuck
        assert beside == 0.6 and time.monotonic() - started > 2.0
        assert [await pool.call(double, v) for v in range(4)] == [0, 2, 4, 6]
    finally:
        pool.close()
    await asyncio.to_thread(lambda: [worker.join(10) for worker in old_workers])
    assert not [worker.pid for worker in old_workers if worker.is_alive()]


async def test_a_parse_past_its_deadline_on_a_recycled_pool_is_stopped_too(
    tmp_path: Path,
) -> None:
    """The pool was renewed while the pathological page ran: its worker must die all the
    same, or it would spin for ever and hold the process at exit."""
    pool = ParsePool(2, preload=(), timeout=1.0, recycle_after=2)
    pid_file = tmp_path / "pid"
    try:
        assert await pool.call(double, 1) == 2
        stuck = asyncio.ensure_future(pool.call(spin_forever, str(pid_file)))
        await asyncio.sleep(0.3)
        assert await pool.call(double, 2) == 4  # the third task: the pool is recycled
        with pytest.raises(ParseTimeout):
            await stuck
        pid = int(pid_file.read_text())
        assert await until_gone(pid, within=10)
    finally:
        pool.close()


async def test_a_call_given_up_by_its_caller_keeps_its_worker_until_done_or_stopped() -> None:
    """A poll cancelled mid-way leaves a page parsing: the next page must not wait behind it
    on its own clock and be given up as a parse timeout."""
    pool = ParsePool(1, preload=(), timeout=2.0)
    try:
        assert await pool.call(nap, 0.01) == 0.01
        abandoned = asyncio.ensure_future(pool.call(nap, 6))
        await asyncio.sleep(0.5)
        abandoned.cancel()
        assert await pool.call(nap, 0.01) == 0.01  # after the abandoned one's deadline
    finally:
        pool.close()


def spin_forever(pid_file: str) -> None:
    Path(pid_file).write_text(str(os.getpid()))
    while True:
        pass


async def until_gone(pid: int, within: float) -> bool:
    end = time.monotonic() + within
    while time.monotonic() < end:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        await asyncio.sleep(0.1)
    return False


async def test_calls_waiting_for_a_free_worker_do_not_spend_their_deadline_waiting() -> None:
    """The deadline is a page's own parse: pages queued behind slow ones are not given up."""
    pool = ParsePool(1, preload=(), timeout=1.2)
    try:
        got = await asyncio.gather(*(pool.call(nap, 0.8) for _ in range(4)))
    finally:
        pool.close()
    assert got == [0.8] * 4


def nap(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def nap_or_fail(value: int) -> int:
    """:func:`double`, a healthy input taking 0.2 s."""
    time.sleep(0.2)
    return double(value)


@pytest.mark.parametrize("workers", [1, 2])
async def test_a_crashing_page_does_not_take_the_pages_waiting_behind_it_down(
    workers: int,
) -> None:
    """The pages handed to the pool beside a page that kills its worker are parsed: those that
    waited are no suspects, and the one that ran beside it is tried again alone."""
    pool = ParsePool(workers, preload=())
    try:
        await pool.call(double, 1)
        healthy = list(range(2 * workers - 1))
        got = await asyncio.gather(
            *(pool.call(nap_or_fail, v) for v in [POISON, *healthy]), return_exceptions=True
        )
    finally:
        pool.close()
    assert isinstance(got[0], ParseWorkerCrashed)
    assert got[1:] == [2 * v for v in healthy]


async def test_a_healthy_page_between_two_pathological_ones_is_parsed() -> None:
    pool = ParsePool(1, preload=(), timeout=1.0)
    try:
        await pool.call(double, 1)
        got = await asyncio.gather(
            *(pool.call(nap_or_fail, v) for v in [PATHOLOGICAL, 4, PATHOLOGICAL]),
            return_exceptions=True,
        )
    finally:
        pool.close()
    assert isinstance(got[0], ParseTimeout) and isinstance(got[2], ParseTimeout)
    assert got[1] == 8


def spin_from(stamp: str) -> None:
    Path(stamp).write_text(repr(time.monotonic()))  # CLOCK_MONOTONIC: one clock for all
    while True:
        pass


async def test_a_pathological_page_on_a_renewed_pool_is_stopped_at_its_own_deadline(
    tmp_path: Path,
) -> None:
    """Calls still running on the pool before its renewal do not hold back the clock of a call
    handed to the new workers."""
    pool = ParsePool(2, preload=(), timeout=1.5, recycle_after=4)
    stamp = tmp_path / "began"
    try:
        await asyncio.gather(pool.call(double, 1), pool.call(double, 2))
        slow = [asyncio.ensure_future(pool.call(nap, 0.6)) for _ in range(2)]
        await asyncio.sleep(0.1)
        with pytest.raises(ParseTimeout):
            await pool.call(spin_from, str(stamp))  # the fifth task: a renewed pool
        ran = time.monotonic() - float(stamp.read_text())
        assert await asyncio.gather(*slow) == [0.6, 0.6]
    finally:
        pool.close()
    assert ran < 2.1


async def test_a_closed_pool_is_not_renewed_for_a_call_it_stopped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A parse still running when the crawler stops is killed with its pool; it is not tried
    again on a fresh pool that nobody would close."""
    monkeypatch.setattr("services.crawler.workers.CLOSE_WAIT", 0.3)
    pool = ParsePool(1, preload=())
    await pool.call(double, 1)
    closed = pool._executor
    running = asyncio.ensure_future(pool.call(nap, 3.0))
    await asyncio.sleep(0.3)
    pool.close()
    with pytest.raises(ParseWorkerCrashed):
        await running
    assert pool._executor is closed


async def test_pages_beside_one_stopped_at_its_deadline_go_on_parsing_beside_others() -> None:
    """The page past its deadline is known, so the pages its pool took down with it are no
    suspects: they are not tried alone, holding up every page behind them for a deadline."""
    pool = ParsePool(2, preload=(), timeout=1.0)
    try:
        await pool.call(double, 1)
        started = time.monotonic()
        stuck = asyncio.ensure_future(pool.call(double, PATHOLOGICAL))
        await asyncio.sleep(0.3)
        beside = asyncio.ensure_future(pool.call(double, PATHOLOGICAL))
        await asyncio.sleep(0.9)  # the first is stopped; the second is handed over again
        healthy = await asyncio.gather(*(pool.call(double, v) for v in range(3)))
        healthy_done = time.monotonic() - started
        outcomes = await asyncio.gather(stuck, beside, return_exceptions=True)
    finally:
        pool.close()
    assert healthy == [0, 2, 4] and healthy_done < 1.7  # not after the second's deadline (2 s)
    assert all(isinstance(o, ParseTimeout) for o in outcomes)


async def test_a_pathological_page_stopped_beside_another_keeps_its_own_clock() -> None:
    """The pool stopped for the first page's deadline takes the second pathological page down
    too: tried again, it has what is left of its deadline, not a fresh one."""
    pool = ParsePool(2, preload=(), timeout=2.0)
    try:
        await pool.call(double, 1)
        first = asyncio.ensure_future(pool.call(double, PATHOLOGICAL))
        await asyncio.sleep(0.5)
        began = time.monotonic()
        with pytest.raises(ParseTimeout, match="2s"):
            await pool.call(double, PATHOLOGICAL)  # stopped with the first at 1.5 s
        ran = time.monotonic() - began
        with pytest.raises(ParseTimeout):
            await first
        assert [await pool.call(double, v) for v in range(3)] == [0, 2, 4]
    finally:
        pool.close()
    assert 1.9 < ran < 3.0  # its own 2 s, not 1.5 s and then another 2
