"""Applying ``facts.v1`` to the database in one transaction, and reading the outbox.

:func:`apply_batch` does everything one batch of messages implies, inside the caller's
transaction: it records the consumed positions (a redelivered position is skipped, and the
primary key makes a racing duplicate fail), upserts the articles, replaces an article's facts
when a newer extractor version (or a changed article) arrives, locks the affected commitments,
re-derives their histories from all their facts, and inserts the resulting changes into the
change log and the outbox.  Change ids are stable, so a change already in the log is never
inserted twice.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, tuple_, update
from sqlalchemy.orm import Session

from services.core.db import utcnow
from services.core.models import (
    ChangeEvidence,
    ChangeKind,
    ChangeV1,
    ExtractionV1,
    FactV1,
    OrgRef,
    stable_id,
)
from services.core.topics import HEADER_REPLAY_ALERTS, HEADER_REPLAY_ID
from services.store.bulk import insert_rows
from services.store.diff import (
    DEFAULT_CONFLICT_WINDOW,
    Observation,
    Version,
    derive_history,
    magnitude,
    new_versions,
    stated,
)
from services.store.keys import Attachment, attach
from services.store.tables import (
    StoreArticle,
    StoreChange,
    StoreCommitment,
    StoreCommitmentVersion,
    StoreConsumed,
    StoreFact,
    StoreOutbox,
)


@dataclass(frozen=True)
class Position:
    topic: str
    partition: int
    offset: int


@dataclass(frozen=True)
class Replay:
    """How a message was published: live, or by a replay (with or without alerts)."""

    replay_id: str | None = None
    alerts: bool = False

    def notify(self, kind: ChangeKind) -> bool:
        if self.replay_id is not None:
            return self.alerts
        return kind != "reaffirmed"

    @property
    def headers(self) -> dict[str, str]:
        if self.replay_id is None:
            return {}
        return {
            HEADER_REPLAY_ID: self.replay_id,
            HEADER_REPLAY_ALERTS: "true" if self.alerts else "false",
        }


@dataclass(frozen=True)
class Incoming:
    """One consumed ``facts.v1`` message."""

    position: Position
    extraction: ExtractionV1
    replay: Replay = field(default_factory=Replay)


@dataclass(frozen=True)
class Applied:
    consumed: int
    skipped: int
    changes: tuple[ChangeV1, ...]


@dataclass(frozen=True)
class Pending:
    """An outbox row waiting to be published."""

    seq: int
    key: str
    value: bytes
    headers: dict[str, str]


def version_order(version: str) -> tuple[tuple[int, int, str], ...]:
    """Sort key of extractor versions: ``1.10.0`` is newer than ``1.9.2``."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part)
        for part in re.split(r"[.+-]", version)
    )


def apply_batch(
    session: Session,
    batch: Sequence[Incoming],
    *,
    topic: str,
    window: timedelta = DEFAULT_CONFLICT_WINDOW,
    now: datetime | None = None,
) -> Applied:
    """Apply ``batch`` in ``session``'s transaction; changes are published to ``topic``."""
    now = now or utcnow()
    fresh = _unconsumed(session, batch)
    if not fresh:
        return Applied(consumed=0, skipped=len(batch), changes=())
    insert_rows(
        session,
        StoreConsumed,
        [
            {
                "topic": i.position.topic,
                "partition": i.position.partition,
                "offset": i.position.offset,
                "article_id": i.extraction.article.id,
                "extractor_version": i.extraction.extractor_version,
                "consumed_at": now,
            }
            for i in fresh
        ],
    )
    replays, keys = _store_extractions(session, fresh, now)
    changes = _recompute(session, keys, replays, window, now)
    _record_changes(session, changes, replays, topic, now)
    session.flush()
    return Applied(consumed=len(fresh), skipped=len(batch) - len(fresh), changes=changes)


def _unconsumed(session: Session, batch: Sequence[Incoming]) -> list[Incoming]:
    positions = {(i.position.topic, i.position.partition, i.position.offset) for i in batch}
    columns = (StoreConsumed.topic, StoreConsumed.partition, StoreConsumed.offset)
    stored = session.execute(select(*columns).where(tuple_(*columns).in_(list(positions))))
    seen = {(topic, partition, offset) for topic, partition, offset in stored}
    fresh = []
    for item in batch:
        position = (item.position.topic, item.position.partition, item.position.offset)
        if position not in seen:
            seen.add(position)
            fresh.append(item)
    return fresh


@dataclass
class _Replays:
    """Which message's replay context a change inherits: its article's, else its key's."""

    by_article: dict[str, Replay] = field(default_factory=dict)
    by_key: dict[str, Replay] = field(default_factory=dict)

    def of(self, key: str, article_id: str) -> Replay:
        return self.by_article.get(article_id) or self.by_key.get(key, Replay())


def _digest(extraction: ExtractionV1) -> str:
    article = extraction.article
    return stable_id(
        extraction.model_dump_json(include={"extractor_version", "facts"}),
        article.url,
        article.source,
        article.title,
        str(article.published_at),
    )


def _store_extractions(
    session: Session, fresh: Sequence[Incoming], now: datetime
) -> tuple[_Replays, set[str]]:
    """Upsert articles and replace their facts; return replay contexts and affected keys."""
    ids = {i.extraction.article.id for i in fresh}
    articles = {
        a.id: a for a in session.scalars(select(StoreArticle).where(StoreArticle.id.in_(ids)))
    }
    old_keys: dict[str, set[str]] = defaultdict(set)
    for article_id, key in session.execute(
        select(StoreFact.article_id, StoreFact.key).where(StoreFact.article_id.in_(ids))
    ):
        old_keys[article_id].add(key)
    replays = _Replays()
    replaced: dict[str, list[dict[str, Any]]] = {}
    for item in fresh:
        extraction = item.extraction
        article_id, digest = extraction.article.id, _digest(extraction)
        stored = articles.get(article_id)
        if stored is not None and (
            stored.extraction_digest == digest
            or version_order(extraction.extractor_version) < version_order(stored.extractor_version)
        ):
            continue  # the same extraction again, or an older extractor's: nothing changes
        articles[article_id] = _upsert_article(session, stored, extraction, digest, now)
        replaced[article_id] = _fact_rows(extraction)
        replays.by_article[article_id] = item.replay
    keys: set[str] = set()
    for article_id, rows in replaced.items():
        touched = old_keys[article_id] | {row["key"] for row in rows}
        keys |= touched
        replays.by_key.update(dict.fromkeys(touched, replays.by_article[article_id]))
    session.flush()
    if replaced:
        session.execute(delete(StoreFact).where(StoreFact.article_id.in_(list(replaced))))
        rows = [row for article_rows in replaced.values() for row in article_rows]
        if rows:
            insert_rows(session, StoreFact, rows)
    return replays, keys


def _upsert_article(
    session: Session,
    stored: StoreArticle | None,
    extraction: ExtractionV1,
    digest: str,
    now: datetime,
) -> StoreArticle:
    article = extraction.article
    values = {
        "url": article.url,
        "source": article.source,
        "lang": article.lang,
        "title": article.title,
        "author": article.author,
        "published_at": article.published_at,
        "updated_at": article.updated_at,
        "fetched_at": article.fetched_at,
        "effective_at": article.published_at or article.fetched_at,
        "content_hash": article.content_hash,
        "warc": article.warc.model_dump() if article.warc else None,
        "extractor_version": extraction.extractor_version,
        "extraction_digest": digest,
        "extracted_at": extraction.extracted_at,
    }
    if stored is None:
        stored = StoreArticle(id=article.id, recorded_at=now, **values)
        session.add(stored)
    else:
        for name, value in values.items():
            setattr(stored, name, value)
    return stored


def _fact_rows(extraction: ExtractionV1) -> list[dict[str, Any]]:
    rows = []
    article_id = extraction.article.id
    for position, fact in enumerate(extraction.facts):
        attachment = attach(fact)
        rows.append(
            {
                "id": stable_id(article_id, extraction.extractor_version, str(position)),
                "article_id": article_id,
                "position": position,
                "extractor_version": extraction.extractor_version,
                "type": fact.type,
                "subject_id": fact.subject.id,
                "subject_name": fact.subject.name,
                "subject_mention": fact.subject.mention,
                "counterparty_id": fact.counterparty.id if fact.counterparty else None,
                "counterparty_name": fact.counterparty.name if fact.counterparty else None,
                "counterparty_mention": fact.counterparty.mention if fact.counterparty else None,
                "status": fact.status,
                "key": attachment.key.text,
                "key_reason": attachment.reason,
                "fact": fact.model_dump(mode="json"),
            }
        )
    return rows


@dataclass(frozen=True)
class _Seen:
    """A stored fact with what its article adds: the observation and the fact itself."""

    observation: Observation
    fact: FactV1
    attachment: Attachment


def _load_observations(session: Session, keys: Iterable[str]) -> dict[str, list[_Seen]]:
    rows = session.execute(
        select(
            StoreFact.id,
            StoreFact.key,
            StoreFact.fact,
            StoreArticle.id,
            StoreArticle.url,
            StoreArticle.title,
            StoreArticle.source,
            StoreArticle.effective_at,
        )
        .join(StoreArticle, StoreArticle.id == StoreFact.article_id)
        .where(StoreFact.key.in_(list(keys)))
    )
    seen: dict[str, list[_Seen]] = defaultdict(list)
    for fact_id, key, data, article_id, url, title, source, effective_at in rows:
        fact = FactV1.model_validate(data)
        state = stated(fact)
        evidence = ChangeEvidence(
            article_id=article_id,
            url=url,
            title=title,
            source=source,
            sentence=fact.evidence.sentence,
            start=fact.evidence.start,
            end=fact.evidence.end,
        )
        observation = Observation(fact_id, article_id, source, effective_at, state, evidence)
        seen[key].append(_Seen(observation, fact, attach(fact)))
    return seen


def _recompute(
    session: Session, keys: set[str], replays: _Replays, window: timedelta, now: datetime
) -> tuple[ChangeV1, ...]:
    if not keys:
        return ()
    ordered = sorted(keys)
    locked = set(
        session.scalars(
            select(StoreCommitment.key)
            .where(StoreCommitment.key.in_(ordered))
            .order_by(StoreCommitment.key)
            .with_for_update()
        )
    )
    seen = _load_observations(session, ordered)
    recorded = {
        version_id: at
        for version_id, at in session.execute(
            select(StoreCommitmentVersion.id, StoreCommitmentVersion.recorded_at).where(
                StoreCommitmentVersion.key.in_(ordered)
            )
        )
    }
    session.execute(delete(StoreCommitmentVersion).where(StoreCommitmentVersion.key.in_(ordered)))
    version_rows: list[dict[str, Any]] = []
    commitment_rows: list[dict[str, Any]] = []
    changes: list[ChangeV1] = []
    for key in ordered:
        history = derive_history(key, (s.observation for s in seen[key]), window)
        if not history:
            continue
        latest = max(seen[key], key=lambda s: s.observation.order)
        version_rows += [
            _version_row(key, i, v, recorded.get(v.id, now)) for i, v in enumerate(history)
        ]
        commitment_rows.append(_commitment_row(key, history, latest, recorded, now))
        subject, counterparty = _parties(latest.fact)
        for version in new_versions(recorded, history):
            replay = replays.of(key, version.observation.article_id)
            changes.append(
                ChangeV1(
                    id=version.id,
                    kind=version.kind,
                    key=key,
                    type=latest.fact.type,
                    subject=subject,
                    counterparty=counterparty,
                    before=version.before,
                    after=version.after,
                    delta=version.delta,
                    evidence=version.observation.evidence,
                    effective_at=version.observation.effective_at,
                    recorded_at=now,
                    replay_id=replay.replay_id,
                    notify=replay.notify(version.kind),
                )
            )
    insert_rows(session, StoreCommitmentVersion, version_rows)
    _write_commitments(session, locked, commitment_rows)
    return tuple(changes)


def _write_commitments(session: Session, locked: set[str], rows: Sequence[dict[str, Any]]) -> None:
    """Replace the locked rows with the derived ones and insert the new keys.

    A writer that did not hold the lock of an existing key (it was deleted and re-inserted by
    a concurrent writer, or is new) fails its primary key on insert: the batch is retried, and
    the retry locks the key before reading its facts.
    """
    if locked:
        session.execute(delete(StoreCommitment).where(StoreCommitment.key.in_(sorted(locked))))
    insert_rows(session, StoreCommitment, rows)


def _parties(fact: FactV1) -> tuple[OrgRef, OrgRef | None]:
    subject = OrgRef(id=fact.subject.id, name=fact.subject.name)
    other = fact.counterparty
    return subject, OrgRef(id=other.id, name=other.name) if other else None


def _claims(version: Version) -> list[dict[str, Any]]:
    return [
        {
            "quantity": c.quantity.model_dump(mode="json"),
            "sources": list(c.sources),
            "asserted_at": c.asserted_at.isoformat(),
        }
        for c in version.disputed
    ]


def _version_row(key: str, seq: int, version: Version, recorded_at: datetime) -> dict[str, Any]:
    observation = version.observation
    return {
        "id": version.id,
        "key": key,
        "seq": seq,
        "kind": version.kind,
        "article_id": observation.article_id,
        "fact_id": observation.fact_id,
        "source": observation.source,
        "before": version.before.model_dump(mode="json") if version.before else None,
        "after": version.after.model_dump(mode="json"),
        "delta": version.delta.model_dump(mode="json") if version.delta else None,
        "sources": list(version.sources),
        "disputed": _claims(version),
        "evidence": observation.evidence.model_dump(mode="json"),
        "effective_at": observation.effective_at,
        "recorded_at": recorded_at,
    }


def _commitment_row(
    key: str,
    history: Sequence[Version],
    latest: _Seen,
    recorded: dict[str, datetime],
    now: datetime,
) -> dict[str, Any]:
    current = history[-1]
    quantity = current.after.quantity
    fact, commitment_key = latest.fact, latest.attachment.key
    return {
        "key": key,
        "type": fact.type,
        "subject_id": fact.subject.id,
        "subject_name": fact.subject.name,
        "counterparty_id": fact.counterparty.id if fact.counterparty else None,
        "counterparty_name": fact.counterparty.name if fact.counterparty else None,
        "what": commitment_key.what,
        "scope": commitment_key.scope,
        "state": current.after.model_dump(mode="json"),
        "value": magnitude(quantity),
        "unit": "MW" if quantity and quantity.unit == "GW" else quantity and quantity.unit,
        "last_kind": current.kind,
        "sources": list(current.sources),
        "disputed": _claims(current),
        "versions": len(history),
        "first_effective_at": history[0].observation.effective_at,
        "effective_at": current.observation.effective_at,
        "recorded_at": max(recorded.get(v.id, now) for v in history),
        "reason": latest.attachment.reason,
    }


def _record_changes(
    session: Session, changes: Sequence[ChangeV1], replays: _Replays, topic: str, now: datetime
) -> None:
    ids = [c.id for c in changes]
    if not ids:
        return
    known = set(session.scalars(select(StoreChange.id).where(StoreChange.id.in_(ids))))
    fresh = [c for c in changes if c.id not in known]
    if not fresh:
        return
    insert_rows(
        session,
        StoreChange,
        [
            {
                "id": c.id,
                "key": c.key,
                "kind": c.kind,
                "type": c.type,
                "subject_id": c.subject.id,
                "counterparty_id": c.counterparty.id if c.counterparty else None,
                "article_id": c.evidence.article_id,
                "effective_at": c.effective_at,
                "recorded_at": c.recorded_at,
                "change": c.model_dump(mode="json"),
            }
            for c in fresh
        ],
    )
    insert_rows(
        session,
        StoreOutbox,
        [
            {
                "change_id": c.id,
                "topic": topic,
                "key": c.key,
                "value": c.model_dump_json(),
                "headers": replays.of(c.key, c.evidence.article_id).headers,
                "created_at": now,
            }
            for c in fresh
        ],
    )


def pending(session: Session, topic: str, limit: int = 500) -> list[Pending]:
    """The oldest unpublished outbox rows for ``topic``, in the order they were written."""
    rows = session.execute(
        select(StoreOutbox.seq, StoreOutbox.key, StoreOutbox.value, StoreOutbox.headers)
        .where(StoreOutbox.topic == topic, StoreOutbox.published_at.is_(None))
        .order_by(StoreOutbox.seq)
        .limit(limit)
    )
    return [Pending(seq, key, value.encode(), dict(headers)) for seq, key, value, headers in rows]


def mark_published(session: Session, seqs: Sequence[int], now: datetime | None = None) -> None:
    published = update(StoreOutbox).where(StoreOutbox.seq.in_(list(seqs)))
    session.execute(published.values(published_at=now or utcnow()))
