"""Process trees during a benchmark (Linux ``/proc``): their CPU time — where the cores went —
and their descendants' memory.

A ratio against a ceiling says how far a run is from it, not why.  The replay and pipeline
benchmarks therefore also report the CPU time each part of the system used per item, from the
kernel's accounting rather than a profiler's samples:

- a *tree* is a process and its descendants: its processes' own user and system time, plus the
  time of children that exited and were reaped (``cutime`` and ``cstime``), so a parse worker or
  a database backend that ends within the window still counts;
- :class:`CpuMeter` reads every named tree at :meth:`~CpuMeter.start` and at
  :meth:`~CpuMeter.stop` and returns the difference, in seconds per name.

Trees must not overlap: name the services, the broker and the database server, not the
benchmark's own process (whose tree holds them all); :func:`own_cpu` is the benchmark's own time.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class _Stat:
    parent: int
    own: float
    """User and system seconds of the process itself."""
    reaped: float
    """User and system seconds of its children that exited and were waited for."""
    rss_mb: float
    """Resident memory now."""


def _stat(pid: int) -> _Stat | None:
    """Process ``pid``'s ``/proc/<pid>/stat`` (None when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        return _Stat(
            parent=int(fields[1]),
            own=(int(fields[11]) + int(fields[12])) / _TICK,
            reaped=(int(fields[13]) + int(fields[14])) / _TICK,
            rss_mb=int(fields[21]) * _PAGE / 2**20,
        )
    except (OSError, ValueError, IndexError):
        return None


def _stats(pids: Iterable[int] | None = None) -> dict[int, _Stat]:
    """The stat of every process (of ``pids`` only, when given)."""
    if pids is None:
        pids = (int(name) for name in os.listdir("/proc") if name.isdigit())
    return {pid: stat for pid in pids if (stat := _stat(pid)) is not None}


def _tree(stats: Mapping[int, _Stat], root: int, exclude: Collection[int] = ()) -> list[int]:
    """Process ``root`` and its descendants in ``stats``, but those in ``exclude`` and theirs."""
    children: dict[int, list[int]] = {}
    for pid, stat in stats.items():
        children.setdefault(stat.parent, []).append(pid)
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        if pid in stats and pid not in exclude:
            found.append(pid)
            todo += children.get(pid, [])
    return found


def tree_cpu(root: int, stats: Mapping[int, _Stat] | None = None) -> float:
    """CPU seconds of process ``root`` and its descendants so far (0 once it is gone)."""
    stats = _stats() if stats is None else stats
    return sum((stats[pid].own + stats[pid].reaped for pid in _tree(stats, root)), 0.0)


class TreeWatch:
    """Process ``root``'s tree, sampled often and cheaply: the CPU seconds of the whole tree
    and the peak RSS of each descendant.  Its members are found by reading every process's stat
    at most every ``rescan`` seconds, and in between only theirs are read: reading them all seven
    times a second (the replay benchmark's wait) took ≈3 % of a core from what was measured
    (≈4.4 ms a time with 67 processes until session 17, ≈1.1 ms since).  Processes in
    ``exclude`` and their descendants are not part of the tree."""

    def __init__(self, root: int, exclude: Collection[int] = (), rescan: float = 2.0) -> None:
        self.root, self.exclude, self.rescan = root, exclude, rescan
        self.cpu = 0.0
        """The most CPU seconds a sample found (a tree loses its members' time as they end
        unless its own processes reap them)."""
        self.peak_rss_mb: dict[int, float] = {}
        self._members: list[int] = []
        self._found_at = -float("inf")

    def sample(self) -> None:
        if time.monotonic() - self._found_at >= self.rescan:
            stats = _stats()
            self._members = _tree(stats, self.root, self.exclude)
            self._found_at = time.monotonic()
        else:
            stats = _stats(self._members)
        members = [stats[pid] for pid in self._members if pid in stats]
        self.cpu = max(self.cpu, sum(stat.own + stat.reaped for stat in members))
        for pid in self._members:
            if pid != self.root and pid in stats:
                self.peak_rss_mb[pid] = max(self.peak_rss_mb.get(pid, 0.0), stats[pid].rss_mb)


def own_cpu() -> float:
    """CPU seconds of this process alone (its threads included, its children not)."""
    times = os.times()
    return times.user + times.system


def postmaster_pid(data_dir: Path) -> int | None:
    """The PostgreSQL server's pid from its ``postmaster.pid`` (None when it is not running)."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        return int((data_dir / "postmaster.pid").read_text().split()[0])
    return None


@dataclass
class CpuMeter:
    """CPU seconds of named process trees between :meth:`start` and :meth:`stop`."""

    roots: Mapping[str, Callable[[], int | None]]
    """Name → the tree's root pid (asked at each reading: None when it is not running)."""
    wall: float = 0.0
    """Seconds between :meth:`start` and :meth:`stop`."""
    _before: dict[str, float] = field(default_factory=dict)
    _started: float = 0.0

    def _read(self) -> dict[str, float]:
        stats = _stats()
        readings = {}
        for name, root in self.roots.items():
            pid = root()
            readings[name] = 0.0 if pid is None else tree_cpu(pid, stats)
        readings["benchmark"] = own_cpu()
        return readings

    def start(self) -> None:
        self._before = self._read()
        self._started = time.perf_counter()

    def stop(self) -> dict[str, float]:
        after = self._read()
        self.wall = time.perf_counter() - self._started
        return {name: max(0.0, after[name] - self._before.get(name, 0.0)) for name in after}


def breakdown(seconds: Mapping[str, float], items: int, wall: float, cpus: int) -> str:
    """``name 1.23`` (ms per item) for each tree, largest first, with their total and the share
    of what ``cpus`` cores gave over ``wall`` seconds (the meter's)."""
    total = sum(seconds.values())
    parts = ", ".join(
        f"{name} {cpu / items * 1000:.2f}"
        for name, cpu in sorted(seconds.items(), key=lambda pair: -pair[1])
    )
    return (
        f"{parts} — {total / items * 1000:.2f} ms of CPU per item in all, "
        f"{total / (wall * cpus):.0%} of {cpus} cores over {wall:.1f} s"
    )
