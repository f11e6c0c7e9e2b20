"""Retention: deleting rows that are kept only while a redelivery or an audit may need them.

Two kinds of rows grow with every change and are never read by the pipeline once settled: a
webhook delivery with its attempts, once delivered or given up (the alerts service), and an
outbox row, once Kafka acknowledged it (the store).  Each service deletes its own rows older
than ``INFRALEDGER_RETENTION`` — hourly, a batch per transaction, so no transaction holds its
locks for long.  The ledger, its history, the change log and the articles are never pruned.

The retention must outlive ``ledger.changes.v1``'s (30 days): a change redelivered by Kafka must
still find its delivery row, or its endpoints would be sent it a second time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from services.core.db import transaction, utcnow
from services.core.errors import RetryableError
from services.core.metrics import PRUNED

log = logging.getLogger(__name__)

Prune = Callable[[Session, datetime, int], int]
"""``(session, before, limit) → rows deleted``: deletes at most ``limit`` settled rows (and what
belongs to them) last changed before ``before``."""

BATCH = 1000
EVERY = 3600.0
"""Seconds between two prunes."""


def prune(
    factory: sessionmaker[Session], delete: Prune, before: datetime, batch: int = BATCH
) -> int:
    """Run ``delete`` a transaction at a time until a batch comes back short; returns the total."""
    total = 0
    while True:
        with transaction(factory) as session:
            deleted = delete(session, before, batch)
        total += deleted
        if deleted < batch:
            return total


async def run_retention(
    factory: sessionmaker[Session],
    delete: Prune,
    retention: float,
    stop: asyncio.Event,
    *,
    service: str,
    every: float = EVERY,
) -> None:
    """Until ``stop`` is set: prune the rows older than ``retention`` seconds, then wait ``every``
    seconds.  A failed prune is logged and tried again at the next turn: it is housekeeping,
    never a reason to stop the service."""
    while not stop.is_set():
        before = utcnow() - timedelta(seconds=retention)
        try:
            deleted = await asyncio.to_thread(prune, factory, delete, before)
        except RetryableError as exc:
            log.warning("retention: %s; trying again later", exc, extra={"service": service})
        except Exception:
            log.exception("retention: prune failed", extra={"service": service})
        else:
            PRUNED.labels(service).inc(deleted)
            if deleted:
                log.info(
                    "retention: pruned %d rows settled before %s", deleted, before.isoformat(),
                    extra={"service": service},
                )  # fmt: skip
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)
