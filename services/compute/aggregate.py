"""Committed compute by country, sector, vendor or status (pure, over :class:`ComputeItem`).

Counting rules, so that no GPU is counted twice and nothing unknown is made up:

- a **total** (a commitment to a country, e.g. "up to 260,000 GPUs for Korea") is counted
  once, in the group of its owner; its **parts** (the organisations' shares of it, and the
  phases or sites of a commitment that also stands without a scope) are listed beneath it
  (``parts_not_added``) and never added as well;
- a **cancelled** commitment counts for nothing;
- a commitment without a conversion (no number, no model, an unknown model) is counted as a
  commitment and listed in ``unconverted``; its GPUs still add to ``gpus`` when stated;
- sums are :class:`Range` values (power-derived estimates are ranges); ``bounds`` lists the
  qualifiers of the counted figures: ``up_to`` makes a sum an upper bound, ``at_least`` a
  lower one; ``estimated`` lists the commitments converted by assumption (a family's
  representative chip, or a GPU count estimated from power).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

from services.compute.convert import Range
from services.compute.view import ComputeItem

Dimension = Literal["country", "sector", "vendor", "status"]
DIMENSIONS: tuple[Dimension, ...] = ("country", "sector", "vendor", "status")

_ZERO = Range(0.0, 0.0)


@dataclass(frozen=True)
class Bucket:
    by: Dimension
    value: str
    commitments: tuple[str, ...]
    """Keys of the commitments counted here."""
    gpus: Range
    h100e: Range
    bf16_flops: Range
    it_power_mw: Range
    unconverted: tuple[str, ...]
    estimated: tuple[str, ...]
    parts_not_added: tuple[str, ...]
    bounds: tuple[str, ...]


def group_of(item: ComputeItem, by: Dimension) -> str:
    return {
        "country": item.country,
        "sector": item.sector,
        "vendor": item.vendor,
        "status": item.status,
    }[by]


def _sum(ranges: Iterable[Range | None]) -> Range:
    total = _ZERO
    for value in ranges:
        if value is not None:
            total = total + value
    return total


def _beneath(item: ComputeItem, by_key: Mapping[str, ComputeItem]) -> Iterator[str]:
    """The parts of ``item`` in force, and theirs (a phase of a company's share of a total)."""
    for part in item.parts:
        if part in by_key:
            yield part
            yield from _beneath(by_key[part], by_key)


def aggregate(items: Iterable[ComputeItem], by: Dimension) -> list[Bucket]:
    """Groups of the counted commitments of ``items`` by ``by``, largest H100-equivalents first."""
    live = [item for item in items if item.status != "cancelled"]
    by_key = {item.key: item for item in live}
    groups: dict[str, list[ComputeItem]] = defaultdict(list)
    for item in live:
        if item.part_of is None or item.part_of not in by_key:
            groups[group_of(item, by)].append(item)
    buckets = []
    for value, counted in groups.items():
        conversions = [item.conversion for item in counted]
        buckets.append(
            Bucket(
                by=by,
                value=value,
                commitments=tuple(item.key for item in counted),
                gpus=_sum(c.gpus for c in conversions),
                h100e=_sum(c.h100e for c in conversions),
                bf16_flops=_sum(c.bf16_flops for c in conversions),
                it_power_mw=_sum(c.it_power_mw for c in conversions),
                unconverted=tuple(i.key for i in counted if i.conversion.h100e is None),
                estimated=tuple(
                    i.key for i in counted if i.conversion.basis in ("family", "power")
                ),
                parts_not_added=tuple(p for i in counted for p in _beneath(i, by_key)),
                bounds=tuple(
                    sorted(
                        {
                            i.quantity.qualifier
                            for i in counted
                            if i.quantity is not None and i.quantity.qualifier != "exact"
                        }
                    )
                ),
            )
        )
    return sorted(buckets, key=lambda b: (-b.h100e.high, -b.gpus.high, b.value))
