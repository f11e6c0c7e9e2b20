"""The alerts tables: endpoints (subscriptions), deliveries and attempts.

``alerts_deliveries.webhook_id`` is the primary key: one row per (event, endpoint), the
idempotency key sent as ``webhook-id``.  A delivery moves ``pending`` → ``sending`` (leased to
one worker until ``lease_until``) → ``delivered`` | ``pending`` (rescheduled) | ``failed``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from services.core.db import Base

ENABLED = "enabled"
DISABLED = "disabled"

PENDING = "pending"
SENDING = "sending"
DELIVERED = "delivered"
FAILED = "failed"


class Endpoint(Base):
    __tablename__ = "alerts_endpoints"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    secret: Mapped[str] = mapped_column(String(120))
    previous_secret: Mapped[str | None] = mapped_column(String(120))
    previous_secret_expires_at: Mapped[datetime | None]
    kinds: Mapped[list[str]] = mapped_column(JSON)
    orgs: Mapped[list[str]] = mapped_column(JSON)
    min_delta_pct: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), default=ENABLED)
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    disabled_at: Mapped[datetime | None]
    failing_since: Mapped[datetime | None]
    """The first failure of the current run of failures (None after a success)."""
    last_failure_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Delivery(Base):
    __tablename__ = "alerts_deliveries"
    __table_args__ = (
        Index("ix_alerts_deliveries_due", "state", "next_attempt_at"),
        Index("ix_alerts_deliveries_endpoint", "endpoint_id", "created_at"),
        Index("ix_alerts_deliveries_updated", "updated_at"),  # the retention's prune
    )

    webhook_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    endpoint_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("alerts_endpoints.id", ondelete="CASCADE")
    )
    event_id: Mapped[str] = mapped_column(String(40))
    event_type: Mapped[str] = mapped_column(String(40))
    payload: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    lease_token: Mapped[str | None] = mapped_column(String(32))
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]


class Attempt(Base):
    __tablename__ = "alerts_attempts"
    __table_args__ = (Index("ix_alerts_attempts_delivery", "webhook_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    webhook_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("alerts_deliveries.webhook_id", ondelete="CASCADE")
    )
    endpoint_id: Mapped[str] = mapped_column(String(40))
    number: Mapped[int] = mapped_column(Integer)
    attempted_at: Mapped[datetime]
    status_code: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[float] = mapped_column(Float)
    response_body: Mapped[str | None] = mapped_column(Text)
    error_class: Mapped[str | None] = mapped_column(String(60))
    outcome: Mapped[str] = mapped_column(String(16))


TABLES: tuple[Any, ...] = (Endpoint.__table__, Delivery.__table__, Attempt.__table__)
"""For ``Base.metadata.create_all(engine, tables=TABLES)``."""
