"""The alerts service: queue deliveries from ``ledger.changes.v1`` and send them.

Delivery semantics, stated plainly:

- The consumer handler records one ``pending`` delivery per (change, matching endpoint) in the
  same transaction for the whole batch, before the offset is committed.  The ``webhook-id``
  (``msg_`` + stable id of change id and endpoint id) is the primary key: a redelivered batch
  inserts nothing twice.
- The worker takes due deliveries from the database, so a restart loses nothing.  Before each
  POST it leases the delivery (``sending`` until ``lease_until``, default: timeout + 30 s) and
  logs the attempt as started.  A worker killed after sending but before recording leaves the
  lease to expire; the delivery is then sent once more with the same ``webhook-id`` and the lost
  attempt is logged as ``lost``.  Delivery is therefore at-least-once; receivers deduplicate on
  ``webhook-id``.
- Every endpoint has at most ``INFRALEDGER_WEBHOOK_CONCURRENCY`` attempts in flight and each
  attempt is its own task, so a slow or dead endpoint only ever occupies its own slots.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import httpx
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from services.alerts import metrics, repository
from services.alerts.errors import AlertsRetryable, BadChange
from services.alerts.schedule import (
    Decision,
    Jitter,
    Verdict,
    decide,
    parse_retry_after,
    proportional_jitter,
)
from services.alerts.sender import AttemptResult, make_client, post
from services.alerts.signing import webhook_headers
from services.core.bus import BatchHandler, Message
from services.core.config import Settings
from services.core.db import DatabaseUnavailable, transaction, utcnow
from services.core.models import ChangeV1

log = logging.getLogger(__name__)

LEASE_MARGIN = 30.0
"""Seconds a lease outlives the attempt's timeout before another worker may take over."""
MAX_IN_FLIGHT = 256
"""Attempts in flight across all endpoints (each endpoint also has its own limit)."""


def parse_change(message: Message) -> ChangeV1:
    try:
        change = ChangeV1.model_validate_json(message.value)
    except ValidationError as exc:
        raise BadChange(f"not a change.v1 message: {exc.error_count()} error(s): {exc}") from exc
    message.require_key(change.key)
    return change


def make_handler(
    factory: sessionmaker[Session], settings: Settings, *, wake: asyncio.Event | None = None
) -> BatchHandler:
    """The ``ledger.changes.v1`` handler: queue the deliveries of a batch in one transaction."""
    first_delay = settings.webhook_retry_schedule[0]

    def enqueue(changes: Sequence[ChangeV1]) -> int:
        try:
            with transaction(factory) as session:
                return repository.enqueue_changes(session, changes, utcnow(), first_delay)
        except IntegrityError as exc:
            raise AlertsRetryable("a concurrent writer queued the same delivery") from exc

    async def handle(messages: Sequence[Message]) -> None:
        changes = [parse_change(m) for m in messages]
        if not any(change.notify for change in changes):
            return  # a replay's without --alerts: they reach nobody (no database round)
        queued = await asyncio.to_thread(enqueue, changes)
        if queued and wake is not None:
            wake.set()

    return handle


@dataclass(frozen=True)
class Sent:
    """An attempt made and classified, not yet recorded."""

    claim: repository.Claim
    result: AttemptResult
    decision: Decision
    at: datetime


class Deliverer:
    """Makes attempts of claimed deliveries; records and reports them."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        settings: Settings,
        client: httpx.AsyncClient,
        jitter: Jitter,
    ) -> None:
        self.factory = factory
        self.settings = settings
        self.client = client
        self.jitter = jitter

    async def send(self, claim: repository.Claim) -> Sent:
        headers = webhook_headers(claim.secrets, claim.webhook_id, int(time.time()), claim.body)
        result = await post(
            self.client, claim.url, headers, claim.body, self.settings.webhook_timeout
        )
        now = utcnow()
        decision = decide(
            result.status,
            parse_retry_after(result.retry_after, now),
            claim.number,
            self.settings.webhook_retry_schedule,
            self.jitter,
        )
        return Sent(claim, result, decision, now)

    def crashed(self, claim: repository.Claim) -> Sent:
        """An attempt that raised instead of returning, as a failure without an answer."""
        result = AttemptResult(status=None, latency=0.0, error_class="crashed")
        schedule = self.settings.webhook_retry_schedule
        decision = decide(None, None, claim.number, schedule, self.jitter)
        return Sent(claim, result, decision, utcnow())

    def record(self, session: Session, sent: Sent) -> repository.Recorded:
        return repository.record_attempt(
            session,
            sent.claim,
            sent.result,
            sent.decision,
            sent.at,
            self.settings.webhook_disable_after,
            self.settings.webhook_retry_schedule,
        )

    async def attempt(self, claim: repository.Claim) -> repository.Recorded:
        """Send, record in a transaction of its own, report."""
        sent = await self.send(claim)

        def record() -> repository.Recorded:
            with transaction(self.factory) as session:
                return self.record(session, sent)

        recorded = await asyncio.to_thread(record)
        report(sent, recorded)
        return recorded


def disabled_by(recorded: repository.Recorded) -> str:
    """Why an attempt disabled its endpoint, as the metric counts it: ``gone`` (the receiver
    answered 410) or ``failing`` (no success for too long) — from the verdict, not the reason's
    text, which holds a timestamp that may contain "410"."""
    return "gone" if recorded.verdict is Verdict.DISABLE else "failing"


def report(sent: Sent, recorded: repository.Recorded) -> None:
    """Log and count one recorded attempt."""
    claim, result = sent.claim, sent.result
    metrics.DELIVERIES.labels(outcome=recorded.verdict.value).inc()
    metrics.LATENCY.observe(result.latency)
    log.info(
        "webhook attempt",
        extra={
            "webhook_id": claim.webhook_id,
            "endpoint_id": claim.endpoint_id,
            "attempt": claim.number,
            "status": result.status,
            "latency_ms": round(result.latency * 1000, 1),
            "error_class": result.error_class,
            "response": (result.body_excerpt or "")[:200],
            "outcome": recorded.verdict.value,
        },
    )
    if recorded.disabled_reason is not None:
        metrics.ENDPOINTS_DISABLED.labels(reason=disabled_by(recorded)).inc()
        log.warning(
            "webhook endpoint disabled",
            extra={"endpoint_id": claim.endpoint_id, "reason": recorded.disabled_reason},
        )


async def run_delivery_worker(
    factory: sessionmaker[Session],
    settings: Settings,
    stop: asyncio.Event,
    *,
    wake: asyncio.Event | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    jitter: Jitter | None = None,
    lease: float | None = None,
    poll_interval: float = 1.0,
) -> None:
    """Send due deliveries until ``stop`` is set, then finish and record the attempts in flight.

    One loop does all database work, one transaction per turn: record the attempts finished
    since the last turn, then lease due deliveries into the endpoints' free slots.  Attempts
    run as tasks meanwhile.  ``wake`` (set by :func:`make_handler`) shortens the wait for new
    deliveries; other processes' deliveries are found by polling every ``poll_interval`` s.
    """
    lease_s = settings.webhook_timeout + LEASE_MARGIN if lease is None else lease
    slots = settings.webhook_concurrency
    in_flight: Counter[str] = Counter()
    finished: list[Sent] = []
    tasks: set[asyncio.Task[None]] = set()
    freed = asyncio.Event()
    wake = wake or asyncio.Event()

    async with make_client(settings, transport) as client:
        deliverer = Deliverer(factory, settings, client, jitter or proportional_jitter())

        async def one(claim: repository.Claim) -> None:
            try:
                sent = await deliverer.send(claim)
            except Exception:  # a bug, not a failed attempt: recorded as one, so that it
                log.exception("webhook attempt crashed", extra={"webhook_id": claim.webhook_id})
                sent = deliverer.crashed(claim)  # follows the schedule and gives up in the end
            finally:
                in_flight[claim.endpoint_id] -= 1
                freed.set()
            finished.append(sent)

        def turn(
            done: list[Sent], free: dict[str, int], room: int
        ) -> tuple[list[repository.Recorded], list[repository.Claim], datetime | None]:
            with transaction(factory) as session:
                recorded = [deliverer.record(session, sent) for sent in done]
                if room <= 0:
                    return recorded, [], None
                claims, next_due = repository.claim_due(
                    session, utcnow(), free, slots, lease_s, limit=room
                )
                return recorded, claims, next_due

        try:
            while not (stop.is_set() and not tasks and not finished):
                freed.clear()
                wake.clear()
                done, finished[:] = finished[:], []
                free = {ep: slots - n for ep, n in in_flight.items() if n > 0}
                claiming = not stop.is_set()
                room = MAX_IN_FLIGHT - sum(in_flight.values()) if claiming else 0
                try:
                    recorded, claims, next_due = await asyncio.to_thread(turn, done, free, room)
                except Exception as exc:
                    # Unrecorded attempts are sent again once their leases expire.
                    if isinstance(exc, DatabaseUnavailable):
                        log.warning(
                            "database unavailable; delivery paused", extra={"error": str(exc)}
                        )
                        finished[:0] = done
                    else:
                        log.exception("delivery turn failed; its attempts will be re-sent")
                    if stop.is_set():
                        break
                    await _first_of((stop,), poll_interval)
                    continue
                for sent, outcome in zip(done, recorded, strict=True):
                    report(sent, outcome)
                for claim in claims:
                    in_flight[claim.endpoint_id] += 1
                    task = asyncio.create_task(one(claim), name=f"webhook {claim.webhook_id}")
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
                wait = poll_interval
                if next_due is not None:
                    wait = min(wait, max(0.0, (next_due - utcnow()).total_seconds()))
                events = (stop, wake, freed) if claiming else (freed,)
                await _first_of(events, wait if claiming or tasks else 0.0)
        finally:
            for task in tasks:  # only when cancelled: the leases bring these back
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


async def _first_of(events: Sequence[asyncio.Event], timeout: float) -> None:
    """Return when any event is set or after ``timeout`` seconds."""
    if any(e.is_set() for e in events):
        return
    waiters = [asyncio.create_task(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
        await asyncio.gather(*waiters, return_exceptions=True)


async def wait_settled(factory: sessionmaker[Session], timeout: float) -> bool:
    """True once no delivery is pending or in flight; False if ``timeout`` seconds pass first."""

    def unsettled() -> int:
        with transaction(factory) as session:
            return repository.unsettled_count(session)

    deadline = time.monotonic() + timeout
    while True:
        if await asyncio.to_thread(unsettled) == 0:
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(min(0.1, max(0.0, deadline - time.monotonic())))


async def send_test(
    factory: sessionmaker[Session],
    settings: Settings,
    endpoint_id: str,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> tuple[repository.DeliveryView, list[repository.AttemptView]]:
    """Queue a test event to ``endpoint_id`` and make its first attempt now.

    A failed first attempt stays queued for the running worker's retries.
    """
    lease_s = settings.webhook_timeout + LEASE_MARGIN

    def queue_and_claim() -> repository.Claim | None:
        with transaction(factory) as session:
            now = utcnow()
            webhook_id = repository.enqueue_test(session, endpoint_id, now)
            return repository.claim_one(session, webhook_id, now, lease_s)

    claim = await asyncio.to_thread(queue_and_claim)
    assert claim is not None, "a delivery just queued is due and unclaimed"
    async with make_client(settings, transport) as client:
        await Deliverer(factory, settings, client, proportional_jitter()).attempt(claim)

    def show() -> tuple[repository.DeliveryView, list[repository.AttemptView]]:
        with transaction(factory) as session:
            return repository.get_delivery(session, claim.webhook_id)

    return await asyncio.to_thread(show)
