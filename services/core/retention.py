"""Retention: deleting rows that are kept only while a redelivery, an audit or a copy may need them.

Three kinds of rows grow with every change or article and are never read by the pipeline once
settled: a webhook delivery with its attempts, once delivered or given up (the alerts service);
an outbox row, once Kafka acknowledged it (the store); and an article's near-duplicate
fingerprint — its MinHash signature and up to 16 LSH band keys — which finds copies of it
published within days, not months (the crawler; which also drops the counts of parse
timeouts of URLs no listing names any more).  Each service deletes its own rows older than
``INFRALEDGER_RETENTION`` — hourly, a batch per transaction with a pause between batches, so no
transaction holds its locks for long and a stop is never kept waiting.  The ledger, its history,
the change log, the articles and the crawler's URLs and content hashes (its dedup of the same
URL and the same text) are never pruned.

A delivery row is what stops a change that Kafka delivers again from being sent again, so the
alerts service keeps it at least as long as ``ledger.changes.v1`` may still hold the change
(:func:`services.core.kafka.record_lifetime`, read from the broker at every prune): a shorter
setting is raised to that, and a topic that keeps records for ever keeps the deliveries too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from services.core.db import transaction, utcnow
from services.core.errors import RetryableError
from services.core.metrics import PRUNED

log = logging.getLogger(__name__)

Prune = Callable[[Session, datetime, int], int]
"""``(session, before, limit) → how many``: deletes at most ``limit`` settled rows (and what
belongs to them) older than ``before``, or (the crawler) forgets the fingerprints of at most
``limit`` articles claimed before it."""
Floor = Callable[[], Awaitable[float | None]]
"""The least retention in seconds that keeps idempotency (``None``: keep everything)."""

BATCH = 1000
PAUSE = 0.05
"""Seconds between two batches: the service's own writers get the database in between."""
EVERY = 3600.0
"""Seconds between two prunes."""
FLOOR_MARGIN = 86400.0
"""Added to a :data:`Floor`: clocks and a consumer's lag are not exact."""


def _prune_batch(
    factory: sessionmaker[Session], delete: Prune, before: datetime, batch: int
) -> int:
    """One transaction of ``delete``; returns the rows it deleted."""
    with transaction(factory) as session:
        return delete(session, before, batch)


async def prune(
    factory: sessionmaker[Session],
    delete: Prune,
    before: datetime,
    stop: asyncio.Event,
    *,
    batch: int = BATCH,
    pause: float = PAUSE,
) -> int:
    """Delete batch after batch until one comes back short or ``stop`` is set; returns the total."""
    total = 0
    while not stop.is_set():
        deleted = await asyncio.to_thread(_prune_batch, factory, delete, before, batch)
        total += deleted
        if deleted < batch:
            break
        await asyncio.sleep(pause)
    return total


async def _retention(retention: float, floor: Floor | None, service: str) -> float | None:
    """This turn's retention: the setting, raised to the floor; ``None`` to skip the turn."""
    if floor is None:
        return retention
    try:
        least = await floor()
    except Exception as exc:  # the broker away, a refused request: never prune blind
        log.warning("retention: cannot read the floor (%r); not pruning now", exc,
                    extra={"service": service})  # fmt: skip
        return None
    if least is None:
        log.info("retention: the topic keeps records for ever, so settled rows are kept too",
                 extra={"service": service})  # fmt: skip
        return None
    if least + FLOOR_MARGIN > retention:
        log.info("retention: raised to %.1f days, beyond the topic's records",
                 (least + FLOOR_MARGIN) / 86400, extra={"service": service})  # fmt: skip
    return max(retention, least + FLOOR_MARGIN)


async def run_retention(
    factory: sessionmaker[Session],
    delete: Prune,
    retention: float,
    stop: asyncio.Event,
    *,
    service: str,
    floor: Floor | None = None,
    every: float = EVERY,
    batch: int = BATCH,
) -> None:
    """Until ``stop`` is set: prune the rows older than ``retention`` seconds (raised to
    ``floor()``), then wait ``every`` seconds.  A failed prune is logged and tried again at the
    next turn: it is housekeeping, never a reason to stop the service."""
    while not stop.is_set():
        kept = await _retention(retention, floor, service)
        if kept is not None:
            before = utcnow() - timedelta(seconds=kept)
            try:
                deleted = await prune(factory, delete, before, stop, batch=batch)
            except RetryableError as exc:
                log.warning("retention: %s; trying again later", exc, extra={"service": service})
            except Exception:
                log.exception("retention: prune failed", extra={"service": service})
            else:
                PRUNED.labels(service).inc(deleted)
                if deleted:
                    log.info("retention: pruned %d older than %s", deleted,
                             before.isoformat(), extra={"service": service})  # fmt: skip
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)
