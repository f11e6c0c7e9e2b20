"""Applying ``facts.v1`` to the database in one transaction, and reading the outbox.

:func:`apply_batch` does everything one batch of messages implies, inside the caller's
transaction: it records the consumed positions (a redelivered position is skipped, and the
primary key makes a racing duplicate fail), upserts the articles, replaces an article's facts
when a newer extractor version (or a changed article) arrives, brings the affected commitments
up to date (:mod:`services.store.commitments`), and inserts the resulting changes into the
change log and the outbox.  Change ids are stable, so a change already in the log is never
inserted twice.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import orjson
from sqlalchemy import delete, select, text, tuple_, update
from sqlalchemy.orm import Session

from services.core.db import utcnow
from services.core.models import (
    ChangeKind,
    ChangeV1,
    ExtractionV1,
    stable_id,
)
from services.core.topics import HEADER_REPLAY_ALERTS, HEADER_REPLAY_ID
from services.store.bulk import among, insert_numbered, insert_rows, table_of
from services.store.commitments import Emitted, Seen, Touched, recompute
from services.store.diff import DEFAULT_CONFLICT_WINDOW
from services.store.jsontext import extraction_json, model_json
from services.store.tables import (
    StoreArticle,
    StoreChange,
    StoreConsumed,
    StoreFact,
    StoreOutbox,
)

_ARTICLES = table_of(StoreArticle)
_FACTS = table_of(StoreFact)
_CONSUMED = table_of(StoreConsumed)
_CHANGES = table_of(StoreChange)
_OUTBOX = table_of(StoreOutbox)


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
class Pending:
    """An outbox row waiting to be published."""

    seq: int
    key: str
    value: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class Applied:
    consumed: int
    skipped: int
    changes: tuple[ChangeV1, ...]
    outbox: tuple[Pending, ...] = ()
    """The outbox rows this batch wrote (fresh changes only), in ``seq`` order."""


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
    fresh = _advance_positions(session, batch, now)
    if not fresh:
        return Applied(consumed=0, skipped=len(batch), changes=())
    replays, touched = _store_extractions(session, fresh, now)
    emitted = recompute(session, touched, window, now, partial(_tells, replays))
    made = [_change(e, replays, now) for e in emitted]
    changes = _with_ids_of_their_own(session, made)
    outbox = _record_changes(session, changes, replays, topic, now)
    return Applied(
        consumed=len(fresh), skipped=len(batch) - len(fresh), changes=changes, outbox=outbox
    )


def _advance_positions(
    session: Session, batch: Sequence[Incoming], now: datetime
) -> list[Incoming]:
    """The messages past the stored position of their partition; the position moves past them.

    The partitions' rows are locked first: another instance handling the same partition (during
    a rebalance) waits, then finds the messages applied.  A partition seen for the first time by
    two instances at once fails the primary key in one of them, which retries.
    """
    partitions = sorted({(i.position.topic, i.position.partition) for i in batch})
    columns = _CONSUMED.c
    stored = {
        (topic, partition): offset
        for topic, partition, offset in session.execute(
            select(columns.topic, columns.partition, columns.offset)
            .where(tuple_(columns.topic, columns.partition).in_(partitions))
            .with_for_update()
        )
    }
    reached = dict(stored)
    fresh = []
    for item in batch:
        where = (item.position.topic, item.position.partition)
        if item.position.offset > reached.get(where, -1):
            reached[where] = item.position.offset
            fresh.append(item)
    for (topic, number), offset in reached.items():
        if (topic, number) not in stored:
            row = {"topic": topic, "partition": number, "offset": offset, "consumed_at": now}
            insert_rows(session, StoreConsumed, [row])
        elif offset != stored[topic, number]:
            session.execute(
                update(_CONSUMED)
                .where(columns.topic == topic, columns.partition == number)
                .values(offset=offset, consumed_at=now)
            )
    return fresh


@dataclass
class _Replays:
    """Which message's replay context a change inherits: its article's, else its key's."""

    by_article: dict[str, Replay] = field(default_factory=dict)
    by_key: dict[str, Replay] = field(default_factory=dict)

    def of(self, key: str, article_id: str) -> Replay:
        return self.by_article.get(article_id) or self.by_key.get(key, Replay())


def _digest(extraction: ExtractionV1, facts: Sequence[bytes]) -> str:
    """What an extraction says of its article (``facts``: the JSON of each of its facts)."""
    article = extraction.article
    return stable_id(
        extraction_json(extraction.extractor_version, facts),
        article.url,
        article.source,
        article.title,
        str(article.published_at),
    )


def _store_extractions(
    session: Session, fresh: Sequence[Incoming], now: datetime
) -> tuple[_Replays, Touched]:
    """Upsert articles and replace their facts; return replay contexts and what changed."""
    ids = sorted({i.extraction.article.id for i in fresh})
    stored: dict[str, tuple[str, str]] = {}
    old_keys: dict[str, set[str]] = defaultdict(set)
    for article_id, digest, version, key in session.execute(
        select(_ARTICLES.c.id, _ARTICLES.c.extraction_digest, _ARTICLES.c.extractor_version,
               _FACTS.c.key)
        .outerjoin_from(_ARTICLES, _FACTS, _FACTS.c.article_id == _ARTICLES.c.id)
        .where(among(session, _ARTICLES.c.id, ids))
    ):  # fmt: skip
        stored[article_id] = (digest, version)
        if key is not None:
            old_keys[article_id].add(key)
    replays = _Replays()
    replaced: dict[str, tuple[ExtractionV1, tuple[bytes, ...]]] = {}
    inserted: dict[str, dict[str, Any]] = {}
    for item in fresh:
        extraction = item.extraction
        facts = tuple(model_json(fact) for fact in extraction.facts)
        article_id, digest = extraction.article.id, _digest(extraction, facts)
        before = stored.get(article_id)
        if before is not None and (
            before[0] == digest
            or version_order(extraction.extractor_version) < version_order(before[1])
        ):
            continue  # the same extraction again, or an older extractor's: nothing changes
        values = _article_values(extraction, digest)
        if article_id in inserted or before is None:
            inserted[article_id] = {"id": article_id, **values, "recorded_at": now}
        else:
            session.execute(update(_ARTICLES).where(_ARTICLES.c.id == article_id).values(**values))
        stored[article_id] = (digest, extraction.extractor_version)
        replaced[article_id] = (extraction, facts)
        replays.by_article[article_id] = item.replay
    added: dict[str, list[Seen]] = defaultdict(list)
    lost: set[str] = set()
    rows: list[dict[str, Any]] = []
    for article_id, (extraction, facts) in replaced.items():
        seen = _seen(extraction)
        for each in seen:
            added[each.attachment.key.text].append(each)
        rows += [
            _fact_row(extraction, position, each, fact)
            for position, (each, fact) in enumerate(zip(seen, facts, strict=True))
        ]
        lost |= old_keys.get(article_id, set())
        touched = old_keys.get(article_id, set()) | {each.attachment.key.text for each in seen}
        replays.by_key.update(dict.fromkeys(touched, replays.by_article[article_id]))
    insert_rows(session, StoreArticle, list(inserted.values()))
    if any(article_id in old_keys for article_id in replaced):
        session.execute(delete(_FACTS).where(among(session, _FACTS.c.article_id, sorted(replaced))))
    insert_rows(session, StoreFact, rows)
    held = frozenset((a, key) for a in replaced for key in old_keys.get(a, ()))
    return replays, Touched(added, frozenset(lost), frozenset(replaced), held)


def _article_values(extraction: ExtractionV1, digest: str) -> dict[str, Any]:
    article = extraction.article
    return {
        "url": article.url,
        "source": article.source,
        "lang": article.lang,
        "title": article.title,
        "author": article.author,
        "published_at": article.published_at,
        "updated_at": article.updated_at,
        "fetched_at": article.fetched_at,
        "effective_at": article.effective_at,
        "content_hash": article.content_hash,
        "text": article.text,
        "warc": article.warc.model_dump() if article.warc else None,
        "extractor_version": extraction.extractor_version,
        "extraction_digest": digest,
        "extracted_at": extraction.extracted_at,
    }


def _seen(extraction: ExtractionV1) -> list[Seen]:
    article, version = extraction.article, extraction.extractor_version
    return [
        Seen.in_article(stable_id(article.id, version, str(position)), fact, article)
        for position, fact in enumerate(extraction.facts)
    ]


def _fact_row(
    extraction: ExtractionV1, position: int, seen: Seen, fact_json: bytes
) -> dict[str, Any]:
    fact = seen.fact
    return {
        "id": seen.observation.fact_id,
        "article_id": extraction.article.id,
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
        "key": seen.attachment.key.text,
        "key_reason": seen.attachment.reason,
        "effective_at": seen.observation.effective_at,
        "fact": orjson.Fragment(fact_json),
    }


def _tells(replays: _Replays, emitted: Emitted) -> bool:
    """Whether ``emitted`` is to be told: its replay tells its kind, and it is news (it is told
    unless it is an :attr:`~services.store.commitments.Emitted.echo` as well)."""
    replay = replays.of(emitted.key, emitted.version.observation.article_id)
    return replay.notify(emitted.version.kind) and emitted.news


def _change(emitted: Emitted, replays: _Replays, now: datetime) -> ChangeV1:
    version, parties = emitted.version, emitted.parties
    replay = replays.of(emitted.key, version.observation.article_id)
    return ChangeV1(
        id=version.id,
        kind=version.kind,
        key=emitted.key,
        type=parties.type,
        subject=parties.subject,
        counterparty=parties.counterparty,
        before=version.before,
        after=version.after,
        delta=version.delta,
        evidence=version.observation.evidence,
        effective_at=version.observation.effective_at,
        recorded_at=now,
        replay_id=replay.replay_id,
        notify=_tells(replays, emitted) and not emitted.echo,
    )


def _with_ids_of_their_own(session: Session, changes: Sequence[ChangeV1]) -> tuple[ChangeV1, ...]:
    """``changes`` under ids the change log does not hold yet.

    Every change a batch makes is news: a message delivered again makes none (its position is
    recorded), nor does an article read again the same way (its versions are stored).  One whose
    id the log holds already is a version that left its history and came back — a fact one
    reading dropped and a later one reads again, a late fact's tail redone and undone — or the
    same withdrawal again; it takes the first of ``stable_id(id, "again", n)`` the log does not
    hold, which a batch redone after a crash finds again.  It is news again, unless analysts
    heard it last (:attr:`~services.store.commitments.Emitted.echo`).
    """
    ids = [c.id for c in changes]
    if not ids:
        return ()
    held = set(session.scalars(select(_CHANGES.c.id).where(among(session, _CHANGES.c.id, ids))))
    if not held:
        return tuple(changes)
    return tuple(
        c.model_copy(update={"id": _free_id(session, c.id)}) if c.id in held else c
        for c in changes
    )


def _free_id(session: Session, held: str) -> str:
    n = 1
    while True:
        candidate = stable_id(held, "again", str(n))
        if session.scalar(select(_CHANGES.c.id).where(_CHANGES.c.id == candidate)) is None:
            return candidate
        n += 1


def _record_changes(
    session: Session, changes: Sequence[ChangeV1], replays: _Replays, topic: str, now: datetime
) -> tuple[Pending, ...]:
    """Insert ``changes`` (ids the log does not hold) and their outbox rows; return those
    rows."""
    fresh = [(c, c.model_dump_json()) for c in changes]
    if not fresh:
        return ()
    _hold_change_log(session)
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
                "value": value,
            }
            for c, value in fresh
        ],
    )
    headers = [replays.of(c.key, c.evidence.article_id).headers for c, _ in fresh]
    seqs = insert_numbered(
        session,
        StoreOutbox,
        "seq",
        [
            {"change_id": c.id, "topic": topic, "headers": h, "created_at": now}
            for (c, _), h in zip(fresh, headers, strict=True)
        ],
    )
    return tuple(
        Pending(seq, c.key, value.encode(), h)
        for seq, (c, value), h in zip(seqs, fresh, headers, strict=True)
    )


CHANGE_LOG_LOCK = 0x1E6_CA7
"""PostgreSQL advisory lock of the change log's writers (any number, held to each commit)."""


def _hold_change_log(session: Session) -> None:
    """Let one transaction at a time write to the change log, until it commits.

    Readers follow the log by ``seq`` (the API's cursor, the dashboard's feed).  PostgreSQL
    hands out a sequence's numbers at insert, not at commit: were two store instances to write
    at once, the one holding the lower numbers could commit second, after a reader had already
    moved past them, and that reader would never see those changes.  Under the lock, numbers
    are taken in the order the transactions commit.  SQLite has one writer at a time anyway.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHANGE_LOG_LOCK})


def pending(session: Session, topic: str, limit: int = 500) -> list[Pending]:
    """The oldest unpublished outbox rows for ``topic``, in the order they were written."""
    rows = session.execute(
        select(StoreOutbox.seq, StoreChange.key, StoreChange.value, StoreOutbox.headers)
        .join(StoreChange, StoreChange.id == StoreOutbox.change_id)
        .where(StoreOutbox.topic == topic, StoreOutbox.published_at.is_(None))
        .order_by(StoreOutbox.seq)
        .limit(limit)
    )
    return [Pending(seq, key, value.encode(), dict(headers)) for seq, key, value, headers in rows]


def mark_published(session: Session, seqs: Sequence[int], now: datetime | None = None) -> None:
    published = update(_OUTBOX).where(among(session, _OUTBOX.c.seq, seqs))
    session.execute(published.values(published_at=now or utcnow()))


def prune_published(session: Session, before: datetime, limit: int, *, topic: str) -> int:
    """Delete up to ``limit`` of ``topic``'s outbox rows published before ``before``; returns how
    many went.  The change itself stays in the change log."""
    seqs = list(
        session.scalars(
            select(StoreOutbox.seq)
            .where(StoreOutbox.topic == topic, StoreOutbox.published_at < before)
            .limit(limit)
        )
    )
    if seqs:
        session.execute(delete(_OUTBOX).where(among(session, _OUTBOX.c.seq, seqs)))
    return len(seqs)
