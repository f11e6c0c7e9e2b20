"""Re-deriving the commitments a batch touched, and writing their history and current state.

The three paths run the same fold (:func:`services.store.diff.extend_history`):

- **append** — every new fact of a key is newer than everything stored for it (live news, in
  order): its facts are folded onto the stored head (the current version, with when the
  commitment was last seen and its figure last asserted) and only new versions are written;
  nothing else about the key is read.
- **late** — a fact no newer than the newest stored (an older article arriving late, one at
  the same instant, or a row that does not say when its figure was last asserted): the history
  is redone from the first new fact on, folded onto the stored version before it; versions
  that did not exist before are the changes, and where the redone history ends at a version
  the ledger held (its last one kept under its id, or one before it) that holds other figures
  disputed or another state than the last one, or changed the last one on its way, that
  version's withdrawal (:func:`~services.store.diff.late_withdrawal`).
- **re-derive** — a re-extraction of an article that had facts of the key: all facts of the
  key are read, its whole history is derived again and replaces the stored one.

The commitment rows of the touched keys are locked (``SELECT … FOR UPDATE``, in key order)
before anything about them is read, so two store instances serialise on a shared key.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Row, and_, delete, or_, select, tuple_
from sqlalchemy.orm import Session

from services.core.models import (
    ArticleV1,
    ChangeEvidence,
    CommitmentState,
    Delta,
    FactType,
    FactV1,
    OrgRef,
    Quantity,
    stable_id,
)
from services.store.bulk import among, insert_rows, table_of
from services.store.diff import (
    Claim,
    Head,
    Observation,
    Version,
    Withdrawal,
    extend_history,
    late_withdrawal,
    magnitude,
    new_versions,
    stated,
    withdrawal,
)
from services.store.jsontext import column_json
from services.store.keys import Attachment, attach
from services.store.tables import StoreArticle, StoreCommitment, StoreCommitmentVersion, StoreFact


@dataclass(frozen=True)
class Seen:
    """A fact as an observation of its commitment, with the fact and its key."""

    observation: Observation
    fact: FactV1
    attachment: Attachment

    @classmethod
    def of(
        cls,
        fact_id: str,
        fact: FactV1,
        article_id: str,
        url: str,
        title: str,
        source: str,
        effective_at: datetime,
    ) -> Seen:
        evidence = fact.evidence
        observation = _observation(
            fact_id, stated(fact), evidence.sentence, evidence.start, evidence.end,
            place(evidence.start, evidence.spans), article_id, url, title, source, effective_at,
        )  # fmt: skip
        return cls(observation, fact, attach(fact))

    @classmethod
    def in_article(cls, fact_id: str, fact: FactV1, article: ArticleV1) -> Seen:
        return cls.of(
            fact_id, fact, article.id, article.url, article.title, article.source,
            article.effective_at,
        )  # fmt: skip


@dataclass(frozen=True)
class Touched:
    """What a batch did to the facts: new ones by key, keys that lost some, the articles whose
    facts it replaced (every stored fact of theirs is one of ``added``), and the (article, key)
    pairs of the facts it replaced."""

    added: Mapping[str, Sequence[Seen]]
    lost: frozenset[str]
    articles: frozenset[str]
    held: frozenset[tuple[str, str]]


@dataclass(frozen=True)
class Parties:
    """What a change is about besides its key: the commitment's type and organisations."""

    type: FactType
    subject: OrgRef
    counterparty: OrgRef | None

    @classmethod
    def of(cls, fact: FactV1) -> Parties:
        other = fact.counterparty
        return cls(
            fact.type,
            OrgRef(id=fact.subject.id, name=fact.subject.name),
            OrgRef(id=other.id, name=other.name) if other else None,
        )

    @classmethod
    def stored(cls, row: Row[Any]) -> Parties:
        """Those of a stored commitment row (for a withdrawal that leaves no fact to tell)."""
        other = None
        if row.counterparty_id is not None:
            other = OrgRef(id=row.counterparty_id, name=row.counterparty_name or "")
        return cls(row.type, OrgRef(id=row.subject_id, name=row.subject_name), other)


@dataclass(frozen=True)
class Emitted:
    """A change: a version that did not exist before, or the withdrawal of one, with whom its
    commitment is about (from the newest fact of its key; from the stored commitment for a
    withdrawal)."""

    key: str
    version: Version | Withdrawal
    parties: Parties
    retold: bool = False
    """Whether its article was in the history the ledger held of the commitment (as a version or
    a fact folded in), now derived again after a re-extraction: the ``new`` version such a
    history begins with then re-reads an article analysts were told of."""
    echo: bool = False
    """Whether the changes of its commitment this batch would tell are the very ones analysts
    were told last, in this order (``told``: :func:`told_digest`): the batch puts back what they
    heard last, and tells it to nobody."""

    @property
    def news(self) -> bool:
        """Whether it tells anyone something: not a ``new`` version that re-reads an article
        analysts were told of (the versions after it and a withdrawal say what changed).  An
        article the history did not hold — a late one older than it — is news."""
        return not (self.retold and self.version.kind == "new")


Cut = tuple[datetime, str]
"""Where a late fact's re-fold starts: the effective time and article of the earliest new fact.
An article's own facts are never split by it: a stored history holds no version of an article
whose facts are new (a re-extraction supersedes the old ones, and their keys are re-derived)."""

_COMMITMENTS = table_of(StoreCommitment)
_VERSIONS = table_of(StoreCommitmentVersion)
_FACTS = table_of(StoreFact)
_ARTICLES = table_of(StoreArticle)
_STORED = tuple(
    _COMMITMENTS.c[name]
    for name in (
        "key", "versions", "last_version_id", "first_effective_at", "effective_at",
        "observed_until", "asserted_until", "recorded_at", "told",
        "type", "subject_id", "subject_name", "counterparty_id", "counterparty_name",
    )
)  # fmt: skip
"""What :func:`recompute` reads of a stored commitment.  Core statements on the tables
throughout: plain rows, no ORM objects to build, track or synchronise."""
_TAIL = ("key", "seq", "id", "article_id", "effective_at", "recorded_at")
"""What a late fact's re-fold reads of the stored versions it redoes: where they stand and when
they were recorded, none of their JSON (only the head it folds onto is read whole)."""


def recompute(
    session: Session,
    touched: Touched,
    window: timedelta,
    now: datetime,
    tells: Callable[[Emitted], bool],
) -> list[Emitted]:
    """Bring the histories and current states of the touched keys up to date; ``tells``: whether
    a change is to be told (each commitment keeps digests of the last ones told, ``told``;
    :attr:`Emitted.echo`)."""
    keys = sorted(set(touched.added) | touched.lost)
    if not keys:
        return []
    stored = {
        row.key: row
        for row in session.execute(
            select(*_STORED)
            .where(among(session, _COMMITMENTS.c.key, keys))
            .order_by(_COMMITMENTS.c.key)
            .with_for_update()
        )
    }
    appendable = {
        key: seen
        for key, seen in touched.added.items()
        if key not in touched.lost
        and (
            key not in stored
            or (
                min(s.observation.effective_at for s in seen) > stored[key].observed_until
                and _knows_its_head(stored[key])
            )
        )
    }
    writer = _Writer(now)
    heads = _versions(session, [stored[k].last_version_id for k in appendable if k in stored])
    for key, seen in appendable.items():
        row = stored.get(key)
        writer.append(key, row, heads[row.last_version_id] if row else None, seen, window)
    # A late fact changes only the history after it: redo that tail from the version before.
    late = {
        key: (stored[key], min(_cut(s.observation) for s in touched.added[key]))
        for key in keys
        if key not in appendable and key not in touched.lost and key in stored
    }
    writer.retail(session, late, touched, window)
    writer.rederive(
        session,
        {k: stored.get(k) for k in keys if k not in appendable and k not in late},
        touched,
        window,
    )
    insert_rows(session, StoreCommitmentVersion, writer.version_rows)
    if stored:
        session.execute(
            delete(_COMMITMENTS).where(among(session, _COMMITMENTS.c.key, sorted(stored)))
        )
    emitted = sorted(writer.emitted, key=_place)
    before = {key: list(row.told or ()) for key, row in stored.items()}
    telling: defaultdict[str, list[str]] = defaultdict(list)
    for each in emitted:
        if tells(each):
            telling[each.key].append(told_digest(each))
    echoes = {key for key, told in telling.items() if before.get(key, [])[-len(told) :] == told}
    for written in writer.commitment_rows:
        key, told = written["key"], before.get(written["key"], [])
        if key in telling and key not in echoes:
            told = (told + telling[key])[-TOLD_KEPT:]
        written["told"] = told
    insert_rows(session, StoreCommitment, writer.commitment_rows)
    return [replace(e, echo=True) if e.key in echoes else e for e in emitted]


TOLD_KEPT = 16
"""How many of a commitment's last told changes its row keeps (``told``)."""


def told_digest(emitted: Emitted) -> str:
    """What identifies a change analysts were told: its id, and the figures it leaves disputed
    (which its id leaves out)."""
    change = emitted.version
    claims = sorted(
        (str(magnitude(c.quantity)), c.quantity.qualifier, ",".join(c.sources))
        for c in change.disputed
    )
    return stable_id(change.id, *(part for claim in claims for part in claim))


def _place(emitted: Emitted) -> tuple[object, ...]:
    """Changes in the order of their observations (a withdrawal after its history's versions)."""
    change = emitted.version
    if isinstance(change, Withdrawal):
        return (change.place, emitted.key, 1)
    return (change.observation.order, emitted.key, 0)


class _Writer:
    """Collects the rows and changes of one recompute."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.version_rows: list[dict[str, Any]] = []
        self.commitment_rows: list[dict[str, Any]] = []
        self.emitted: list[Emitted] = []

    def append(
        self,
        key: str,
        row: Row[Any] | None,
        head: Version | None,
        seen: Sequence[Seen],
        window: timedelta,
    ) -> None:
        start = None
        if row is not None and head is not None:
            # the last stored fact (all are older than these) may be a repeat after the version
            start = Head(head, row.observed_until, row.asserted_until or row.effective_at)
        added, after = extend_history(key, start, (s.observation for s in seen), window)
        assert after is not None
        self._write(
            key,
            row.versions if row else 0,
            added,
            added,
            after,
            max(seen, key=lambda s: s.observation.order),
            first_effective_at=row.first_effective_at if row else None,
            recorded_at=self.now if added or row is None else row.recorded_at,
        )

    def _write(
        self,
        key: str,
        seq: int,
        tail: Sequence[Version],
        added: Sequence[Version],
        head: Head,
        latest: Seen,
        *,
        first_effective_at: datetime | None,
        recorded_at: datetime,
        recorded: Mapping[str, datetime] | None = None,
    ) -> None:
        """The rows of a key whose versions from ``seq`` on are ``tail`` (``added`` of them
        new): versions (``recorded`` keeps the times of those written before), changes, and
        the commitment row; ``head`` is where the history stands after them."""
        recorded = recorded or {}
        self.version_rows += _version_rows(key, seq, tail, recorded, self.now)
        if added:
            parties = Parties.of(latest.fact)
            self.emitted += [Emitted(key, v, parties) for v in added]
        self.commitment_rows.append(
            _commitment_row(
                key,
                head,
                latest,
                versions=seq + len(tail),
                first_effective_at=first_effective_at or tail[0].observation.effective_at,
                recorded_at=recorded_at,
            )
        )

    def retail(
        self,
        session: Session,
        late: Mapping[str, tuple[Row[Any], Cut]],
        touched: Touched,
        window: timedelta,
    ) -> None:
        """Redo the history of each late key from its cut (the earliest new fact) on, folding
        the facts from there onto the stored version just before it (the head, as of the facts
        between the two: repeats that added no version).  A handful of statements for all keys
        together, each reading only the tails (indexes on ``(key, effective_at)``), of the facts
        between head and cut only when and by whom they were said; the batch's own facts are
        not read back.
        """
        if not late:
            return
        versions = _VERSIONS.c
        tails: dict[str, list[Row[Any]]] = defaultdict(list)
        for version in session.execute(
            select(*(versions[name] for name in _TAIL))
            .where(
                or_(*(and_(versions.key == k, versions.effective_at >= cut[0])
                      for k, (_, cut) in late.items()))
            )
            .order_by(versions.key, versions.seq)
        ).all():  # fmt: skip
            tails[version.key].append(version)
        # the first version redone: the first tail row from the cut on, else none (the cut is
        # past the stored history); the one before it is the head the tail is folded onto
        # (``seq`` runs 0, 1, … per key without gaps, in history order)
        redone: dict[str, list[Row[Any]]] = {}
        first_seqs: dict[str, int] = {}
        for key, (row, cut) in late.items():
            redone[key] = [
                r for r in tails[key] if (r.effective_at, r.article_id) >= cut
            ]
            first_seqs[key] = redone[key][0].seq if redone[key] else row.versions
        before = [(k, first_seqs[k] - 1) for k in late if first_seqs[k] > 0]
        # with the heads, the last versions the ledger held (a withdrawal compares with them)
        wanted = among(session, versions.id, [row.last_version_id for row, _ in late.values()])
        if before:
            wanted = or_(tuple_(versions.key, versions.seq).in_(before), wanted)
        read = session.execute(select(_VERSIONS).where(wanted)).all()
        heads = set(before)
        head_rows = {r.key: r for r in read if (r.key, r.seq) in heads}
        last_rows = {r.id: r for r in read}
        kept_articles = ~among(session, _FACTS.c.article_id, sorted(touched.articles))
        seen = _observations(
            session,
            and_(
                or_(*(and_(_FACTS.c.key == k, _FACTS.c.effective_at >= cut[0])
                      for k, (_, cut) in late.items())),
                kept_articles,
            ),
        )  # fmt: skip
        sightings = _sightings(
            session,
            {
                k: ((r.effective_at, r.article_id), late[k][1])
                for k, r in head_rows.items()
                # a key seen last at its head's instant has nothing between to tell
                if late[k][0].observed_until > r.effective_at
            },
            kept_articles,
        )
        session.execute(
            delete(_VERSIONS).where(
                or_(*(and_(versions.key == k, versions.seq >= first_seqs[k]) for k in late))
            )
        )
        for key, (row, cut) in late.items():
            head_row = head_rows.get(key)
            head = None
            if head_row is not None:
                head = _seen_since(_version(head_row), sightings.get(key, ()))
            recorded = {r.id: r.recorded_at for r in redone[key]}
            kept = [s for s in seen[key] if _cut(s.observation) >= cut]
            new = touched.added[key]
            observations = [s.observation for s in kept] + [s.observation for s in new]
            tail, after = extend_history(key, head, observations, window)
            assert after is not None
            added = new_versions(recorded, tail)
            # the re-fold from the version before the cut (one the ledger held) to its end
            known, refolded = set(recorded), list(tail)
            if head is not None:
                known.add(head.version.id)
                refolded.insert(0, head.version)
            gone = late_withdrawal(_version(last_rows[row.last_version_id]), known, refolded)
            if gone is not None:
                self.emitted.append(Emitted(key, gone, Parties.stored(row)))
            self._write(
                key,
                first_seqs[key],
                tail,
                added,
                after,
                _newest(kept, new),
                first_effective_at=row.first_effective_at if head is not None else None,
                recorded_at=self.now if added or gone else row.recorded_at,
                recorded=recorded,
            )

    def rederive(
        self,
        session: Session,
        rows: Mapping[str, Row[Any] | None],
        touched: Touched,
        window: timedelta,
    ) -> None:
        """Derive the whole history of each key of ``rows`` (its stored commitment, None for
        a key not stored) again; a last version lost without the ledger holding the same, or
        a new version telling the move, is withdrawn (:func:`~services.store.diff.withdrawal`).
        The history held an article before when one of its versions came from it, or a fact of
        it folded in (a repeat, a side of a dispute restated), whether or not this batch
        replaced that fact."""
        if not rows:
            return
        keys = list(rows)
        seen = _observations(session, among(session, _FACTS.c.key, keys))
        lost = _versions(session, [row.last_version_id for row in rows.values() if row])
        of_keys = among(session, _VERSIONS.c.key, keys)
        known = select(
            _VERSIONS.c.id, _VERSIONS.c.recorded_at, _VERSIONS.c.key, _VERSIONS.c.article_id
        ).where(of_keys)
        recorded: dict[str, datetime] = {}
        told: defaultdict[str, set[str]] = defaultdict(set)
        for version_id, at, of_key, article_id in session.execute(known):
            recorded[version_id] = at
            told[of_key].add(article_id)
        session.execute(delete(_VERSIONS).where(of_keys))
        for key, row in rows.items():
            told[key] |= {
                s.observation.article_id
                for s in seen[key]
                if s.observation.article_id not in touched.articles
                or (s.observation.article_id, key) in touched.held
            }
            history, head = extend_history(key, None, (s.observation for s in seen[key]), window)
            gone = None
            if row is not None:
                gone = withdrawal(lost[row.last_version_id], recorded, history)
                if gone is not None:
                    self.emitted.append(Emitted(key, gone, Parties.stored(row)))
            if head is None:
                continue  # every fact of the key is gone: so is the commitment
            latest = _newest(seen[key], ())
            self.version_rows += _version_rows(key, 0, history, recorded, self.now)
            if added := new_versions(recorded, history):
                parties = Parties.of(latest.fact)
                self.emitted += [
                    Emitted(key, v, parties, v.observation.article_id in told[key])
                    for v in added
                ]
            self.commitment_rows.append(
                _commitment_row(
                    key,
                    head,
                    latest,
                    versions=len(history),
                    first_effective_at=history[0].observation.effective_at,
                    recorded_at=self.now
                    if gone
                    else max(recorded.get(v.id, self.now) for v in history),
                )
            )


def _knows_its_head(row: Row[Any]) -> bool:
    """Whether the stored row tells when its figure was last asserted: rows written before
    migration 0012, or by the release before it, leave it out; when a fact followed the version,
    the late path works it out from the facts."""
    return row.asserted_until is not None or row.observed_until == row.effective_at


def _cut(observation: Observation) -> Cut:
    return (observation.effective_at, observation.article_id)


def _sightings(
    session: Session, spans: Mapping[str, tuple[Cut, Cut]], kept: ColumnElement[bool]
) -> dict[str, list[tuple[datetime, str]]]:
    """When and by which source each key was observed strictly between the two places of its
    span (after its head's article, before its cut), by the ``kept`` facts."""
    if not spans:
        return {}
    facts, articles = _FACTS.c, _ARTICLES.c
    place = tuple_(facts.effective_at, facts.article_id)
    between = or_(*(and_(facts.key == k, facts.effective_at >= head[0], place > head, place < cut)
                    for k, (head, cut) in spans.items()))  # fmt: skip
    statement = (
        select(facts.key, facts.effective_at, articles.source)
        .join_from(_FACTS, _ARTICLES, articles.id == facts.article_id)
        .where(between, kept)
    )
    found: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for key, at, source in session.execute(statement).all():
        found[key].append((at, source))
    return found


def _seen_since(version: Version, sightings: Sequence[tuple[datetime, str]]) -> Head:
    """The head of a history whose last version is ``version``, after the ``sightings`` that
    followed it and added no version: repeats by its sources (its figure asserted again) or
    other sources restating their side of a dispute (the commitment seen)."""
    head = Head.at(version)
    seen = max((at for at, _ in sightings), default=head.seen_at)
    asserted = (at for at, source in sightings if source in version.sources)
    return Head(version, seen, max(asserted, default=head.asserted_at))


@dataclass(frozen=True)
class _Stored:
    """A stored fact read back for a fold: its observation, and the fact as stored (the fold
    needs only the observation; the fact is parsed for the newest fact of a key alone)."""

    observation: Observation
    data: dict[str, Any]

    def seen(self) -> Seen:
        fact = FactV1.model_validate(self.data)
        return Seen(self.observation, fact, attach(fact))


def _newest(stored: Sequence[_Stored], added: Sequence[Seen]) -> Seen:
    """The newest of a key's facts (stored or new) in history order, as a :class:`Seen`."""
    facts: list[_Stored | Seen] = [*stored, *added]
    newest = max(facts, key=lambda s: s.observation.order)
    return newest if isinstance(newest, Seen) else newest.seen()


def _observations(session: Session, where: ColumnElement[bool]) -> dict[str, list[_Stored]]:
    """The facts ``where`` selects, as observations by key."""
    facts, articles = _FACTS.c, _ARTICLES.c
    statement = (
        select(
            facts.id,
            facts.key,
            facts.fact,
            articles.id,
            articles.url,
            articles.title,
            articles.source,
            articles.effective_at,
        )
        .join_from(_FACTS, _ARTICLES, articles.id == facts.article_id)
        .where(where)
    )
    seen: dict[str, list[_Stored]] = defaultdict(list)
    # all rows at once: the driver builds them in one call instead of one fetch per row
    for fact_id, key, data, article_id, url, title, source, effective_at in session.execute(
        statement
    ).all():
        state = CommitmentState.model_validate({n: data[n] for n in _STATED if n in data})
        evidence = data["evidence"]
        observation = _observation(
            fact_id, state, evidence["sentence"], evidence["start"], evidence["end"],
            place(evidence["start"], evidence.get("spans") or {}),
            article_id, url, title, source, effective_at,
        )  # fmt: skip
        seen[key].append(_Stored(observation, data))
    return seen


_STATED = tuple(CommitmentState.model_fields)
"""The fields of a fact that are what it states about its commitment (:func:`stated`)."""


def _observation(
    fact_id: str,
    state: CommitmentState,
    sentence: str,
    start: int,
    end: int,
    position: int,
    article_id: str,
    url: str,
    title: str,
    source: str,
    effective_at: datetime,
) -> Observation:
    """A fact stating ``state`` (its evidence: ``sentence`` at ``start``-``end``) in an article."""
    evidence = ChangeEvidence(
        article_id=article_id,
        url=url,
        title=title,
        source=source,
        sentence=sentence,
        start=start,
        end=end,
    )
    return Observation(fact_id, article_id, source, effective_at, state, evidence, position)


def place(start: int, spans: Mapping[str, Sequence[int]]) -> int:
    """A fact's place in its article's text: its quantity's offset, else its sentence's."""
    quantity = spans.get("quantity")
    return quantity[0] if quantity else start


def _versions(session: Session, ids: Sequence[str]) -> dict[str, Version]:
    """Stored versions by id, as the fold produced them."""
    if not ids:
        return {}
    rows = session.execute(select(_VERSIONS).where(among(session, _VERSIONS.c.id, ids)))
    return {row.id: _version(row) for row in rows}


def _version(row: Row[Any]) -> Version:
    evidence = ChangeEvidence.model_validate(row.evidence)
    state = CommitmentState.model_validate(row.stated)
    return Version(
        id=row.id,
        kind=row.kind,
        # a stored version is folded onto, never ordered: its sentence stands for its place
        observation=Observation(
            row.fact_id,
            row.article_id,
            row.source,
            row.effective_at,
            state,
            evidence,
            evidence.start,
        ),
        before=CommitmentState.model_validate(row.before) if row.before else None,
        after=CommitmentState.model_validate(row.after),
        delta=Delta.model_validate(row.delta) if row.delta else None,
        sources=tuple(row.sources),
        disputed=tuple(
            Claim(
                Quantity.model_validate(c["quantity"]),
                tuple(c["sources"]),
                datetime.fromisoformat(c["asserted_at"]),
            )
            for c in row.disputed
        ),
    )


def claims(version: Version) -> list[dict[str, Any]]:
    return [
        {
            "quantity": c.quantity.model_dump(mode="json"),
            "sources": list(c.sources),
            "asserted_at": c.asserted_at.isoformat(),
        }
        for c in version.disputed
    ]


def _version_rows(
    key: str,
    seq: int,
    versions: Sequence[Version],
    recorded: Mapping[str, datetime],
    now: datetime,
) -> list[dict[str, Any]]:
    """The rows of ``key``'s ``versions``, numbered from ``seq``, recorded at ``recorded`` (by
    id) or else ``now``.  A state is dumped once: a version's ``before`` is its predecessor's
    ``after``, and a first version's ``after`` is the state its fact stated."""
    dumped: dict[int, tuple[CommitmentState, orjson.Fragment]] = {}

    def dump(state: CommitmentState) -> orjson.Fragment:
        known = dumped.get(id(state))  # the state is kept with its dump: ids stay unique
        if known is None:
            known = dumped[id(state)] = (state, column_json(state))
        return known[1]

    rows = []
    for offset, version in enumerate(versions):
        observation = version.observation
        rows.append({
            "id": version.id,
            "key": key,
            "seq": seq + offset,
            "kind": version.kind,
            "article_id": observation.article_id,
            "fact_id": observation.fact_id,
            "source": observation.source,
            "stated": dump(observation.state),
            "before": dump(version.before) if version.before else None,
            "after": dump(version.after),
            "delta": column_json(version.delta) if version.delta else None,
            "sources": list(version.sources),
            "disputed": claims(version),
            "evidence": column_json(observation.evidence),
            "effective_at": observation.effective_at,
            "recorded_at": recorded.get(version.id, now),
        })  # fmt: skip
    return rows


def _commitment_row(
    key: str,
    head: Head,
    latest: Seen,
    *,
    versions: int,
    first_effective_at: datetime,
    recorded_at: datetime,
) -> dict[str, Any]:
    current = head.version
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
        "state": column_json(current.after),
        "value": magnitude(quantity),
        "unit": "MW" if quantity and quantity.unit == "GW" else quantity and quantity.unit,
        "last_kind": current.kind,
        "sources": list(current.sources),
        "disputed": claims(current),
        "versions": versions,
        "last_version_id": current.id,
        "first_effective_at": first_effective_at,
        "effective_at": current.observation.effective_at,
        "observed_until": latest.observation.effective_at,
        "asserted_until": head.asserted_at,
        "recorded_at": recorded_at,
        "reason": latest.attachment.reason,
    }
