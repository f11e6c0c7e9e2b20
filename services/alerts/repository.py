"""Database operations of the alerts service (synchronous; callers use ``asyncio.to_thread``).

Every function takes an open :class:`~sqlalchemy.orm.Session` inside a
:func:`services.core.db.transaction` and returns frozen views, never ORM rows.
"""

from __future__ import annotations

import ipaddress
import secrets
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from services.alerts import payload
from services.alerts.errors import (
    EndpointDisabled,
    InvalidSubscription,
    NotFound,
    RotationInProgress,
)
from services.alerts.matching import Filter, matches
from services.alerts.schedule import Decision, Verdict, failing_run_start, failing_too_long
from services.alerts.sender import AttemptResult
from services.alerts.signing import generate_secret
from services.alerts.tables import (
    DELIVERED,
    DISABLED,
    ENABLED,
    FAILED,
    PENDING,
    SENDING,
    Attempt,
    Delivery,
    Endpoint,
)
from services.core.models import ChangeV1
from services.core.netguard import BlockedAddress, check_address

DEFAULT_ROTATION_GRACE = timedelta(hours=24)
"""How long the previous secret keeps signing after ``rotate-secret``."""


# --------------------------------------------------------------------------- views


@dataclass(frozen=True)
class EndpointView:
    id: str
    url: str
    kinds: tuple[str, ...]
    orgs: tuple[str, ...]
    min_delta_pct: float | None
    status: str
    disabled_reason: str | None
    disabled_at: datetime | None
    failing_since: datetime | None
    previous_secret_expires_at: datetime | None
    created_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


@dataclass(frozen=True)
class DeliveryView:
    id: str
    """The ``webhook-id``."""
    endpoint_id: str
    event_id: str
    event_type: str
    state: str
    attempts: int
    next_attempt_at: datetime | None
    last_status: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


@dataclass(frozen=True)
class AttemptView:
    number: int
    attempted_at: datetime
    status_code: int | None
    latency_ms: float
    response_body: str | None
    error_class: str | None
    outcome: str

    def as_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


@dataclass(frozen=True)
class Claim:
    """A delivery leased to one worker for one attempt."""

    webhook_id: str
    endpoint_id: str
    url: str
    body: bytes
    secrets: tuple[str, ...]
    number: int
    """This attempt's number within the schedule (1-based)."""
    lease_token: str


@dataclass(frozen=True)
class Recorded:
    verdict: Verdict
    """What happened to the delivery (``retry`` may become ``give_up`` on a disabled endpoint)."""
    disabled_reason: str | None = None
    """Set when this attempt disabled the endpoint."""


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v.isoformat() if isinstance(v, datetime) else list(v) if isinstance(v, tuple) else v
        for k, v in values.items()
    }


def _endpoint_view(row: Endpoint) -> EndpointView:
    return EndpointView(
        id=row.id,
        url=row.url,
        kinds=tuple(sorted(row.kinds)),
        orgs=tuple(row.orgs),
        min_delta_pct=row.min_delta_pct,
        status=row.status,
        disabled_reason=row.disabled_reason,
        disabled_at=row.disabled_at,
        failing_since=row.failing_since,
        previous_secret_expires_at=row.previous_secret_expires_at,
        created_at=row.created_at,
    )


def _delivery_view(row: Delivery) -> DeliveryView:
    return DeliveryView(
        id=row.webhook_id,
        endpoint_id=row.endpoint_id,
        event_id=row.event_id,
        event_type=row.event_type,
        state=row.state,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at if row.state == PENDING else None,
        last_status=row.last_status,
        last_error=row.last_error,
        created_at=row.created_at,
        delivered_at=row.delivered_at,
    )


def _filter_of(row: Endpoint) -> Filter:
    return Filter(frozenset(row.kinds), tuple(row.orgs), row.min_delta_pct)


# --------------------------------------------------------------------------- endpoints


def validate_url(url: str, allow_networks: Sequence[str]) -> str:
    """An http(s) URL whose host is not a refused IP literal (names are checked at connect)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidSubscription(f"not an http(s) URL: {url!r}")
    host = parts.hostname
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return url.strip()
    try:
        check_address(host, allow_networks)
    except BlockedAddress as exc:
        raise InvalidSubscription(f"{exc} (allow it with INFRALEDGER_ALLOW_NETWORKS)") from exc
    return url.strip()


def create_endpoint(
    session: Session,
    url: str,
    rule: Filter,
    now: datetime,
    allow_networks: Sequence[str] = (),
) -> tuple[EndpointView, str]:
    """A new enabled endpoint and its secret (shown to the user once)."""
    secret = generate_secret()
    row = Endpoint(
        id="ep_" + secrets.token_hex(12),
        url=validate_url(url, allow_networks),
        secret=secret,
        kinds=sorted(rule.kinds),
        orgs=list(rule.orgs),
        min_delta_pct=rule.min_delta_pct,
        status=ENABLED,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return _endpoint_view(row), secret


def _endpoint(session: Session, endpoint_id: str, *, lock: bool = False) -> Endpoint:
    """The endpoint; with ``lock``, its row is locked to the commit (on PostgreSQL)."""
    row = session.get(Endpoint, endpoint_id, with_for_update=lock)
    if row is None:
        raise NotFound(f"no webhook endpoint {endpoint_id!r}")
    return row


def list_endpoints(session: Session) -> list[EndpointView]:
    rows = session.scalars(select(Endpoint).order_by(Endpoint.created_at, Endpoint.id))
    return [_endpoint_view(r) for r in rows]


def get_endpoint(session: Session, endpoint_id: str) -> EndpointView:
    return _endpoint_view(_endpoint(session, endpoint_id))


def _disable(session: Session, row: Endpoint, reason: str, now: datetime) -> None:
    """Disable ``row`` and fail its queued deliveries (``redeliver`` brings them back)."""
    row.status = DISABLED
    row.disabled_reason = reason
    row.disabled_at = now
    row.updated_at = now
    session.execute(
        update(Delivery)
        .where(Delivery.endpoint_id == row.id, Delivery.state == PENDING)
        .values(state=FAILED, last_error=f"endpoint disabled: {reason}", updated_at=now)
    )


def disable_endpoint(
    session: Session, endpoint_id: str, now: datetime, reason: str = "disabled by user"
) -> EndpointView:
    row = _endpoint(session, endpoint_id)
    if row.status != DISABLED:
        _disable(session, row, reason, now)
    return _endpoint_view(row)


def enable_endpoint(session: Session, endpoint_id: str, now: datetime) -> EndpointView:
    row = _endpoint(session, endpoint_id)
    row.status = ENABLED
    row.disabled_reason = None
    row.disabled_at = None
    row.failing_since = None
    row.last_failure_at = None
    row.updated_at = now
    return _endpoint_view(row)


def rotate_secret(
    session: Session,
    endpoint_id: str,
    now: datetime,
    grace: timedelta = DEFAULT_ROTATION_GRACE,
    replace_previous: bool = False,
) -> tuple[EndpointView, str]:
    """A new secret; the old one keeps signing (alongside) until ``now + grace``.

    Only one previous secret is kept.  While one still signs, a rotation with a grace window
    would silently end it — and receivers that have not switched yet may still verify with
    it — so that rotation is refused unless ``replace_previous`` says to end it now.  A
    rotation without a grace window (a leaked secret) ends every old secret at once.
    """
    row = _endpoint(session, endpoint_id, lock=True)  # two rotations at once: one waits
    until = row.previous_secret_expires_at
    if grace > timedelta(0) and not replace_previous and until is not None and until > now:
        raise RotationInProgress(
            f"endpoint {endpoint_id}: the previous secret still signs until "
            f"{until.isoformat()}; a second rotation now would end it at "
            "once, before receivers that still use it have switched; wait until then, or "
            "rotate again replacing the previous secret"
        )
    new = generate_secret()
    row.previous_secret = row.secret if grace > timedelta(0) else None
    row.previous_secret_expires_at = now + grace if grace > timedelta(0) else None
    row.secret = new
    row.updated_at = now
    return _endpoint_view(row), new


def signing_secrets(row: Endpoint, now: datetime) -> tuple[str, ...]:
    """The current secret, plus the previous one while its rotation window lasts."""
    expires = row.previous_secret_expires_at
    if row.previous_secret and expires is not None and expires > now:
        return (row.secret, row.previous_secret)
    return (row.secret,)


# --------------------------------------------------------------------------- enqueueing


def _insert_missing(session: Session, rows: Sequence[Delivery]) -> int:
    """Insert the deliveries whose webhook id is new (the primary key makes this idempotent)."""
    if not rows:
        return 0
    wanted = {r.webhook_id: r for r in rows}
    existing = set(
        session.scalars(select(Delivery.webhook_id).where(Delivery.webhook_id.in_(list(wanted))))
    )
    fresh = [r for key, r in wanted.items() if key not in existing]
    session.add_all(fresh)
    session.flush()
    return len(fresh)


def enqueue_changes(
    session: Session, changes: Sequence[ChangeV1], now: datetime, first_delay: float
) -> int:
    """One pending delivery per (change, matching enabled endpoint); returns how many are new.

    Raises :class:`sqlalchemy.exc.IntegrityError` if another process inserted one of the same
    deliveries concurrently (the caller retries; the second pass finds them).
    """
    endpoints = list(session.scalars(select(Endpoint).where(Endpoint.status == ENABLED)))
    due = now + timedelta(seconds=first_delay)
    rows = [
        Delivery(
            webhook_id=payload.webhook_id(change.id, ep.id),
            endpoint_id=ep.id,
            event_id=change.id,
            event_type=payload.CHANGE_EVENT,
            payload=payload.change_body(change, ep.id).decode("utf-8"),
            state=PENDING,
            attempts=0,
            next_attempt_at=due,
            created_at=now,
            updated_at=now,
        )
        for change in changes
        for ep in endpoints
        if matches(_filter_of(ep), change)
    ]
    return _insert_missing(session, rows)


def enqueue_test(session: Session, endpoint_id: str, now: datetime) -> str:
    """A pending test delivery to ``endpoint_id``; returns its webhook id."""
    row = _endpoint(session, endpoint_id)
    if row.status != ENABLED:
        raise EndpointDisabled(f"webhook endpoint {endpoint_id} is disabled; enable it first")
    nonce = secrets.token_hex(8)
    event_id = "test_" + nonce
    webhook_id = payload.webhook_id(event_id, endpoint_id)
    session.add(
        Delivery(
            webhook_id=webhook_id,
            endpoint_id=endpoint_id,
            event_id=event_id,
            event_type=payload.TEST_EVENT,
            payload=payload.test_body(endpoint_id, nonce, now).decode("utf-8"),
            state=PENDING,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            updated_at=now,
        )
    )
    session.flush()
    return webhook_id


# --------------------------------------------------------------------------- inspection


def list_deliveries(
    session: Session, endpoint_id: str, failed_only: bool = False, limit: int = 100
) -> list[DeliveryView]:
    _endpoint(session, endpoint_id)
    query = select(Delivery).where(Delivery.endpoint_id == endpoint_id)
    if failed_only:
        query = query.where(Delivery.state == FAILED)
    query = query.order_by(Delivery.created_at.desc(), Delivery.webhook_id).limit(limit)
    return [_delivery_view(r) for r in session.scalars(query)]


def get_delivery(session: Session, webhook_id: str) -> tuple[DeliveryView, list[AttemptView]]:
    row = session.get(Delivery, webhook_id)
    if row is None:
        raise NotFound(f"no delivery {webhook_id!r}")
    attempts = session.scalars(
        select(Attempt).where(Attempt.webhook_id == webhook_id).order_by(Attempt.id)
    )
    return _delivery_view(row), [
        AttemptView(
            number=a.number,
            attempted_at=a.attempted_at,
            status_code=a.status_code,
            latency_ms=a.latency_ms,
            response_body=a.response_body,
            error_class=a.error_class,
            outcome=a.outcome,
        )
        for a in attempts
    ]


def unsettled_count(session: Session) -> int:
    """Deliveries neither delivered nor failed."""
    count = session.scalar(
        select(func.count()).select_from(Delivery).where(Delivery.state.in_((PENDING, SENDING)))
    )
    return int(count or 0)


def prune_settled(session: Session, before: datetime, limit: int) -> int:
    """Delete up to ``limit`` deliveries settled (delivered or failed) before ``before``, with
    their attempts (the foreign key cascades); returns how many deliveries went (a
    :data:`services.core.retention.Prune`).

    The rows are locked as they are chosen, and rows locked by others are skipped (PostgreSQL;
    SQLite's writer holds the whole database): a redelivery that moved one back to pending
    keeps it, and one that comes while the prune holds it fails (the row is gone) instead of
    being silently deleted with it.
    """
    ids = list(
        session.scalars(
            select(Delivery.webhook_id)
            .where(Delivery.updated_at < before, Delivery.state.in_((DELIVERED, FAILED)))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if ids:
        session.execute(delete(Delivery).where(Delivery.webhook_id.in_(ids)))
    return len(ids)


# --------------------------------------------------------------------------- redelivery


def _restart(row: Delivery, now: datetime) -> None:
    row.state = PENDING
    row.attempts = 0
    row.next_attempt_at = now
    row.lease_until = None
    row.lease_token = None
    row.updated_at = now


def redeliver(session: Session, webhook_id: str, now: datetime) -> DeliveryView:
    """Send a delivery again, same ``webhook-id``, with a fresh retry schedule."""
    row = session.get(Delivery, webhook_id)
    if row is None:
        raise NotFound(f"no delivery {webhook_id!r}")
    endpoint = _endpoint(session, row.endpoint_id)
    if endpoint.status != ENABLED:
        raise EndpointDisabled(f"webhook endpoint {endpoint.id} is disabled; enable it first")
    if row.state != SENDING:
        _restart(row, now)
    return _delivery_view(row)


def redeliver_failed_since(
    session: Session, since: datetime, now: datetime, endpoint_id: str | None = None
) -> int:
    """Restart every failed delivery created since ``since`` (to enabled endpoints)."""
    query = (
        select(Delivery)
        .join(Endpoint, Endpoint.id == Delivery.endpoint_id)
        .where(Delivery.state == FAILED, Delivery.created_at >= since, Endpoint.status == ENABLED)
    )
    if endpoint_id is not None:
        _endpoint(session, endpoint_id)
        query = query.where(Delivery.endpoint_id == endpoint_id)
    rows = list(session.scalars(query))
    for row in rows:
        _restart(row, now)
    return len(rows)


# --------------------------------------------------------------------------- the worker's side


def _due(now: datetime) -> ColumnElement[bool]:
    return or_(
        and_(Delivery.state == PENDING, Delivery.next_attempt_at <= now),
        and_(Delivery.state == SENDING, Delivery.lease_until <= now),
    )


def _lost_attempts(session: Session, reclaimed: Sequence[tuple[str, str, int, datetime]]) -> None:
    """Log the attempts of a worker that died mid-attempt: their outcome is unknown."""
    session.add_all(
        Attempt(
            webhook_id=webhook_id,
            endpoint_id=endpoint_id,
            number=number,
            attempted_at=claimed_at,
            latency_ms=0.0,
            error_class="worker_lost",
            outcome="lost",
        )
        for webhook_id, endpoint_id, number, claimed_at in reclaimed
    )


def _lease(session: Session, picked: Sequence[Any], now: datetime, lease: float) -> list[Claim]:
    """Lease the ``picked`` rows (webhook_id, endpoint_id, state, attempts, updated_at) that
    are still due; rows another worker took meanwhile are left out."""
    if not picked:
        return []
    token = secrets.token_hex(16)
    leased = session.execute(
        update(Delivery)
        .where(Delivery.webhook_id.in_([p.webhook_id for p in picked]), _due(now))
        .values(
            state=SENDING,
            attempts=Delivery.attempts + 1,
            lease_until=now + timedelta(seconds=lease),
            lease_token=token,
            updated_at=now,
        )
        .returning(Delivery.webhook_id, Delivery.endpoint_id, Delivery.attempts, Delivery.payload)
        .execution_options(synchronize_session=False)
    ).all()
    won = {row.webhook_id for row in leased}
    _lost_attempts(
        session,
        [
            (p.webhook_id, p.endpoint_id, p.attempts, p.updated_at)
            for p in picked
            if p.state == SENDING and p.webhook_id in won
        ],
    )
    endpoints = {
        e.id: e
        for e in session.scalars(
            select(Endpoint).where(Endpoint.id.in_({row.endpoint_id for row in leased}))
        )
    }
    return [
        Claim(
            webhook_id=row.webhook_id,
            endpoint_id=row.endpoint_id,
            url=endpoints[row.endpoint_id].url,
            body=row.payload.encode("utf-8"),
            secrets=signing_secrets(endpoints[row.endpoint_id], now),
            number=row.attempts,
            lease_token=token,
        )
        for row in leased
    ]


def claim_due(
    session: Session,
    now: datetime,
    free_slots: Mapping[str, int],
    default_slots: int,
    lease: float,
    limit: int = 200,
) -> tuple[list[Claim], datetime | None]:
    """Lease due deliveries, at most the free slots of each endpoint.

    ``free_slots`` maps endpoints with attempts in flight to how many more they may take (0:
    skipped); others take up to ``default_slots``.  Also returns when the next delivery of an
    endpoint with room falls due (None: nothing queued), so the caller knows how long to sleep.
    """
    _abandon_orphans(session, now)
    full = [ep for ep, slots in free_slots.items() if slots <= 0]
    rank = (
        func.row_number()
        .over(
            partition_by=Delivery.endpoint_id,
            order_by=(Delivery.next_attempt_at, Delivery.webhook_id),
        )
        .label("rank")
    )
    candidates = (
        select(
            Delivery.webhook_id,
            Delivery.endpoint_id,
            Delivery.state,
            Delivery.attempts,
            Delivery.updated_at,
            rank,
        )
        .join(Endpoint, Endpoint.id == Delivery.endpoint_id)
        .where(Endpoint.status == ENABLED, _due(now), Delivery.endpoint_id.not_in(full))
        .subquery()
    )
    rows = session.execute(
        select(candidates)
        .where(candidates.c.rank <= default_slots)
        .order_by(candidates.c.rank)
        .limit(limit)
    ).all()
    picked = [r for r in rows if r.rank <= free_slots.get(r.endpoint_id, default_slots)]
    claims = _lease(session, picked, now, lease)
    taken = Counter(c.endpoint_id for c in claims)
    busy = set(full) | {ep for ep, n in taken.items() if n >= free_slots.get(ep, default_slots)}
    return claims, _next_due(session, busy)


def _abandon_orphans(session: Session, now: datetime) -> None:
    """Fail deliveries whose worker died mid-attempt after their endpoint was disabled."""
    disabled = select(Endpoint.id).where(Endpoint.status == DISABLED)
    session.execute(
        update(Delivery)
        .where(
            Delivery.state == SENDING,
            Delivery.lease_until <= now,
            Delivery.endpoint_id.in_(disabled.scalar_subquery()),
        )
        .values(state=FAILED, last_error="endpoint disabled", lease_token=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )


def _next_due(session: Session, busy: Collection[str]) -> datetime | None:
    pending = session.scalar(
        select(func.min(Delivery.next_attempt_at))
        .join(Endpoint, Endpoint.id == Delivery.endpoint_id)
        .where(
            Endpoint.status == ENABLED,
            Delivery.state == PENDING,
            Delivery.endpoint_id.not_in(list(busy)),
        )
    )
    leased = session.scalar(  # an expired lease of a busy endpoint waits for its slot too
        select(func.min(Delivery.lease_until)).where(
            Delivery.state == SENDING, Delivery.endpoint_id.not_in(list(busy))
        )
    )
    times = [t for t in (pending, leased) if t is not None]
    return min(times) if times else None


def claim_one(session: Session, webhook_id: str, now: datetime, lease: float) -> Claim | None:
    """Lease one specific delivery if it is due (``test`` sends its event at once)."""
    picked = session.execute(
        select(
            Delivery.webhook_id,
            Delivery.endpoint_id,
            Delivery.state,
            Delivery.attempts,
            Delivery.updated_at,
        ).where(Delivery.webhook_id == webhook_id)
    ).all()
    if not picked:
        raise NotFound(f"no delivery {webhook_id!r}")
    claims = _lease(session, picked, now, lease)
    return claims[0] if claims else None


def record_attempt(
    session: Session,
    claim: Claim,
    result: AttemptResult,
    decision: Decision,
    now: datetime,
    disable_after: float,
    schedule: Sequence[float],
) -> Recorded:
    """Log the attempt and move the delivery (and, on failures, the endpoint) on; the retry
    ``schedule`` tells a failure that continues a run of them from one that starts a new run."""
    session.add(
        Attempt(
            webhook_id=claim.webhook_id,
            endpoint_id=claim.endpoint_id,
            number=claim.number,
            attempted_at=now - timedelta(seconds=result.latency),
            status_code=result.status,
            latency_ms=round(result.latency * 1000, 3),
            response_body=result.body_excerpt,
            error_class=result.error_class,
            outcome=decision.verdict.value,
        )
    )
    row = session.get(Delivery, claim.webhook_id)
    endpoint = session.get(Endpoint, claim.endpoint_id)
    if row is None or endpoint is None:
        return Recorded(decision.verdict)
    if row.lease_token != claim.lease_token:
        return Recorded(decision.verdict)  # our lease expired and another worker took over
    row.lease_until = None
    row.lease_token = None
    row.last_status = result.status
    row.last_error = result.error_class
    row.updated_at = now
    verdict = decision.verdict
    disabled: str | None = None
    if verdict is Verdict.DELIVERED:
        row.state = DELIVERED
        row.delivered_at = now
        endpoint.failing_since = None
        endpoint.last_failure_at = None
        return Recorded(verdict)
    endpoint.failing_since = failing_run_start(
        endpoint.failing_since, endpoint.last_failure_at, now, schedule
    )
    endpoint.last_failure_at = now
    if endpoint.status == ENABLED:
        if verdict is Verdict.DISABLE:
            disabled = "the endpoint answered 410 Gone"
        elif failing_too_long(endpoint.failing_since, now, disable_after):
            disabled = f"failing without a success since {endpoint.failing_since.isoformat()}"
        if disabled is not None:
            _disable(session, endpoint, disabled, now)
    if verdict is Verdict.RETRY and endpoint.status == ENABLED:
        row.state = PENDING
        row.next_attempt_at = now + timedelta(seconds=decision.delay or 0.0)
        return Recorded(verdict, disabled)
    row.state = FAILED
    return Recorded(Verdict.GIVE_UP if verdict is Verdict.RETRY else verdict, disabled)
