"""View models of the dashboard: what a page shows, built from the store's read models.

Everything here is a pure function over frozen values; formatting for people (qualifiers in
words, thousands separators, the number highlighted in its sentence) happens here once, so
the HTML in :mod:`services.dashboard.pages` only places strings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import get_args
from urllib.parse import urlencode

from services.core.models import (
    ChangeEvidence,
    ChangeKind,
    ChangeV1,
    CommitmentState,
    OrgRef,
    Quantity,
)
from services.store.queries import Commitment, Totals, Version
from services.store.render import delta as render_delta
from services.store.render import number

TYPE_LABELS = {
    "gpu_commitment": "GPU commitment",
    "investment": "Investment",
    "partnership": "Partnership",
    "supply": "Supply",
}
KINDS: tuple[str, ...] = tuple(k for k in get_args(ChangeKind) if k != "withdrawn")
"""The kinds a commitment's last version can have (a withdrawal is a change, not a version)."""
_QUALIFIERS = {"exact": "", "about": "about ", "up_to": "up to ", "at_least": "at least "}
_UNITS = {"gpu": "GPUs"}
_DIGITS = re.compile(r"\d[\d,.]*")


@dataclass(frozen=True)
class Org:
    id: str
    name: str
    name_ko: str

    @property
    def url(self) -> str:
        return timeline_url(org=self.id)


def org(ref: OrgRef, korean: Mapping[str, str]) -> Org:
    """An organisation with its Korean name (empty when the directory has none)."""
    return Org(id=ref.id, name=ref.name, name_ko=korean.get(ref.id, ""))


def timeline_url(*, key: str | None = None, org: str | None = None) -> str:
    query = {"key": key} if key is not None else {"org": org or ""}
    return "/timeline?" + urlencode(query)


def quantity(q: Quantity | None) -> str:
    """``up to 260,000 GPUs``, ``about 3,000,000,000 USD``; the words as written when vague."""
    if q is None:
        return "—"
    if q.value is None:
        return q.text
    return f"{_QUALIFIERS[q.qualifier]}{number(q.value)} {_UNITS.get(q.unit, q.unit)}"


def summary(state: CommitmentState | None) -> str:
    """A state in one line: quantity, model, products, status."""
    if state is None:
        return "—"
    parts = [quantity(state.quantity)] if state.quantity else []
    parts += [state.gpu_model] if state.gpu_model else []
    parts += [", ".join(state.products)] if state.products else []
    parts.append(state.status)
    return " · ".join(parts)


@dataclass(frozen=True)
class Sentence:
    """An evidence sentence cut around the number it states: ``before`` ``mark`` ``after``."""

    before: str
    mark: str
    after: str


def highlight(sentence: str, q: Quantity | None) -> Sentence:
    """``sentence`` with the quantity as written marked (or its digits, if spaced otherwise)."""
    if q is not None:
        at = sentence.find(q.text) if q.text else -1
        found = (at, at + len(q.text)) if at >= 0 else _digits_span(sentence, q.text)
        if found is not None:
            start, end = found
            return Sentence(sentence[:start], sentence[start:end], sentence[end:])
    return Sentence(sentence, "", "")


def _digits_span(sentence: str, text: str) -> tuple[int, int] | None:
    digits = _DIGITS.search(text)
    if digits is None:
        return None
    at = sentence.find(digits.group())
    return (at, at + len(digits.group())) if at >= 0 else None


@dataclass(frozen=True)
class Evidence:
    title: str
    source: str
    url: str
    published: str
    sentence: Sentence


def evidence(found: ChangeEvidence, at: datetime, q: Quantity | None) -> Evidence:
    """The evidence as shown; only web addresses become links (never ``javascript:`` and co)."""
    return Evidence(
        title=found.title or found.url,
        source=found.source,
        url=found.url if found.url.startswith(("https://", "http://")) else "",
        published=at.date().isoformat(),
        sentence=highlight(found.sentence, q),
    )


# --------------------------------------------------------------------------- the ledger


@dataclass(frozen=True)
class Row:
    key: str
    subject: Org
    counterparty: Org | None
    type: str
    type_label: str
    scope: str
    value: str
    value_as_written: str
    gpu_model: str
    timeframe: str
    status: str
    last_kind: str
    last_date: str
    sources: int
    disputed: bool

    @property
    def url(self) -> str:
        return timeline_url(key=self.key)


def row(c: Commitment, korean: Mapping[str, str]) -> Row:
    state = c.state
    return Row(
        key=c.key,
        subject=org(c.subject, korean),
        counterparty=org(c.counterparty, korean) if c.counterparty else None,
        type=c.type,
        type_label=TYPE_LABELS[c.type],
        scope=c.scope or "",
        value=quantity(state.quantity) if state.quantity else ", ".join(state.products) or "—",
        value_as_written=state.quantity.text if state.quantity else "",
        gpu_model=state.gpu_model or "",
        timeframe=state.timeframe.text if state.timeframe else "",
        status=state.status,
        last_kind=c.last_kind,
        last_date=c.effective_at.date().isoformat(),
        sources=c.corroboration,
        disputed=bool(c.disputed),
    )


@dataclass(frozen=True)
class Filters:
    """The ledger's filters; empty means "any"."""

    org: str = ""
    type: str = ""
    kind: str = ""

    def admits(self, r: Row) -> bool:
        parties = {r.subject.id, r.counterparty.id if r.counterparty else ""}
        return (
            (not self.org or self.org in parties)
            and (not self.type or self.type == r.type)
            and (not self.kind or self.kind == r.last_kind)
        )


@dataclass(frozen=True)
class Part:
    org: Org
    value: str
    share: float


@dataclass(frozen=True)
class Total:
    subject: Org
    counterparty: Org
    total: str
    allocated: str
    unallocated: str
    unallocated_share: float
    over_allocated: bool
    parts: tuple[Part, ...]


def total(t: Totals, korean: Mapping[str, str]) -> Total:
    """The figures as written ("up to 260,000 GPUs"); the sum of the parts and the remainder
    marked "about" when the figures they combine are not all exact."""
    unit = _UNITS.get(t.unit, t.unit)
    scale = max(t.total, t.allocated) or 1.0
    about = _QUALIFIERS["about"]
    return Total(
        subject=org(t.subject, korean),
        counterparty=org(t.counterparty, korean),
        total=f"{_QUALIFIERS[t.qualifier]}{number(t.total)} {unit}",
        allocated=f"{about if t.allocated_estimated else ''}{number(t.allocated)} {unit}",
        unallocated=(
            f"{about if t.unallocated_estimated else ''}{number(abs(t.unallocated))} {unit}"
        ),
        unallocated_share=max(t.unallocated, 0.0) / scale,
        over_allocated=t.unallocated < 0,
        parts=tuple(
            Part(
                org(p.subject, korean),
                f"{_QUALIFIERS[p.qualifier]}{number(p.value)} {unit}",
                p.value / scale,
            )
            for p in t.parts
        ),
    )


@dataclass(frozen=True)
class Ledger:
    rows: tuple[Row, ...]
    shown: tuple[Row, ...]
    totals: tuple[Total, ...]
    filters: Filters
    organisations: tuple[Org, ...]


def ledger(
    commitments: Iterable[Commitment],
    totals: Iterable[Totals],
    korean: Mapping[str, str],
    filters: Filters,
) -> Ledger:
    """Every row, the rows ``filters`` admit, and the totals involving the chosen organisation."""
    rows = tuple(row(c, korean) for c in commitments)
    parties = {r.subject for r in rows} | {r.counterparty for r in rows if r.counterparty}
    chosen = tuple(
        t
        for t in (total(found, korean) for found in totals)
        if not filters.org
        or filters.org in {t.subject.id, t.counterparty.id, *(p.org.id for p in t.parts)}
    )
    return Ledger(
        rows=rows,
        shown=tuple(r for r in rows if filters.admits(r)),
        totals=chosen,
        filters=filters,
        organisations=tuple(sorted(parties, key=lambda o: o.name.casefold())),
    )


# --------------------------------------------------------------------------- timelines


@dataclass(frozen=True)
class Claim:
    """A quantity another source asserted against this version."""

    label: str
    value: float | None


@dataclass(frozen=True)
class Point:
    """One version of a commitment at its publication time."""

    anchor: str
    kind: str
    at: datetime
    value: float | None
    label: str
    before: str
    after: str
    delta: str
    claims: tuple[Claim, ...]
    evidence: Evidence

    @property
    def marked(self) -> bool:
        """Conflicts and retractions are drawn (and listed) apart from ordinary changes."""
        return self.kind in ("conflict", "retracted")


@dataclass(frozen=True)
class Timeline:
    key: str
    subject: Org
    counterparty: Org | None
    type_label: str
    scope: str
    unit: str
    points: tuple[Point, ...]

    @property
    def url(self) -> str:
        return timeline_url(key=self.key)


def point(v: Version) -> Point:
    q = v.after.quantity
    return Point(
        anchor=f"v{v.seq}-{v.id[:8]}",
        kind=v.kind,
        at=v.effective_at,
        value=q.value if q is not None else None,
        label=quantity(q) if q is not None else summary(v.after),
        before=summary(v.before),
        after=summary(v.after),
        delta=render_delta(v.delta),
        claims=tuple(
            Claim(f"{quantity(c.quantity)} ({', '.join(c.sources)})", c.quantity.value)
            for c in v.disputed
        ),
        evidence=evidence(v.evidence, v.effective_at, q),
    )


def timelines(
    commitments: Iterable[Commitment], versions: Sequence[Version], korean: Mapping[str, str]
) -> tuple[Timeline, ...]:
    """One timeline per commitment (in the order given) from the versions of all of them."""
    by_key: dict[str, list[Version]] = {}
    for v in versions:
        by_key.setdefault(v.key, []).append(v)
    return tuple(
        Timeline(
            key=c.key,
            subject=org(c.subject, korean),
            counterparty=org(c.counterparty, korean) if c.counterparty else None,
            type_label=TYPE_LABELS[c.type],
            scope=c.scope or "",
            unit=_UNITS.get(c.state.quantity.unit, c.state.quantity.unit)
            if c.state.quantity
            else "",
            points=tuple(point(v) for v in sorted(by_key.get(c.key, ()), key=lambda v: v.seq)),
        )
        for c in commitments
    )


# --------------------------------------------------------------------------- the change feed


@dataclass(frozen=True)
class Change:
    id: str
    kind: str
    key: str
    effective: str
    subject: Org
    counterparty: Org | None
    type_label: str
    before: str
    after: str
    delta: str
    evidence: Evidence
    left: bool = False
    """The commitment left the ledger with this change (a withdrawal of all it held)."""

    @property
    def url(self) -> str:
        """Its commitment's timeline; none once the commitment left the ledger."""
        return "" if self.left else timeline_url(key=self.key)


def _read(c: ChangeV1) -> CommitmentState:
    """The state the change's sentence was read as: the one withdrawn, or the one after."""
    state = c.before if c.kind == "withdrawn" else c.after
    return state or CommitmentState()


def change(c: ChangeV1, korean: Mapping[str, str]) -> Change:
    return Change(
        id=c.id,
        kind=c.kind,
        key=c.key,
        effective=c.effective_at.date().isoformat(),
        subject=org(c.subject, korean),
        counterparty=org(c.counterparty, korean) if c.counterparty else None,
        type_label=TYPE_LABELS[c.type],
        before=summary(c.before),
        after=summary(c.after),
        delta=render_delta(c.delta),
        evidence=evidence(c.evidence, c.effective_at, _read(c).quantity),
        left=c.after is None,
    )
