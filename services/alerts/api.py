"""The webhook API: ``/api/v1/webhooks…`` (FastAPI router), protected by a bearer token.

With ``INFRALEDGER_API_TOKEN`` set, every route needs ``Authorization: Bearer <token>``.
Without it, every route answers 503: the endpoints' URLs are often secrets themselves (a chat
service's incoming-webhook URL), and the deliveries carry the receivers' answers.

The routes reach the database through the :func:`context` dependency, which by default reads
the settings once and opens its own engine; an application that already has them overrides it:
``app.dependency_overrides[context] = lambda: AlertsContext(factory, settings)``.
"""

from __future__ import annotations

import functools
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Header, HTTPException, Query
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session, sessionmaker

from services.alerts import repository
from services.alerts.errors import (
    AlertsError,
    EndpointDisabled,
    InvalidSubscription,
    NotFound,
    RotationInProgress,
)
from services.alerts.matching import make_filter
from services.alerts.service import send_test
from services.core.config import Settings, load_settings
from services.core.db import StorableTime, make_engine, session_factory, transaction, utcnow
from services.core.migrate import upgrade

T = TypeVar("T")


@dataclass(frozen=True)
class AlertsContext:
    factory: sessionmaker[Session]
    settings: Settings


@functools.cache
def context() -> AlertsContext:
    """The default context: settings from the environment, a migrated database, an engine of
    its own (made once)."""
    settings = load_settings()
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    return AlertsContext(session_factory(engine), settings)


Context = Annotated[AlertsContext, Depends(context)]


def _token_matches(ctx: AlertsContext, authorization: str | None) -> bool:
    token = ctx.settings.api_token
    if token is None or not token.get_secret_value():
        return False
    scheme, _, given = (authorization or "").partition(" ")
    expected = token.get_secret_value().encode()
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), expected)


def _authorised(
    ctx: Context, authorization: Annotated[str | None, Header()] = None
) -> AlertsContext:
    if ctx.settings.api_token is None:
        raise HTTPException(
            503,
            "the webhook API is closed until INFRALEDGER_API_TOKEN is configured "
            "(`infraledger webhooks` works without it)",
        )
    if not _token_matches(ctx, authorization):
        raise HTTPException(401, "a valid bearer token is required")
    return ctx


Authorised = Annotated[AlertsContext, Depends(_authorised)]

_STATUS: dict[type[AlertsError], int] = {
    NotFound: 404,
    InvalidSubscription: 422,
    EndpointDisabled: 409,
    RotationInProgress: 409,
}


def _run(ctx: AlertsContext, work: Callable[[Session], T]) -> T:
    """``work`` in one transaction; the alerts errors become HTTP errors."""
    try:
        with transaction(ctx.factory) as session:
            return work(session)
    except AlertsError as exc:
        raise HTTPException(_STATUS.get(type(exc), 400), str(exc)) from exc


class NewEndpoint(BaseModel):
    url: str
    kinds: list[str] | None = Field(default=None, description="Default: all but reaffirmed")
    orgs: list[str] = Field(default_factory=list)
    min_delta_pct: float | None = None


class Rotation(BaseModel):
    grace_seconds: float = Field(
        default=repository.DEFAULT_ROTATION_GRACE.total_seconds(),
        ge=0,
        description="How long the previous secret keeps signing alongside the new one",
    )
    replace_previous: bool = Field(
        default=False,
        description="End a previous secret that still signs from an earlier rotation "
        "(without this, such a rotation is refused with 409)",
    )


class RedeliverRange(BaseModel):
    since: StorableTime
    endpoint_id: str | None = None


router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])


@router.get("")
def list_endpoints(ctx: Authorised) -> list[dict[str, Any]]:
    return [e.as_dict() for e in _run(ctx, repository.list_endpoints)]


@router.post("", status_code=201)
def add_endpoint(ctx: Authorised, new: NewEndpoint) -> dict[str, Any]:
    """Subscribe a URL; the answer holds the signing secret, shown only this once."""

    def work(session: Session) -> tuple[repository.EndpointView, str]:
        rule = make_filter(new.kinds, new.orgs, new.min_delta_pct)
        return repository.create_endpoint(
            session, new.url, rule, utcnow(), ctx.settings.allow_networks
        )

    endpoint, secret = _run(ctx, work)
    return {**endpoint.as_dict(), "secret": secret}


@router.get("/{endpoint_id}")
def show_endpoint(ctx: Authorised, endpoint_id: str) -> dict[str, Any]:
    return _run(ctx, lambda s: repository.get_endpoint(s, endpoint_id)).as_dict()


@router.post("/{endpoint_id}/disable")
def disable_endpoint(ctx: Authorised, endpoint_id: str) -> dict[str, Any]:
    return _run(ctx, lambda s: repository.disable_endpoint(s, endpoint_id, utcnow())).as_dict()


@router.post("/{endpoint_id}/enable")
def enable_endpoint(ctx: Authorised, endpoint_id: str) -> dict[str, Any]:
    return _run(ctx, lambda s: repository.enable_endpoint(s, endpoint_id, utcnow())).as_dict()


@router.post("/{endpoint_id}/rotate-secret")
def rotate_secret(
    ctx: Authorised, endpoint_id: str, rotation: Rotation | None = None
) -> dict[str, Any]:
    asked = rotation or Rotation()
    grace = timedelta(seconds=asked.grace_seconds)
    endpoint, secret = _run(
        ctx,
        lambda s: repository.rotate_secret(
            s, endpoint_id, utcnow(), grace, asked.replace_previous
        ),
    )
    return {**endpoint.as_dict(), "secret": secret}


@router.post("/{endpoint_id}/test")
async def test_endpoint(ctx: Authorised, endpoint_id: str) -> dict[str, Any]:
    """Send a ``webhook.test`` event now; the answer shows the first attempt."""
    try:
        delivery, attempts = await send_test(ctx.factory, ctx.settings, endpoint_id)
    except AlertsError as exc:
        raise HTTPException(_STATUS.get(type(exc), 400), str(exc)) from exc
    return {**delivery.as_dict(), "attempt_log": [a.as_dict() for a in attempts]}


@router.get("/{endpoint_id}/deliveries")
def list_deliveries(
    ctx: Authorised,
    endpoint_id: str,
    failed: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    rows = _run(ctx, lambda s: repository.list_deliveries(s, endpoint_id, failed, limit))
    return [d.as_dict() for d in rows]


@router.get("/deliveries/{delivery_id}")
def show_delivery(ctx: Authorised, delivery_id: str) -> dict[str, Any]:
    delivery, attempts = _run(ctx, lambda s: repository.get_delivery(s, delivery_id))
    return {**delivery.as_dict(), "attempt_log": [a.as_dict() for a in attempts]}


@router.post("/deliveries/{delivery_id}/redeliver")
def redeliver(ctx: Authorised, delivery_id: str) -> dict[str, Any]:
    return _run(ctx, lambda s: repository.redeliver(s, delivery_id, utcnow())).as_dict()


@router.post("/redeliver")
def redeliver_range(ctx: Authorised, span: RedeliverRange) -> dict[str, int]:
    """Queue again every failed delivery created since ``since``."""
    since: datetime = span.since
    count = _run(
        ctx, lambda s: repository.redeliver_failed_since(s, since, utcnow(), span.endpoint_id)
    )
    return {"queued": count}
