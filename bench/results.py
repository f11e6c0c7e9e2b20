"""Shared by the benchmarks: result entries in ``bench/results.json`` and a printed table.

Every entry has the keys ``name``, ``value``, ``unit``, ``ceiling`` (the baseline measured in
the same run, where there is one), ``ratio``, ``target`` and ``met``.  :func:`record` replaces
entries of the same name and keeps the others, so each ``bench_*.py`` script adds its own rows
to one file::

    from results import entry, record, print_table

    rows = [entry("store.facts_per_s", 4200.0, "facts/s", target=5000.0)]
    print_table(rows)
    record(rows)

``met`` compares ``ratio`` with ``target`` when the target is a ratio (``target_is_ratio``),
otherwise ``value`` with ``target``; ``lower_is_better`` flips the comparison (latency, memory).
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import signal
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from statistics import median
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results.json"

GROWTH_REPEATS = 3
"""Runs at each size of a growth series (issue #10 item 7); its row is their median.  One run
lasts about a second, and this host's speed moves ±20 % between such runs minutes apart: a
single run per size missed the target or met it by the moment it came at (sessions 10–14)."""


def entry(
    name: str,
    value: float,
    unit: str,
    *,
    ceiling: float | None = None,
    target: float | None = None,
    target_is_ratio: bool = False,
    lower_is_better: bool = False,
    note: str | None = None,
) -> dict[str, Any]:
    """One result; ``ratio`` is ``value / ceiling`` when there is a ceiling."""
    ratio = value / ceiling if ceiling else None
    met: bool | None = None
    if target is not None:
        measured = ratio if target_is_ratio else value
        if measured is not None:
            met = measured <= target if lower_is_better else measured >= target
    row: dict[str, Any] = {
        "name": name,
        "value": _round(value),
        "unit": unit,
        "ceiling": _round(ceiling),
        "ratio": _round(ratio, 3),
        "target": target,
        "met": met,
    }
    if note:
        row["note"] = note
    return row


def growth_rows(
    name: str, unit: str, series: Sequence[tuple[int, str, Sequence[float]]], again: Sequence[float]
) -> list[dict[str, Any]]:
    """The rows of a growth series: for each ``(size, what was stored, rates of its runs)``, the
    median of the runs against the first size's — the mean of its median before the others and
    of ``again``, its runs after them, as the host's speed drifts within minutes.  Flat (indexes
    doing their job) means a ratio ≥ 0.8; the first size is the baseline."""
    before, after = median(series[0][2]), median(again)
    base = (before + after) / 2
    rows = []
    for index, (size, stored, rates) in enumerate(series):
        label = f"{size // 1000}k" if size < 1_000_000 else f"{size // 1_000_000}M"
        rows.append(
            entry(f"{name}.{label}", median(rates), unit, ceiling=base,
                  target=0.8 if index else None, target_is_ratio=True,
                  note=f"{stored}; median of {len(rates)} runs ({listed(rates)}); ceiling = "
                       f"the {series[0][0]:,} median, mean of {before:,.0f} before and "
                       f"{after:,.0f} after the others ({listed(again)})")
        )  # fmt: skip
    return rows


def listed(rates: Sequence[float]) -> str:
    """``1,234, 1,301, 1,187``: the runs of a measurement, for a note or a printed line."""
    return ", ".join(f"{rate:,.0f}" for rate in rates)


def _round(value: float | None, digits: int = 1) -> float | None:
    if value is None:
        return None
    return round(float(value), digits if abs(value) >= 1 else 4)


def record(entries: Sequence[dict[str, Any]], path: Path = RESULTS) -> None:
    """Merge ``entries`` into ``path``: same-name entries are replaced, the others kept."""
    existing: list[dict[str, Any]] = []
    if path.exists():
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
            existing = loaded if isinstance(loaded, list) else []
        except json.JSONDecodeError:
            existing = []
    names = {e["name"] for e in entries}
    merged = [e for e in existing if e.get("name") not in names] + list(entries)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(merged, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)


def print_table(entries: Sequence[dict[str, Any]], title: str | None = None) -> None:
    """A readable table of ``entries``."""
    if title:
        print(f"\n{title}")
    header = ("name", "value", "unit", "ceiling", "ratio", "target", "met")
    rows = [
        (
            str(e["name"]),
            _show(e["value"]),
            str(e["unit"]),
            _show(e["ceiling"]),
            _show(e["ratio"]),
            _show(e["target"]),
            {True: "yes", False: "NO", None: "-"}[e["met"]],
        )
        for e in entries
    ]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    print(line)
    print("-" * len(line))
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
    sys.stdout.flush()


def _show(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    return str(value)


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    memory = 0
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) // 1024
    return {
        "cpus": os.cpu_count(),
        "memory_mb": memory,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_avg_1m": round(load[0], 2),
    }


@contextlib.contextmanager
def stopwatch() -> Iterator[list[float]]:
    """``with stopwatch() as took: ...`` then ``took[0]`` is the elapsed wall time."""
    took = [0.0]
    started = time.perf_counter()
    try:
        yield took
    finally:
        took[0] = time.perf_counter() - started


def stop_on_sigterm() -> None:
    """SIGTERM (``timeout``, ``kill``) unwinds like Ctrl-C, so every ``finally`` cleans up."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupt)
