"""Plain-text rendering of the ledger for terminals: aligned columns, Korean text included."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from services.core.models import ChangeV1, CommitmentState, Delta, Quantity
from services.store.diff import stated
from services.store.queries import ArticleFacts, Commitment, Totals, Version

_QUALIFIER = {"exact": "", "about": "~", "up_to": "≤", "at_least": "≥"}


def width(text: str) -> int:
    """Columns ``text`` takes in a terminal: wide (Hangul, CJK) characters take two."""
    return sum(
        0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1
        for c in text
    )


def clip(text: str, columns: int) -> str:
    if width(text) <= columns:
        return text
    out = ""
    for char in text:
        if width(out + char) > columns - 1:
            return out + "…"
        out += char
    return out


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], max_width: int = 48) -> str:
    """Rows under headers, each column as wide as its widest cell (clipped at ``max_width``)."""
    cells = [[clip(" ".join(str(c).split()), max_width) for c in row] for row in rows]
    widths = [max([width(h)] + [width(row[i]) for row in cells]) for i, h in enumerate(headers)]

    def line(row: Sequence[str]) -> str:
        return "  ".join(
            c + " " * (w - width(c)) for c, w in zip(row, widths, strict=True)
        ).rstrip()

    rule = "  ".join("─" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(row) for row in cells)])


def number(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"


def quantity(q: Quantity | None) -> str:
    if q is None:
        return "—"
    if q.value is None:
        return f"{q.text} ({q.unit})"
    return f"{_QUALIFIER[q.qualifier]}{number(q.value)} {q.unit}"


def state(s: CommitmentState | None) -> str:
    if s is None:
        return "—"
    parts = [quantity(s.quantity)] if s.quantity else []
    parts += [s.gpu_model] if s.gpu_model else []
    parts += [", ".join(s.products)] if s.products else []
    parts += [s.timeframe.text] if s.timeframe else []
    parts.append(s.status)
    return " · ".join(parts)


def delta(d: Delta | None) -> str:
    if d is None:
        return ""
    relative = f" ({d.relative:+.1%})" if d.relative is not None else ""
    return f"{'+' if d.absolute >= 0 else ''}{number(d.absolute)}{relative}"


def ledger(rows: Sequence[Commitment], totals: Sequence[Totals] = ()) -> str:
    if not rows:
        return "The ledger is empty."
    text = table(
        [
            "subject",
            "counterparty",
            "type",
            "what",
            "scope",
            "commitment",
            "last",
            "sources",
            "since",
        ],
        [
            [
                r.subject.name,
                r.counterparty.name if r.counterparty else "—",
                r.type,
                r.what,
                r.scope or "",
                state(r.state),
                r.last_kind + (" ⚠" if r.disputed else ""),
                str(r.corroboration),
                r.effective_at.date().isoformat(),
            ]
            for r in rows
        ],
    )
    disputes = [
        f"⚠ {r.subject.name} {r.what}: {quantity(r.state.quantity)} disputed by "
        + "; ".join(f"{quantity(c.quantity)} ({', '.join(c.sources)})" for c in r.disputed)
        for r in rows
        if r.disputed
    ]
    sections = [text, _evidence(rows), *(["\n".join(disputes)] if disputes else [])]
    return "\n\n".join([*filter(None, sections), *map(_totals, totals)])


def _evidence(rows: Sequence[Commitment]) -> str:
    """Each commitment's evidence sentence and source, under the table."""
    lines = []
    for r in rows:
        if r.evidence is None:
            continue
        parties = r.subject.name + (f" → {r.counterparty.name}" if r.counterparty else "")
        lines.append(f"{parties} ({r.type}, {r.what}): {r.evidence.sentence}")
        lines.append(f"    {r.evidence.url}")
    return "evidence\n" + "\n".join(lines) if lines else ""


def _totals(t: Totals) -> str:
    head = (
        f"{t.subject.name} → {t.counterparty.name}: total {_QUALIFIER[t.qualifier]}"
        f"{number(t.total)} {t.unit}, parts {'~' if t.allocated_estimated else ''}"
        f"{number(t.allocated)}, unallocated {'~' if t.unallocated_estimated else ''}"
        f"{number(t.unallocated)}"
    )
    parts = (f"  {p.subject.name}: {_QUALIFIER[p.qualifier]}{number(p.value)}" for p in t.parts)
    return "\n".join([head, *parts])


def history(versions: Sequence[Version]) -> str:
    if not versions:
        return "No history."
    return table(
        ["effective", "key", "kind", "before", "after", "delta", "source", "evidence"],
        [
            [
                v.effective_at.date().isoformat(),
                v.key,
                v.kind,
                state(v.before),
                state(v.after),
                delta(v.delta),
                v.evidence.source,
                v.evidence.sentence,
            ]
            for v in versions
        ],
    )


def changes(items: Sequence[ChangeV1]) -> str:
    if not items:
        return "No changes."
    return table(
        ["effective", "kind", "subject", "counterparty", "key", "before", "after", "delta"],
        [
            [
                c.effective_at.date().isoformat(),
                c.kind,
                c.subject.name,
                c.counterparty.name if c.counterparty else "—",
                c.key,
                state(c.before),
                state(c.after),
                delta(c.delta),
            ]
            for c in items
        ],
    )


def article_facts(found: ArticleFacts) -> str:
    a = found.article
    when = a.published_at.isoformat() if a.published_at else "unknown"
    head = f"{a.title}\n{a.url}\n{a.source} · {a.lang} · published {when} · extractor "
    head += a.extractor_version
    if not found.facts:
        return head + "\n\nNo facts."
    rows = [
        [
            str(f.position),
            f.fact.type,
            f.fact.subject.mention,
            f.fact.counterparty.mention if f.fact.counterparty else "—",
            state(stated(f.fact)),
            f.key,
            f.fact.evidence.sentence,
        ]
        for f in found.facts
    ]
    headers = ["#", "type", "subject", "counterparty", "commitment", "key", "evidence"]
    return head + "\n\n" + table(headers, rows)
