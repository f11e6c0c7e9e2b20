"""CPU-bound parsing in worker processes, awaited from the event loop.

HTML-to-text (trafilatura, lxml) holds the GIL, so threads cannot spread it over cores and it
stalls the event loop's fetching and publishing.  :class:`ParsePool` runs it in a process pool
(``forkserver``: workers are forked from a clean single-threaded server, never from the
crawler's own process with its threads and open connections) and awaits the results.

A worker that dies (killed, out of memory, a crash in a C extension) breaks the whole pool:
every call in flight fails with :class:`BrokenProcessPool`.  The pool is then replaced and each
of those calls is tried once more, alone in the pool; a call that breaks the replacement too
raises :class:`ParseWorkerCrashed`, which the callers report like any other parse failure.  So a
bad page can neither hang the caller nor take other pages down with it.  A closed pool is not
replaced: its calls raise :class:`ParseWorkerCrashed`.

A call that runs past the pool's ``timeout`` (a pathological page: a backtracking regex, a
parser's loop in C) raises :class:`ParseTimeout`; its worker cannot be stopped but by killing
it, which breaks the pool, so the pool is replaced as above — the calls beside it, no suspects,
are tried again (at most :data:`SPARED` times) with what is left of their own deadline, so a
pathological page stopped for another's deadline is not given a second one. So that the deadline
counts a call's own parse, not its wait behind others (with one worker more than the cores it
also counts the wait for a core, a small part of a deadline of seconds), :meth:`call` hands the
pool only as many calls at a time as it has workers (``map``'s chunks have no deadline).

Every :data:`RECYCLE_AFTER` tasks the pool is replaced by a fresh one while the old one finishes
what it holds: whatever a worker accumulates over months of pages (parser caches, fragmented
heaps) goes with it.  CPython's own ``max_tasks_per_child`` is not used: from 3.11 on, a worker
that leaves at its limit with tasks queued may never be replaced, and the queued tasks then wait
for ever (CPython gh-115634, fixed in 2025–26 releases, not in 3.11's).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import multiprocessing.forkserver
import os
import threading
import time
import weakref
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.process import BaseProcess
from typing import Any, TypeVar

from services.crawler.errors import CrawlerRetryable, ParseTimeout

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_WORKERS = 2
"""Both cores of the target machine; ``os.cpu_count()`` would overcommit a big shared host."""
RECYCLE_AFTER = 10_000
"""Tasks (a page, or a chunk of :meth:`ParsePool.map`) a pool runs before it is replaced: the
crawler parses each page it fetches in one task, so at 5,000 articles a day every day or two.
A renewal costs a worker's start (milliseconds: forked from the fork server with the parser's
modules imported); while the old workers finish their last pages, the new ones start beside
them."""
SPARED = 5
"""Times a call is tried again without counting, its pool stopped for other calls' deadlines."""
CLOSE_WAIT = 5.0
"""Seconds :meth:`ParsePool.close` lets a worker finish a call nobody awaits any more."""


class ParseWorkerCrashed(CrawlerRetryable):
    """A parse worker died twice while handling the same input."""


def default_workers() -> int:
    return max(1, min(DEFAULT_WORKERS, os.cpu_count() or 1))


def crawl_workers() -> int:
    """The crawler's parse workers: one more than :func:`default_workers`.  Each worker parses one
    page at a time and then idles until the event loop has seen its result and handed it the
    next (a result and a page cross two threads of the pool and the loop), so with one worker per
    core a core idled a good part of the crawl; the extra worker parses meanwhile.  Session 32,
    three alternated pairs of ``bench_crawler.py --pages 1000``: the ratio to the ceiling 0.346
    against 0.320 on bench pages and 0.467 against 0.430 on news pages (means), the two cores
    83–85 % and 90–91 % used against 77–82 % and 84–86 %; each pair gained.  (Handing each
    worker its next page ahead instead made which page broke a pool unknowable.)"""
    return default_workers() + 1


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie — killed, not yet reaped — does not)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            state = stat.read().rsplit(b")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    except (OSError, IndexError):  # no /proc: ask the kernel whether the pid exists
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # it exists, owned by someone else
            pass
        return True
    return state not in (b"Z", b"X")


def _orphaned_exit(owner: int) -> None:
    while _alive(owner):
        time.sleep(0.25)
    os._exit(1)


def _start_worker(
    owner: int, initializer: Callable[..., object] | None, initargs: tuple[Any, ...]
) -> None:
    """Every worker's initializer: leave when the process that owns the pool does (even on
    SIGKILL) — an orphaned worker would otherwise wait forever for work, holding the owner's
    stdout and stderr open, and so would the fork server, which every worker keeps alive —
    then the caller's initializer."""
    threading.Thread(target=_orphaned_exit, args=(owner,), daemon=True).start()
    if initializer is not None:
        initializer(*initargs)


def _run_chunk(fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
    return [fn(item) for item in items]


class ParsePool:
    """``await pool.call(fn, arg)`` / ``async for r in pool.map(fn, items)`` in worker processes.

    ``fn`` must be a module-level function (it is pickled by name); ``initializer`` runs once in
    every worker (e.g. to install the relevance rules there instead of sending them per call).
    """

    def __init__(
        self,
        workers: int | None = None,
        *,
        initializer: Callable[..., object] | None = None,
        initargs: tuple[Any, ...] = (),
        preload: Sequence[str] = ("services.crawler.page",),
        recycle_after: int = RECYCLE_AFTER,
        timeout: float | None = None,
    ) -> None:
        self.workers = workers or default_workers()
        self.recycle_after = recycle_after
        self.timeout = timeout
        """Seconds a :meth:`call` may run in its worker (``None``: no deadline)."""
        self._slots = asyncio.Semaphore(self.workers)
        """A :meth:`call` in a worker per worker: the others wait here, off the clock.  A slot
        is held until the worker is done with the call, even when its caller stopped waiting."""
        self._turns = asyncio.Lock()
        """Held while a caller takes its slots: one taking every slot is not overtaken by the
        callers that come after it."""
        self._closed = False
        self._killed: weakref.WeakSet[ProcessPoolExecutor] = weakref.WeakSet()
        """Executors stopped for a call past its deadline: the calls beside it are no suspects."""
        self._retired: list[tuple[ProcessPoolExecutor, list[BaseProcess]]] = []
        """Recycled executors and their workers, while any of those lives: a call of theirs
        past its deadline is stopped too, and :meth:`close` stops what is left."""
        self._tasks = 0
        """Tasks submitted to the current executor."""
        self._initializer = initializer
        self._initargs = initargs
        self._context = multiprocessing.get_context("forkserver")
        # Imported once by the fork server, so a new worker starts in milliseconds instead of
        # importing trafilatura and lxml again.  The server starts now and imports them while
        # this process goes on (the first worker waits for it); one already running keeps its.
        self._context.set_forkserver_preload(list(preload))
        multiprocessing.forkserver.ensure_running()
        self._executor = self._new_executor()

    def _new_executor(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self.workers,
            mp_context=self._context,
            initializer=_start_worker,
            initargs=(os.getpid(), self._initializer, self._initargs),
        )

    def _submit(self, fn: Callable[..., R], *args: Any) -> tuple[ProcessPoolExecutor, Future[R]]:
        if self._closed:
            raise ParseWorkerCrashed("the parse pool is closed")
        if self._tasks >= self.recycle_after:
            self._recycle()
        self._tasks += 1
        executor = self._executor
        try:
            return executor, executor.submit(fn, *args)
        except BrokenProcessPool:
            self._replace(executor)
            executor = self._executor
            return executor, executor.submit(fn, *args)

    def _recycle(self) -> None:
        """A fresh executor for what comes next; the old one runs what it was given (its
        callers await those futures as before), then its workers exit."""
        old, self._executor, self._tasks = self._executor, self._new_executor(), 0
        self._retired = [(e, ps) for e, ps in self._retired if any(p.is_alive() for p in ps)]
        self._retired.append((old, _workers(old)))
        old.shutdown(wait=False)

    def _workers_of(self, executor: ProcessPoolExecutor) -> list[BaseProcess]:
        """The workers of ``executor``, current or retired (a shut-down executor forgets its
        own); none once another caller replaced it."""
        retired = (ps for e, ps in self._retired if e is executor)
        return _workers(executor) or next(retired, [])

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        """A fresh executor if ``broken`` is still the current one; what is left of ``broken``'s
        workers is killed, a retired executor's too (if it was not broken yet, it is now: its
        calls fail with :class:`BrokenProcessPool`).

        CPython's manager thread terminates a broken pool's workers and then waits for them,
        but a submission that raced with the breakage can start one more worker after that
        (``ProcessPoolExecutor.submit`` checks ``_broken`` before the manager thread sets it):
        the thread would then wait for it for ever, and so would the interpreter at exit.
        Every submission to ``broken`` happened before this call, on this event loop.
        """
        workers = self._workers_of(broken)
        if self._executor is broken and not self._closed:
            self._executor, self._tasks = self._new_executor(), 0
        broken.shutdown(wait=False)
        for worker in workers:
            worker.kill()

    async def _await(self, fn: Callable[..., R], *args: Any) -> R:
        attempt, spared, ran = 1, 0, 0.0
        while True:
            slots = 1 if attempt == 1 else self.workers  # tried again: alone in the pool
            await self._hold(slots)
            if self.timeout is not None and ran >= self.timeout:
                self._release(slots)
                raise ParseTimeout(f"no result within {self.timeout:g}s")
            try:
                executor, future = self._submit(fn, *args)
            except BaseException:
                self._release(slots)
                raise
            handed = time.monotonic()
            # the watch goes on when the caller is cancelled: it holds the slots while the
            # worker is busy with the call, and stops the worker at the deadline
            watch = asyncio.ensure_future(self._watch(executor, future, slots, ran))
            watch.add_done_callback(_retrieved)
            try:
                return await asyncio.shield(watch)
            except BrokenProcessPool as exc:
                self._replace(executor)
                if executor in self._killed and spared < SPARED:
                    spared += 1  # stopped for another call's deadline: no suspect, but the
                    ran += time.monotonic() - handed  # time it ran counts to its own deadline
                    continue
                if attempt == 2:
                    raise ParseWorkerCrashed(f"a parse worker died twice: {exc}") from exc
                attempt = 2

    async def _hold(self, slots: int) -> None:
        """Take ``slots`` slots, in turn with the other callers: a call tried again after its
        pool broke takes every one, so that a page that broke the pool beside it cannot break it
        again (it would fail twice, and be reported, for another page's fault)."""
        held = 0
        try:
            async with self._turns:
                while held < slots:
                    await self._slots.acquire()
                    held += 1
        except BaseException:
            self._release(held)
            raise

    def _release(self, slots: int) -> None:
        for _ in range(slots):
            self._slots.release()

    async def _watch(
        self, executor: ProcessPoolExecutor, future: Future[R], slots: int, ran: float
    ) -> R:
        try:
            return await self._within_deadline(executor, future, ran)
        finally:
            self._release(slots)

    async def _within_deadline(
        self, executor: ProcessPoolExecutor, future: Future[R], ran: float
    ) -> R:
        """The result of ``future``; past :attr:`timeout` (less the ``ran`` seconds the call
        ran before, on a pool stopped for another call's deadline), its pool is replaced (the
        only way to stop the worker) and :class:`ParseTimeout` raised."""
        deadline = asyncio.timeout(None if self.timeout is None else self.timeout - ran)
        try:
            async with deadline:
                return await asyncio.wrap_future(future)
        except TimeoutError as exc:
            if not deadline.expired():  # raised by the function itself
                raise
            self._killed.add(executor)
            self._replace(executor)
            raise ParseTimeout(f"no result within {self.timeout:g}s") from exc

    async def call(self, fn: Callable[[T], R], arg: T) -> R:
        """``fn(arg)`` in a worker; its exceptions are raised here."""
        return await self._await(fn, arg)

    async def map(
        self,
        fn: Callable[[T], R],
        items: Iterable[T],
        *,
        crashed: Callable[[T, ParseWorkerCrashed], R],
        chunk: int = 16,
        ahead: int = 4,
    ) -> AsyncIterator[R]:
        """``fn`` over ``items`` in order, ``chunk`` items per task, at most ``ahead`` tasks per
        worker in flight (bounded memory however long ``items`` is).  A chunk whose worker died
        is retried item by item (see the module docstring); an item that kills a worker twice
        yields ``crashed(item, error)`` instead."""
        source = iter(items)
        flight: deque[tuple[list[T], asyncio.Task[list[R]]]] = deque()

        def fill() -> None:
            while len(flight) < ahead * self.workers:
                batch = [item for _, item in zip(range(chunk), source, strict=False)]
                if not batch:
                    return
                task = asyncio.ensure_future(self._chunk(fn, batch))
                flight.append((batch, task))

        fill()
        try:
            while flight:
                batch, task = flight.popleft()
                try:
                    results = await task
                except ParseWorkerCrashed:
                    results = [await self._alone(fn, item, crashed) for item in batch]
                fill()
                for result in results:
                    yield result
        finally:
            for _, pending in flight:
                pending.cancel()
            await asyncio.gather(*(t for _, t in flight), return_exceptions=True)

    async def _chunk(self, fn: Callable[[T], R], batch: list[T]) -> list[R]:
        executor, future = self._submit(_run_chunk, fn, batch)
        try:
            return await asyncio.wrap_future(future)
        except BrokenProcessPool as exc:
            self._replace(executor)
            raise ParseWorkerCrashed(str(exc)) from exc

    async def _alone(
        self, fn: Callable[[T], R], item: T, crashed: Callable[[T, ParseWorkerCrashed], R]
    ) -> R:
        try:
            return await self.call(fn, item)
        except ParseWorkerCrashed as exc:
            return crashed(item, exc)

    async def warm_up(self, fn: Callable[[T], R], arg: T) -> None:
        """Start every worker (imports, initializer) before the timed work begins."""
        await asyncio.gather(*(self.call(fn, arg) for _ in range(self.workers)))

    def close(self) -> None:
        """Stop the workers: idle ones exit at once; one still busy with a call its caller gave
        up on (a parse before its deadline) is killed after :data:`CLOSE_WAIT` seconds."""
        self._closed = True
        pools = [(self._executor, _workers(self._executor)), *self._retired]
        for executor, _ in pools:
            executor.shutdown(wait=False, cancel_futures=True)
        deadline = time.monotonic() + CLOSE_WAIT
        for _, workers in pools:
            for worker in workers:
                worker.join(max(0.0, deadline - time.monotonic()))
                if worker.is_alive():
                    worker.kill()
        for executor, _ in pools:
            executor.shutdown(wait=True)


def _workers(executor: ProcessPoolExecutor) -> list[BaseProcess]:
    return list((executor._processes or {}).values())


def _retrieved(task: asyncio.Task[Any]) -> None:
    """Mark a watch's outcome as seen: its caller may have been cancelled before it ended."""
    if not task.cancelled():
        task.exception()
