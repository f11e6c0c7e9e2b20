"""The accelerator table: per-chip figures (dense BF16 FLOP/s, memory, TDP) with their sources.

:func:`parse_table` is pure (parsed YAML in, frozen table out); :func:`load_accelerators` is the
one place that reads files: the built-in ``data/accelerators.yaml``, with a user file (same
format, ``INFRALEDGER_ACCELERATORS_FILE``) merged over it by name.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from services.core.errors import ConfigError

DATA_FILE = Path(__file__).parent / "data" / "accelerators.yaml"
ACCELERATORS_ENV = "INFRALEDGER_ACCELERATORS_FILE"


@dataclass(frozen=True)
class Figure:
    """One published number and where it comes from."""

    value: float
    source: str
    approximate: bool = False


@dataclass(frozen=True)
class Accelerator:
    name: str
    vendor: str
    """An organisation id of the extractor's organisations file (``nvidia``, ``amd``, …)."""
    bf16_tflops: Figure | None
    memory_gb: Figure | None
    tdp_w: Figure | None
    variant: str = ""
    note: str = ""


@dataclass(frozen=True)
class Overhead:
    """IT power per GPU over its TDP (host, network, fans), without facility overhead (PUE)."""

    low: float
    high: float
    source: str


@dataclass(frozen=True)
class Chip:
    """What a GPU model name resolves to: a chip, or a family's representative chip."""

    accelerator: Accelerator
    family: str | None = None


@dataclass(frozen=True)
class AcceleratorTable:
    accelerators: Mapping[str, Accelerator]
    families: Mapping[str, str]
    """family name → name of its representative accelerator"""
    reference: Accelerator
    """One H100-equivalent is this chip's dense BF16 throughput."""
    overhead: Overhead
    current_generation: tuple[Accelerator, ...]
    """The chips a capacity without a model may be built from (the GPU-count range of MW)."""

    def resolve(self, model: str) -> Chip | None:
        """The chip behind ``model`` (case-insensitive), or None when the table lacks it."""
        wanted = model.casefold()
        for name, accelerator in self.accelerators.items():
            if name.casefold() == wanted:
                return Chip(accelerator)
        for family, representative in self.families.items():
            if family.casefold() == wanted:
                return Chip(self.accelerators[representative], family=family)
        return None


def _figure(entry: Any, where: str) -> Figure | None:
    if entry is None:
        return None
    if not isinstance(entry, Mapping) or "value" not in entry or not entry.get("source"):
        raise ConfigError(f"accelerators: {where} needs a value and a source, got {entry!r}")
    return Figure(
        value=float(entry["value"]),
        source=str(entry["source"]),
        approximate=bool(entry.get("approximate", False)),
    )


def _accelerator(entry: Mapping[str, Any]) -> Accelerator:
    name = str(entry["name"])
    return Accelerator(
        name=name,
        vendor=str(entry["vendor"]),
        bf16_tflops=_figure(entry.get("bf16_tflops"), f"{name}.bf16_tflops"),
        memory_gb=_figure(entry.get("memory_gb"), f"{name}.memory_gb"),
        tdp_w=_figure(entry.get("tdp_w"), f"{name}.tdp_w"),
        variant=str(entry.get("variant") or ""),
        note=str(entry.get("note") or ""),
    )


def _by_name(entries: Sequence[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    return {str(entry["name"]): entry for entry in entries}


def merge(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """``extra`` over ``base``: entries replaced or added by name, other sections replaced."""
    merged = {**base, **{k: v for k, v in extra.items() if k not in ("accelerators", "families")}}
    for section in ("accelerators", "families"):
        entries = _by_name(base.get(section) or ())
        entries.update(_by_name(extra.get(section) or ()))
        merged[section] = list(entries.values())
    return merged


def parse_table(data: Mapping[str, Any]) -> AcceleratorTable:
    """The table of parsed YAML ``data``; a missing source or a dangling name is an error."""
    try:
        accelerators = {a.name: a for a in map(_accelerator, data["accelerators"])}
        families = {str(f["name"]): str(f["representative"]) for f in data.get("families") or ()}
        power = data["power"]
        overhead = power["server_overhead"]
        names = [*families.values(), str(data["reference"]), *power["current_generation"]]
        missing = sorted({n for n in names if n not in accelerators})
        if missing:
            raise ConfigError(f"accelerators: names without an entry: {', '.join(missing)}")
        if accelerators[str(data["reference"])].bf16_tflops is None:
            raise ConfigError("accelerators: the reference chip needs a bf16_tflops figure")
        return AcceleratorTable(
            accelerators=accelerators,
            families=families,
            reference=accelerators[str(data["reference"])],
            overhead=Overhead(
                low=float(overhead["low"]),
                high=float(overhead["high"]),
                source=str(overhead["source"]),
            ),
            current_generation=tuple(accelerators[n] for n in power["current_generation"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"accelerators: bad table: {exc!r}") from None


def _read(path: Path) -> Mapping[str, Any]:
    try:
        with path.open(encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    if not isinstance(data, Mapping):
        raise ConfigError(f"{path}: not a mapping")
    return data


@functools.lru_cache(maxsize=4)
def load_accelerators(extra_file: str | None = None) -> AcceleratorTable:
    """The built-in table, with ``extra_file`` (if any) merged over it."""
    data = _read(DATA_FILE)
    if extra_file:
        data = merge(data, _read(Path(extra_file)))
    return parse_table(data)


def default_accelerators() -> AcceleratorTable:
    """The table the services use: built-in data plus ``INFRALEDGER_ACCELERATORS_FILE``."""
    return load_accelerators(os.environ.get(ACCELERATORS_ENV) or None)
