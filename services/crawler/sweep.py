"""Forgetting in a process that runs for months: a map keyed by what the crawl meets (hosts,
sites) is swept whenever it has doubled since its last sweep, so a sweep costs O(1) per entry
added and the map holds what is still wanted plus at most as many again."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")

SWEEP_MIN = 256
"""Entries below which a map is never swept."""


def sweep(entries: dict[K, V], keep: Callable[[K, V], bool]) -> tuple[dict[K, V], int]:
    """The entries to ``keep``, and the size at which to sweep them next."""
    kept = {key: value for key, value in entries.items() if keep(key, value)}
    return kept, max(SWEEP_MIN, 2 * len(kept))
