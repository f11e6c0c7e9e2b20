"""``infraledger up``: the whole pipeline in one process, with a local broker if none is named.

1. Start a single-node Apache Kafka under ``data_dir/kafka`` unless INFRALEDGER_KAFKA_BOOTSTRAP
   names one (stopped again on exit).
2. Migrate the database, create the topics, start the services.
3. Replay ``seeds/`` (or the given archives) — idempotent, so every start may do it.
4. Wait until every replayed message has been consumed and stored and every change relayed
   (and, with ``--alerts``, every delivery settled); print the ledger.
5. ``--once``: exit.  Otherwise keep crawling the configured sources until SIGTERM / Ctrl-C.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from services.core.config import Settings
from services.core.kafka import LagProbe
from services.core.localkafka import LocalKafka, default_local
from services.replay.publish import Progress, ReplaySummary, new_replay_id, publish_records
from services.replay.sources import read_path
from services.runtime import ALL_SERVICES, Runtime, running

log = logging.getLogger(__name__)

SEEDS = Path("seeds")
PIPELINE = ("extractor", "store", "alerts")


async def start_local_broker(settings: Settings) -> tuple[Settings, LocalKafka | None]:
    """Settings with a bootstrap address, and the broker this process started (if any)."""
    if settings.kafka_bootstrap:
        return settings, None
    broker = default_local(settings.data_dir, settings.partitions)
    seconds = await asyncio.to_thread(broker.start)
    log.info("local Apache Kafka ready", extra={"bootstrap": broker.bootstrap, "s": seconds})
    return settings.model_copy(update={"kafka_bootstrap": broker.bootstrap}), broker


async def replay_into(
    rt: Runtime, paths: Sequence[Path], *, alerts: bool
) -> ReplaySummary:
    records = (record for path in paths for record in read_path(path))
    return await publish_records(
        records,
        rt.publisher,
        rt.topics,
        replay_id=new_replay_id(str(p) for p in paths),
        alerts=alerts,
        progress=Progress(),
    )


def _unrelayed_changes(rt: Runtime) -> int:
    from services.store.repository import pending

    with rt.factory() as session:
        return len(pending(session, rt.topics.changes, limit=1000))


async def pipeline_backlog(rt: Runtime, probe: LagProbe) -> int:
    """Messages not yet durably handled by extractor, store and alerts, plus unrelayed changes."""
    backlog = await asyncio.to_thread(_unrelayed_changes, rt)
    for loop in rt.loops.values():
        backlog += await probe.lag(loop.group, loop.topics)
    return backlog


async def wait_drained(rt: Runtime, *, alerts: bool, timeout: float = 600.0) -> float:
    """Wait until the pipeline has nothing left to do (twice in a row); return the seconds."""
    began = time.monotonic()
    quiet = 0
    async with LagProbe(rt.settings) as probe:
        while quiet < 2:
            if rt.stop.is_set():
                raise RuntimeError("stopped before the pipeline drained")
            if time.monotonic() - began > timeout:
                raise TimeoutError(f"pipeline not drained after {timeout:.0f}s")
            backlog = await pipeline_backlog(rt, probe)
            if backlog == 0 and alerts and "alerts" in rt.services:
                from services.alerts.service import wait_settled

                settled = await wait_settled(rt.factory, timeout=max(1.0, timeout))
                backlog = 0 if settled else 1
            quiet = quiet + 1 if backlog == 0 else 0
            await asyncio.sleep(0.3)
    return time.monotonic() - began


def print_ledger(rt: Runtime) -> None:
    from services.store.cli import render_ledger

    with rt.factory() as session:
        sys.stdout.write(render_ledger(session) + "\n")
    sys.stdout.flush()


async def up(
    settings: Settings,
    *,
    once: bool,
    replay: Sequence[Path] = (),
    alerts: bool = False,
    serve_api: bool = True,
) -> int:
    from services.api.app import create_app, serve
    from services.runtime import stop_on_signals

    stop = asyncio.Event()
    stop_on_signals(stop)
    settings, broker = await start_local_broker(settings)
    services = PIPELINE if once else ALL_SERVICES
    try:
        async with running(settings, services, stop) as rt:
            if serve_api and not once:
                app = create_app(rt.readiness, rt.engine, with_api=True, settings=settings)
                rt.spawn("api", serve(app, settings.api_port, stop))
            paths = list(replay) or [SEEDS]
            summary = await replay_into(rt, paths, alerts=alerts)
            await wait_drained(rt, alerts=alerts)
            print_ledger(rt)
            if summary.errors:
                for error in summary.errors:
                    sys.stderr.write(f"skipped: {error}\n")
            if not once:
                log.info("monitoring sources; Ctrl-C to stop")
                await stop.wait()
            return 1 if summary.errors else 0
    finally:
        if broker is not None:
            await asyncio.to_thread(broker.stop)
