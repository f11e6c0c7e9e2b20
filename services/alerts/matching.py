"""Which subscriptions receive a change (pure).

A subscription filters on:

- ``kinds`` — by default every kind except ``reaffirmed``;
- ``orgs`` — if given, the change's subject or counterparty must match one of them by id or by
  name, case-insensitively;
- ``min_delta_pct`` — if given, a change carrying a relative delta must have moved by at least
  that many percent; changes without a relative delta (new, retracted, conflict, settled,
  withdrawn, a move from zero) are not filtered by size.

A change with ``notify=False`` (a replay without ``--alerts``, a live reaffirmation, a history's
first version derived again after a re-extraction from an article it held before) reaches
nobody.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import get_args

from services.alerts.errors import InvalidSubscription
from services.core.models import ChangeKind, ChangeV1

ALL_KINDS: frozenset[str] = frozenset(get_args(ChangeKind))
DEFAULT_KINDS: frozenset[str] = ALL_KINDS - {"reaffirmed"}


@dataclass(frozen=True)
class Filter:
    kinds: frozenset[str] = DEFAULT_KINDS
    orgs: tuple[str, ...] = ()
    min_delta_pct: float | None = None


def parse_kinds(kinds: Iterable[str] | None) -> frozenset[str]:
    """Validated kinds; None or empty → :data:`DEFAULT_KINDS`."""
    chosen = frozenset(k.strip().lower() for k in kinds or () if k.strip())
    unknown = chosen - ALL_KINDS
    if unknown:
        raise InvalidSubscription(
            f"unknown kind(s) {', '.join(sorted(unknown))}; use {', '.join(sorted(ALL_KINDS))}"
        )
    return chosen or DEFAULT_KINDS


def make_filter(
    kinds: Iterable[str] | None = None,
    orgs: Iterable[str] = (),
    min_delta_pct: float | None = None,
) -> Filter:
    if min_delta_pct is not None and min_delta_pct < 0:
        raise InvalidSubscription("--min-delta-pct cannot be negative")
    cleaned = tuple(dict.fromkeys(o.strip() for o in orgs if o.strip()))
    return Filter(parse_kinds(kinds), cleaned, min_delta_pct)


def matches(rule: Filter, change: ChangeV1) -> bool:
    if not change.notify or change.kind not in rule.kinds:
        return False
    if rule.orgs:
        parties = [change.subject] + ([change.counterparty] if change.counterparty else [])
        names = {v.casefold() for p in parties for v in (p.id, p.name)}
        if not any(o.casefold() in names for o in rule.orgs):
            return False
    if rule.min_delta_pct is not None and change.delta is not None:
        relative = change.delta.relative
        if relative is not None and abs(relative) * 100 < rule.min_delta_pct:
            return False
    return True
