"""Composition of the services: which loops each one runs, and how they stop.

A service is a set of asyncio tasks sharing one producer and one database engine:

- ``crawler``:   the polling crawler → ``articles.v1``
- ``extractor``: consumer of ``articles.v1`` → ``facts.v1``
- ``store``:     consumer of ``facts.v1`` → database, plus the outbox relay → ``ledger.changes.v1``
- ``alerts``:    consumer of ``ledger.changes.v1`` → deliveries, plus the webhook delivery worker

``infraledger up`` runs all of them in one process; ``infraledger <service>`` runs one.  On stop
(SIGTERM / Ctrl-C) every loop finishes its current batch, commits, and returns; the producer is
flushed and the engine disposed.  Loops still busy after the grace period are cancelled — their
uncommitted work is redelivered later and absorbed by the idempotent handlers.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from services.core.bus import BatchHandler
from services.core.config import Settings
from services.core.db import make_engine, session_factory
from services.core.kafka import (
    ConsumerLoop,
    KafkaPublisher,
    ensure_topics,
    kafka_publisher,
    record_lifetime,
)
from services.core.polling import header_time
from services.core.retention import BATCH, Floor, Prune, run_retention
from services.core.topics import Topics

log = logging.getLogger(__name__)

ALL_SERVICES = ("crawler", "extractor", "store", "alerts")
CONSUMED_TOPIC = {"extractor": "articles", "store": "facts", "alerts": "changes"}


def group_of(settings: Settings, service: str) -> str:
    return f"{settings.group_prefix}-{service}"


@dataclass
class Runtime:
    """What running services share; read by the health endpoints."""

    settings: Settings
    engine: Engine
    factory: sessionmaker[Session]
    publisher: KafkaPublisher
    stop: asyncio.Event
    services: tuple[str, ...]
    loops: dict[str, ConsumerLoop] = field(default_factory=dict)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    delivery_wake: asyncio.Event = field(default_factory=asyncio.Event)
    checks: dict[str, Callable[[], bool]] = field(default_factory=dict)
    """Further readiness checks by name (the crawler's archive)."""

    @property
    def topics(self) -> Topics:
        return Topics(self.settings.topic_prefix)

    def readiness(self) -> dict[str, bool]:
        ready = {name: loop.ready for name, loop in self.loops.items()}
        ready["tasks"] = all(not t.done() for t in self.tasks)
        ready.update((name, check()) for name, check in self.checks.items())
        return ready

    def consumer(
        self,
        service: str,
        handler: BatchHandler,
        event_time: Callable[[object], int | None] | None = None,
    ) -> ConsumerLoop:
        """The service's consumer loop.  Each poll goes to the handler whole (every partition in
        one batch, committed together): the handlers' cost is mostly per batch — a transaction,
        a round of broker acknowledgements — and all of them take batches of any partitions.
        With ``event_time``, polls are taken in it (:attr:`ConsumerLoop.event_time`)."""
        topic = getattr(self.topics, CONSUMED_TOPIC[service])
        loop = ConsumerLoop(
            settings=self.settings,
            service=service,
            topics=[topic],
            group=group_of(self.settings, service),
            handler=handler,
            dead_letters=self.publisher,
            whole_poll=True,
            event_time=event_time,
        )
        self.loops[service] = loop
        return loop

    def spawn(self, name: str, work: Awaitable[None]) -> None:
        async def guarded() -> None:
            try:
                await work
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("service task failed", extra={"task": name})
                self.stop.set()
                raise

        self.tasks.append(asyncio.create_task(guarded(), name=name))

    def keep_for_retention(
        self, service: str, delete: Prune, floor: Floor | None = None, batch: int = BATCH
    ) -> None:
        """Prune ``service``'s settled rows older than the retention (unless it is 0), or than
        ``floor()`` if longer, ``batch`` rows a transaction."""
        if self.settings.retention > 0:
            work = run_retention(self.factory, delete, self.settings.retention, self.stop,
                                 service=service, floor=floor, batch=batch)  # fmt: skip
            self.spawn(f"{service}-retention", work)


def _start_extractor(rt: Runtime) -> None:
    from services.extractor.service import make_handler

    # the store keeps histories in the articles' time order: keep the facts in it too
    loop = rt.consumer("extractor", make_handler(rt.publisher, rt.topics), header_time)
    rt.spawn("extractor", loop.run(rt.stop))


def _start_store(rt: Runtime) -> None:
    from services.store.repository import prune_published
    from services.store.service import OutboxFeed, make_handler, run_outbox_relay

    window = timedelta(seconds=rt.settings.conflict_window)
    feed = OutboxFeed()
    handler = make_handler(rt.factory, rt.topics, window=window, feed=feed)
    # histories are kept in the articles' time order: polls go in step with it
    loop = rt.consumer("store", handler, header_time)
    rt.spawn("store", loop.run(rt.stop))
    rt.spawn(
        "store-outbox",
        run_outbox_relay(rt.factory, rt.publisher, rt.topics, rt.stop, feed=feed),
    )
    rt.keep_for_retention("store", partial(prune_published, topic=rt.topics.changes))


def _start_alerts(rt: Runtime) -> None:
    from services.alerts.repository import prune_settled
    from services.alerts.service import make_handler, run_delivery_worker

    loop = rt.consumer("alerts", make_handler(rt.factory, rt.settings, wake=rt.delivery_wake))
    rt.spawn("alerts", loop.run(rt.stop))
    rt.spawn(
        "alerts-delivery",
        run_delivery_worker(rt.factory, rt.settings, rt.stop, wake=rt.delivery_wake),
    )
    # a delivery row stops a redelivered change from being sent twice: kept while Kafka has it
    lifetime = partial(record_lifetime, rt.settings, rt.topics.changes)
    rt.keep_for_retention("alerts", prune_settled, lifetime)


def _start_crawler(rt: Runtime) -> None:
    from services.crawler.crawler import run_crawler
    from services.crawler.state import FORGET_BATCH, forget_fingerprints, prune_parse_timeouts

    async def crawl() -> None:
        await run_crawler(rt.settings, rt.publisher, rt.stop, checks=rt.checks)

    rt.spawn("crawler", crawl())
    # a smaller batch than the others': SQLite's one writer lock is the claims' too, and the
    # first prune of a long-running database forgets months of articles
    rt.keep_for_retention("crawler", forget_fingerprints, batch=FORGET_BATCH)
    rt.keep_for_retention("crawler-parse-timeouts", prune_parse_timeouts)


STARTERS: dict[str, Callable[[Runtime], None]] = {
    "crawler": _start_crawler,
    "extractor": _start_extractor,
    "store": _start_store,
    "alerts": _start_alerts,
}


@contextlib.asynccontextmanager
async def running(settings: Settings, services: tuple[str, ...], stop: asyncio.Event):  # type: ignore[no-untyped-def]
    """Start ``services``; on exit stop them within the grace period and release resources."""
    from services.core.migrate import upgrade

    await asyncio.to_thread(upgrade, settings.database_url)
    await ensure_topics(settings)
    engine = make_engine(settings.database_url)
    try:
        async with kafka_publisher(settings) as publisher:
            rt = Runtime(settings, engine, session_factory(engine), publisher, stop, services)
            for name in services:
                STARTERS[name](rt)
            with settled_interpreter():
                try:
                    yield rt
                finally:
                    stop.set()
                    await _drain(rt, settings.grace_period)
    finally:
        engine.dispose()


SWITCH_INTERVAL = 0.0005
"""Seconds a thread holds the GIL while another waits for it (CPython's default: 0.005)."""


@contextlib.contextmanager
def settled_interpreter() -> Iterator[None]:
    """The interpreter tuned for the services while they run (once they are up), and as it was
    after: the process may go on (tests, ``up --once``).

    - The cyclic garbage collector: what is loaded by then (modules, schemas, engines) lives as
      long as the process: frozen, the collector no longer rescans it.  Young collections run
      every 20,000 allocations instead of 700: a store batch keeps thousands of objects alive
      until it commits, and the defaults rescanned them over and over (≈25 % of the store
      handler's CPU, 0.6 of 2.3 s for 5,000 facts; 0.1 s after).  Almost everything is freed by
      reference counting anyway.
    - The GIL's switch interval: a service's database work runs in a thread (``to_thread``)
      beside the event loop, and each time a query's answer arrives the thread waits for the
      GIL until the loop's thread gives it up — up to the whole interval, for every round trip
      of a transaction.  At 0.5 ms instead of 5 ms the pipeline ran 898 instead of 746
      articles/s end to end (three alternated pairs of runs) and its processes used 2.03
      instead of 2.43 ms of CPU per article.
    """
    threshold, switch_interval = gc.get_threshold(), sys.getswitchinterval()
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
    sys.setswitchinterval(SWITCH_INTERVAL)
    try:
        yield
    finally:
        sys.setswitchinterval(switch_interval)
        gc.set_threshold(*threshold)
        gc.unfreeze()


async def _drain(rt: Runtime, grace: float) -> None:
    if not rt.tasks:
        return
    done, pending = await asyncio.wait(rt.tasks, timeout=grace)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    for task in done:
        if not task.cancelled() and task.exception() is not None:
            log.error("task %s ended with %r", task.get_name(), task.exception())


def stop_on_signals(stop: asyncio.Event) -> None:
    """SIGTERM and SIGINT set ``stop``; a second signal exits at once."""
    loop = asyncio.get_running_loop()

    def request_stop() -> None:
        if stop.is_set():
            raise SystemExit(130)
        log.info("stopping: finishing in-flight work")
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, request_stop)
