"""Totals against their parts: "260,000 GPUs for Korea" vs. what each Korean organisation took.

A *total* is a commitment whose counterparty is a country (NVIDIA supplies Korea 260,000 GPUs).
Its *parts* are the commitments, in the same unit, of organisations of that country with the
total's subject as counterparty (Samsung → NVIDIA 50,000 GPUs, Hyundai → NVIDIA 50,000, …).
Per organisation, its commitment without scope counts; only when it has none do its scoped
commitments (phase one, a site) count, so that a phase is never added to its whole programme.
Cancelled commitments count for nothing.  The ledger shows the total, the sum of the parts and
the unallocated remainder (negative when the parts exceed the total).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Member:
    """What aggregation needs to know about an organisation."""

    country: str
    is_country: bool = False


@dataclass(frozen=True)
class Line:
    """A ledger row reduced to what aggregation needs."""

    key: str
    subject: str
    counterparty: str | None
    scope: str | None
    value: float | None
    unit: str | None
    cancelled: bool = False


@dataclass(frozen=True)
class Aggregate:
    total: Line
    parts: tuple[Line, ...]

    @property
    def allocated(self) -> float:
        return sum(part.value or 0.0 for part in self.parts)

    @property
    def unallocated(self) -> float:
        return (self.total.value or 0.0) - self.allocated


def aggregate(lines: Iterable[Line], members: Mapping[str, Member]) -> tuple[Aggregate, ...]:
    """Every total in ``lines`` with its parts, ordered by the total's key."""
    live = [line for line in lines if line.value is not None and not line.cancelled]

    def is_country(org: str | None) -> bool:
        return org is not None and org in members and members[org].is_country

    totals = sorted((line for line in live if is_country(line.counterparty)), key=lambda t: t.key)
    result = []
    for total in totals:
        assert total.counterparty is not None
        country = members[total.counterparty].country
        by_subject: dict[str, list[Line]] = defaultdict(list)
        for line in live:
            member = members.get(line.subject)
            if (
                line.counterparty == total.subject
                and line.unit == total.unit
                and member is not None
                and member.country == country
                and not member.is_country
            ):
                by_subject[line.subject].append(line)
        parts = [line for subject in sorted(by_subject) for line in _counted(by_subject[subject])]
        result.append(Aggregate(total=total, parts=tuple(parts)))
    return tuple(result)


def _counted(lines: list[Line]) -> list[Line]:
    whole = [line for line in lines if line.scope is None]
    return whole or sorted(lines, key=lambda line: line.key)
