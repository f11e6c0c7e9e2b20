"""The store's tables (prefix ``store_``), portable between SQLite and PostgreSQL.

- ``store_articles``             one row per article, with the extractor version of its facts
- ``store_facts``                every field of ``fact.v1``, the commitment key and the reason
- ``store_commitments``          the current state of each commitment key (the ledger)
- ``store_commitment_versions``  the history: every version with its article, effective time
                                 (publication) and recorded time (when the store learned it)
- ``store_changes``              the change log, one row per ``ChangeV1`` (unique id)
- ``store_outbox``               changes (by id) to publish to ``ledger.changes.v1``, and when
                                 they were acknowledged
- ``store_consumed``             the ``facts.v1`` position per partition: a redelivery is a no-op
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.core.db import Base

Id = String(32)
Key = String(400)
AutoId = BigInteger().with_variant(Integer(), "sqlite")


class StoreArticle(Base):
    __tablename__ = "store_articles"

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    url: Mapped[str] = mapped_column(Text, index=True)
    source: Mapped[str] = mapped_column(String(200))
    lang: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None]
    updated_at: Mapped[datetime | None]
    fetched_at: Mapped[datetime]
    effective_at: Mapped[datetime] = mapped_column(index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text, default="")
    """The main text, kept so that ``replay stored`` can re-extract without the archive."""
    warc: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    extractor_version: Mapped[str] = mapped_column(String(64))
    extraction_digest: Mapped[str] = mapped_column(Id)
    extracted_at: Mapped[datetime]
    recorded_at: Mapped[datetime]


class StoreFact(Base):
    __tablename__ = "store_facts"
    __table_args__ = (Index("ix_store_facts_key_effective", "key", "effective_at"),)

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    article_id: Mapped[str] = mapped_column(
        ForeignKey("store_articles.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    extractor_version: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(200), index=True)
    subject_name: Mapped[str] = mapped_column(Text)
    subject_mention: Mapped[str] = mapped_column(Text)
    counterparty_id: Mapped[str | None] = mapped_column(String(200), index=True)
    counterparty_name: Mapped[str | None] = mapped_column(Text)
    counterparty_mention: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(Key)
    key_reason: Mapped[str] = mapped_column(Text)
    effective_at: Mapped[datetime]
    """The article's (publication time, else fetch time): a key's facts in history order."""
    fact: Mapped[dict[str, Any]] = mapped_column(JSON)
    """The whole ``FactV1`` (quantity, model, products, timeframe, scope, evidence, …)."""


class StoreCommitment(Base):
    __tablename__ = "store_commitments"

    key: Mapped[str] = mapped_column(Key, primary_key=True)
    type: Mapped[str] = mapped_column(String(32), index=True)
    subject_id: Mapped[str] = mapped_column(String(200), index=True)
    subject_name: Mapped[str] = mapped_column(Text)
    counterparty_id: Mapped[str | None] = mapped_column(String(200), index=True)
    counterparty_name: Mapped[str | None] = mapped_column(Text)
    what: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str | None] = mapped_column(Text)
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    value: Mapped[float | None]
    unit: Mapped[str | None] = mapped_column(String(8))
    last_kind: Mapped[str] = mapped_column(String(16))
    sources: Mapped[list[str]] = mapped_column(JSON)
    disputed: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    versions: Mapped[int]
    last_version_id: Mapped[str] = mapped_column(Id)
    first_effective_at: Mapped[datetime]
    effective_at: Mapped[datetime]
    observed_until: Mapped[datetime]
    """Effective time of the newest fact about this commitment (even one that changed nothing)."""
    asserted_until: Mapped[datetime | None]
    """Effective time of the newest fact asserting the current figure: the current version's, or
    a later repeat by one of its sources (None on rows written before migration 0012 or by the
    release before it: the store then works it out from the facts)."""
    recorded_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text)
    told: Mapped[list[str] | None] = mapped_column(JSON)
    """Digests of the last changes of this commitment published with ``notify`` true, oldest
    first (``services.store.commitments.told_digest``, at most ``TOLD_KEPT``): what analysts
    heard last (None on rows written before migration 0016 or by the release before it)."""


class StoreCommitmentVersion(Base):
    """The history: read by key (``(key, seq)`` in order, ``(key, effective_at)`` for a late
    fact's tail) and by ``id``; no index on ``article_id``, no query reads by it."""

    __tablename__ = "store_commitment_versions"
    __table_args__ = (
        UniqueConstraint("key", "seq"),
        Index("ix_store_commitment_versions_key_effective", "key", "effective_at"),
    )

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    key: Mapped[str] = mapped_column(Key)
    seq: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))
    article_id: Mapped[str] = mapped_column(Id)
    fact_id: Mapped[str] = mapped_column(Id)
    source: Mapped[str] = mapped_column(String(200))
    stated: Mapped[dict[str, Any]] = mapped_column(JSON)
    """What the causing fact stated (``after`` adds what it left unstated)."""
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any]] = mapped_column(JSON)
    delta: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    sources: Mapped[list[str]] = mapped_column(JSON)
    disputed: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON)
    effective_at: Mapped[datetime]
    recorded_at: Mapped[datetime]


class StoreChange(Base):
    """The change log: read by ``seq`` and ``id``, filtered by organisation, effective time and
    kind (no index on ``key`` or ``recorded_at``: no query reads by them, every row paid)."""

    __tablename__ = "store_changes"
    __table_args__ = (Index("ix_store_changes_effective", "effective_at"),)

    seq: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(Id, unique=True)
    key: Mapped[str] = mapped_column(Key)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(200), index=True)
    counterparty_id: Mapped[str | None] = mapped_column(String(200), index=True)
    article_id: Mapped[str] = mapped_column(Id)
    effective_at: Mapped[datetime]
    recorded_at: Mapped[datetime]
    value: Mapped[str] = mapped_column(Text)
    """The ``ChangeV1`` as JSON, exactly as published on ``ledger.changes.v1``."""


class StoreOutbox(Base):
    __tablename__ = "store_outbox"
    __table_args__ = (Index("ix_store_outbox_pending", "topic", "published_at", "seq"),)

    seq: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    change_id: Mapped[str] = mapped_column(ForeignKey("store_changes.id"), unique=True)
    topic: Mapped[str] = mapped_column(String(255))
    headers: Mapped[dict[str, str]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    published_at: Mapped[datetime | None]


class StoreConsumed(Base):
    """The consumer position: the last offset of each partition whose effects are stored."""

    __tablename__ = "store_consumed"

    topic: Mapped[str] = mapped_column(String(255), primary_key=True)
    partition: Mapped[int] = mapped_column(primary_key=True)
    offset: Mapped[int] = mapped_column(BigInteger)
    consumed_at: Mapped[datetime]


TABLES: tuple[Any, ...] = (
    StoreArticle.__table__,
    StoreFact.__table__,
    StoreCommitment.__table__,
    StoreCommitmentVersion.__table__,
    StoreChange.__table__,
    StoreOutbox.__table__,
    StoreConsumed.__table__,
)
"""For ``Base.metadata.create_all(engine, tables=TABLES)``."""
