"""A commitment's history, derived from every observation of it, and the changes it implies.

The history of a key is a pure function of the *set* of its observations: they are ordered by
effective time (the article's publication time), then by article, then by place in the
article's text (not by fact id: ids change with the extractor's version), and folded, each one
compared with the state as it stood just before it.  An older article that arrives late
therefore lands in its place and is compared with its true predecessor, the current state is
always the newest article's, and any permutation of the same facts yields the same history.

Each fold step yields one :class:`Version` (or none, when a source repeats itself):

- ``new``        the first sighting;
- ``retracted``  the status became ``cancelled``;
- ``increased`` / ``decreased``  the quantity changed (absolute and relative delta);
- ``conflict``   another source gives a different quantity within the conflict window of the
                 commitment's last sighting (a repeat counts: :class:`Head`): both claims are
                 kept (the older one in :attr:`Version.disputed`, dated when its sources last
                 asserted it before the dispute), neither wins; a source restating its side of
                 a live dispute adds no version and does not move its claim's date, and a
                 source that comes round to the current figure leaves the dispute;
- ``revised``    same quantity, but qualifier, model, products, timeframe or status changed
                 ("over 260,000" vs "up to 260,000" is a revision, never an increase), or a
                 figure in another unit that cannot be compared (dollars, then won);
- ``reaffirmed`` the same state from another source: the source list grows;
- ``settled``    the same state from a source of a disputed figure that comes round to it (it
                 states the current figure), and no figure is disputed any more: the dispute
                 is over (a dispute that only narrows, other sources keeping another figure,
                 or a source's article without a figure, is a reaffirmation).

A history derived again after a re-extraction can lose versions: the facts they came from are
no longer read.  When the version the ledger reported last is gone and the history now ends at
another state (or the same one, no longer disputed), which no new version moves to from the one
reported, :func:`withdrawal` is the change that says so (``withdrawn``, from the state reported
to the one the history ends at, or to nothing); it is a change, not a version.  A late fact's
re-fold that ends at a version the ledger held already, holding other figures disputed or
another state than the one reported, is withdrawn the same way (:func:`late_withdrawal`).

Facts describe commitments partially: a field a fact leaves unstated (no model, a vague
quantity) keeps the predecessor's value.  Text that differs only by language (the quantity as
written, a timeframe without dates) is not a difference.
"""

from __future__ import annotations

import json
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from services.core.models import (
    ChangeEvidence,
    ChangeKind,
    CommitmentState,
    Delta,
    FactV1,
    Quantity,
    stable_id,
)

DEFAULT_CONFLICT_WINDOW = timedelta(days=31)

_UNIT_SCALE = {"GW": 1000.0}
_BASE_UNIT = {"GW": "MW"}

_IDENTITY = json.JSONEncoder(default=str)
"""``json.dumps(…, default=str)`` without building an encoder per call (the same text)."""


@dataclass(frozen=True)
class Observation:
    """One fact about a commitment, as seen in one article."""

    fact_id: str
    article_id: str
    source: str
    effective_at: datetime
    state: CommitmentState
    evidence: ChangeEvidence
    position: int
    """Its place in the article's text: the offset of its quantity, else of its sentence."""

    @property
    def order(self) -> tuple[datetime, str, int, str]:
        """Where it sits in its key's history: by effective time, article, then its place in
        the article's text, and only then the fact id, so an article's facts keep one order
        whichever extractor version's ids they carry."""
        return (self.effective_at, self.article_id, self.position, self.fact_id)


@dataclass(frozen=True)
class Claim:
    """A quantity some sources asserted, kept while it is disputed."""

    quantity: Quantity
    sources: tuple[str, ...]
    asserted_at: datetime


@dataclass(frozen=True)
class Version:
    """One entry of a commitment's history."""

    id: str
    kind: ChangeKind
    observation: Observation
    before: CommitmentState | None
    after: CommitmentState
    delta: Delta | None
    sources: tuple[str, ...]
    disputed: tuple[Claim, ...]


def stated(fact: FactV1) -> CommitmentState:
    """What ``fact`` states about its commitment."""
    return CommitmentState(
        quantity=fact.quantity,
        gpu_model=fact.gpu_model,
        products=fact.products,
        timeframe=fact.timeframe,
        status=fact.status,
    )


def magnitude(quantity: Quantity | None) -> float | None:
    """The quantity's value in its base unit (GW in MW), or None when vague or absent."""
    if quantity is None or quantity.value is None:
        return None
    return quantity.value * _UNIT_SCALE.get(quantity.unit, 1.0)


def essence(state: CommitmentState) -> tuple[object, ...]:
    """What a state asserts, without wording: two states with equal essence are the same."""
    quantity = state.quantity
    timeframe = state.timeframe
    return (
        None if quantity is None else (magnitude(quantity), quantity.qualifier),
        state.gpu_model.casefold() if state.gpu_model else None,
        tuple(sorted({p.casefold() for p in state.products})),
        (timeframe.start, timeframe.end) if timeframe and _dated(state) else None,
        state.status,
    )


def merge(before: CommitmentState, stated: CommitmentState) -> CommitmentState:
    """The state after ``stated``: what it leaves unstated keeps the value of ``before``."""
    quantity = stated.quantity
    if quantity is None or (quantity.value is None and before.quantity is not None):
        quantity = before.quantity  # unstated or vague: the figure (or wording) before stands
    return CommitmentState(
        quantity=quantity,
        gpu_model=stated.gpu_model or before.gpu_model,
        products=stated.products or before.products,
        timeframe=stated.timeframe if _dated(stated) else before.timeframe or stated.timeframe,
        status=stated.status,
    )


def _dated(state: CommitmentState) -> bool:
    return state.timeframe is not None and bool(state.timeframe.start or state.timeframe.end)


@dataclass(frozen=True)
class Head:
    """Where a history stands after its last observation: its last version, when the
    commitment was last observed (``seen_at``: a repeat that added no version counts), and when
    its current figure was last asserted by its sources (``asserted_at``: the version, or one of
    its sources repeating it; not another source restating its side of a dispute)."""

    version: Version
    seen_at: datetime
    asserted_at: datetime

    @classmethod
    def at(cls, version: Version) -> Head:
        """The head of a history whose last observation made ``version``."""
        when = version.observation.effective_at
        return cls(version, when, when)


def derive_history(
    key: str,
    observations: Iterable[Observation],
    window: timedelta = DEFAULT_CONFLICT_WINDOW,
) -> tuple[Version, ...]:
    """The history of commitment ``key`` from all its observations, in effective-time order."""
    return extend_history(key, None, observations, window)[0]


def extend_history(
    key: str,
    head: Head | None,
    observations: Iterable[Observation],
    window: timedelta = DEFAULT_CONFLICT_WINDOW,
) -> tuple[tuple[Version, ...], Head | None]:
    """The versions that ``observations``, all newer than the history, add after ``head``, and
    the history's head after them.

    Everything the fold carries from one step to the next is in the head, so a history extended
    this way equals the one derived from all observations at once.
    """
    versions: list[Version] = []
    was = essence(head.version.after) if head is not None else None  # what the head asserts
    made: dict[str, int] = {}  # ids made so far: one article can make the same change twice
    for observation in sorted(observations, key=lambda o: o.order):
        head, was = _step(key, head, was, observation, window)
        if head.version.observation is observation:
            version = head.version
            again = made.get(version.id, 0)
            made[version.id] = again + 1
            if again:  # "10,000 now, 50,000 by 2027 … 10,000 now, 50,000 by 2027"
                version = replace(version, id=stable_id("change", version.id, str(again)))
                head = replace(head, version=version)
            versions.append(version)
    return tuple(versions), head


@dataclass(frozen=True)
class Withdrawal:
    """A ``withdrawn`` change: ``lost``, the version the ledger held last, is no longer read
    from any article; ``after`` is the state the re-derived history stands at (None: none)."""

    id: str
    observation: Observation
    before: CommitmentState
    after: CommitmentState | None
    place: tuple[datetime, str, int, str]
    """Where it goes among the changes (:attr:`Observation.order`): after the versions of its
    history, the one it ends at included, so the state it leaves is the one they reach."""
    kind: ChangeKind = "withdrawn"
    delta: Delta | None = None
    disputed: tuple[Claim, ...] = ()
    """The figures the history now ends keeping disputed: two withdrawals between the same
    versions (the same id) differ by them alone."""


def withdrawal(
    lost: Version, known: Container[str], history: Sequence[Version]
) -> Withdrawal | None:
    """The withdrawal of ``lost``, the last version of a history of ``known`` ids, from the
    history derived again (``history``): None when the new history ends where ``lost`` did
    (:func:`held`: the same state, the same figures disputed), or where new versions of it
    that tell analysts (not a first version or a reaffirmation) take them from the state
    reported (those versions are the change).  Otherwise the ledger no longer holds what
    it reported: the withdrawal goes from ``lost``'s state to the one the history ends at (None:
    empty).  Its evidence and time are ``lost``'s: the reading withdrawn."""
    now = history[-1] if history else None
    if now is not None and (held(now) == held(lost) or _followed(lost, known, history, now)):
        return None
    return Withdrawal(
        id=stable_id("withdrawn", lost.id, now.id if now else ""),
        observation=lost.observation,
        before=lost.after,
        after=now.after if now else None,
        place=max(v.observation.order for v in (lost, *history)),
        disputed=now.disputed if now else (),
    )


def late_withdrawal(
    reported: Version, known: Container[str], refolded: Sequence[Version]
) -> Withdrawal | None:
    """The withdrawal a late fact's re-fold makes of ``reported``, the last version of the
    history the ledger held.  ``refolded`` is the history from the version the re-fold starts
    after (when there is one) to its end, ``known`` the ids the ledger held of those.  Where the
    re-fold ends at a new version after ``reported``, which it left as it was, the new versions
    are the change, told as they would be appended (a source coming round to the figure
    reported settles the dispute, which is told; one that only narrows it is a reaffirmation,
    which notifies nobody).  Otherwise — it ends at a version the ledger held (the last one, its
    id kept with other figures disputed: a claim come round to the figure reported, or one
    whose date a restatement moved; or one before it), or it changed ``reported`` on its way —
    :func:`withdrawal` decides, as after a re-extraction, so that how messages fall into batches
    changes nothing told."""
    if not refolded:
        return None
    if refolded[-1].id not in known and any(
        v.id == reported.id and held(v) == held(reported) for v in refolded
    ):
        return None
    return withdrawal(reported, known, refolded)


def _followed(
    lost: Version, known: Container[str], history: Sequence[Version], now: Version
) -> bool:
    """Whether the new versions of ``history`` that tell analysts take them from the state
    ``lost`` reported to where the history ends (``now``): each one from the state the one
    before it left or to it, the last one holding what ``now`` holds."""
    at, last = essence(lost.after), None
    for version in history:
        if version.id in known or version.kind in _UNTOLD or version.before is None:
            continue
        if at in (essence(version.before), essence(version.after)):
            at, last = essence(version.after), version
    return last is not None and held(last) == held(now)


_UNTOLD: tuple[ChangeKind, ...] = ("new", "reaffirmed")
"""Kinds of a version that does not tell analysts what became of the state reported: a live
reaffirmation notifies nobody (a replay with alerts tells it, and the withdrawal too), and the
first version of a history derived again re-reads an article they were told of
(``services.store.commitments.Emitted.news``)."""


def held(version: Version) -> tuple[object, ...]:
    """What the ledger holds after ``version``: its state, and the figures it keeps disputed (a
    dispute whose other claim is no longer read has ended, which analysts told of it hear)."""
    return (
        essence(version.after),
        frozenset((magnitude(c.quantity), c.quantity.qualifier) for c in version.disputed),
    )


def new_versions(known: Container[str], history: Sequence[Version]) -> tuple[Version, ...]:
    """The versions of ``history`` that are real differences from a history of ``known`` ids."""
    return tuple(v for v in history if v.id not in known)


def _step(
    key: str,
    head: Head | None,
    was: tuple[object, ...] | None,
    observation: Observation,
    window: timedelta,
) -> tuple[Head, tuple[object, ...]]:
    """The head after ``observation`` (a new version, or the same one seen again) and what its
    state asserts; ``was`` is what ``head``'s state asserts (its :func:`essence`)."""
    when = observation.effective_at
    if head is None or was is None:
        state = observation.state
        now = essence(state)
        first = _version(key, "new", observation, None, state, None, (observation.source,), (), now)
        return Head(first, when, when), now
    previous = head.version
    before = previous.after
    after = merge(before, observation.state)
    now = essence(after)  # what the state asserts now
    source = observation.source
    fresh_source = source not in previous.sources
    if after.status == "cancelled" and before.status != "cancelled":
        retracted = _version(
            key, "retracted", observation, before, after, None, (source,), (), now, was
        )
        return Head.at(retracted), now
    old, new = magnitude(before.quantity), magnitude(after.quantity)
    live = tuple(c for c in previous.disputed if when - c.asserted_at <= window)
    if now[1:] == was[1:] and any(
        source in c.sources and magnitude(c.quantity) == new for c in live
    ):
        # a source restating its side of a live dispute, and nothing else: seen, not asserted
        return replace(head, seen_at=when), was
    disputed = _still_disputed(live, source, new)
    if old is not None and new is not None and old != new and _comparable(before, after):
        delta = Delta(absolute=new - old, relative=(new - old) / old if old else None)
        if when - head.seen_at <= window and fresh_source:
            assert before.quantity is not None
            claim = Claim(before.quantity, previous.sources, head.asserted_at)
            claims = (claim, *disputed)
            conflict = _version(
                key, "conflict", observation, before, after, delta, (source,), claims, now, was
            )
            return Head.at(conflict), now
        kind: ChangeKind = "increased" if new > old else "decreased"
        changed = _version(key, kind, observation, before, after, delta, (source,), (), now, was)
        return Head.at(changed), now
    if now == was and not fresh_source:
        return Head(previous, when, when), was  # the same source says the same again
    if now != was:
        kind = "revised"
    elif (
        not disputed
        and magnitude(observation.state.quantity) == new
        and any(source in c.sources for c in live)
    ):
        kind = "settled"  # the last source of another figure came round to this one
    else:
        kind = "reaffirmed"
    sources = (*previous.sources, source) if fresh_source else previous.sources
    version = _version(key, kind, observation, before, after, None, sources, disputed, now, was)
    return Head.at(version), now


def _comparable(before: CommitmentState, after: CommitmentState) -> bool:
    """Whether both quantities measure one thing (GPUs, power, one currency)."""
    a, b = before.quantity, after.quantity
    return (
        a is not None
        and b is not None
        and _BASE_UNIT.get(a.unit, a.unit) == _BASE_UNIT.get(b.unit, b.unit)
    )


def _still_disputed(
    live: tuple[Claim, ...], source: str, figure: float | None
) -> tuple[Claim, ...]:
    """The claims within the window (``live``) that still dispute the state once ``source`` has
    said ``figure``: those of another figure, with the sources that have not since moved to
    another one."""
    kept = []
    for claim in live:
        if magnitude(claim.quantity) == figure:
            continue
        sources = tuple(s for s in claim.sources if s != source)
        if sources:
            kept.append(replace(claim, sources=sources))
    return tuple(kept)


def _version(
    key: str,
    kind: ChangeKind,
    observation: Observation,
    before: CommitmentState | None,
    after: CommitmentState,
    delta: Delta | None,
    sources: tuple[str, ...],
    disputed: tuple[Claim, ...],
    after_essence: tuple[object, ...],
    before_essence: tuple[object, ...] | None = None,
) -> Version:
    """The version; its id from what it changes (``after_essence`` is ``essence(after)``,
    ``before_essence`` is ``essence(before)`` or None: each computed once per step)."""
    identity = _IDENTITY.encode(
        [
            key,
            observation.article_id,
            kind,
            before_essence,
            after_essence,
            delta and [delta.absolute, delta.relative],
        ]
    )
    return Version(
        id=stable_id("change", identity),
        kind=kind,
        observation=observation,
        before=before,
        after=after,
        delta=delta,
        sources=sources,
        disputed=disputed,
    )
