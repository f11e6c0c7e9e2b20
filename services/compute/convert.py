"""Commitments in a common unit: H100-equivalents, dense BF16 FLOP/s and IT power (pure).

- A GPU count with a known chip: count × the chip's figures (``basis="model"``).
- A GPU count naming only a family ("Blackwell"): the family's representative chip, flagged as
  an assumption (``basis="family"``).
- A capacity in MW or GW: an estimated GPU-count range, from the chip's TDP × the server
  overhead range, or across the current generations when no chip is named (``basis="power"``).
- No number, no model, or a model the table lacks: no conversion (``basis="none"``), and the
  flags say why.  Nothing is ever guessed silently: every assumption is a flag.

IT power = count × TDP × server overhead (``low``–``high`` of the table; PUE excluded), so
every converted figure is a :class:`Range` (``low == high`` when exact).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from services.compute.accelerators import Accelerator, AcceleratorTable
from services.core.models import Quantity

Basis = Literal["model", "family", "power", "none"]

_WATTS_PER_MW = 1e6
_FLOPS_PER_TFLOPS = 1e12
_QUALIFIER_FLAGS = {
    "up_to": "upper bound: the text says 'up to' ({text})",
    "at_least": "lower bound: the text says 'at least' ({text})",
    "about": "approximate: the text says 'about' ({text})",
}


@dataclass(frozen=True)
class Range:
    low: float
    high: float

    @classmethod
    def exactly(cls, value: float) -> Range:
        return cls(value, value)

    def __add__(self, other: Range) -> Range:
        return Range(self.low + other.low, self.high + other.high)

    def __mul__(self, factor: float) -> Range:
        return Range(self.low * factor, self.high * factor)


@dataclass(frozen=True)
class Conversion:
    basis: Basis
    chip: str | None = None
    """The accelerator whose figures were used (a family's representative chip)."""
    gpus: Range | None = None
    h100e: Range | None = None
    bf16_flops: Range | None = None
    it_power_mw: Range | None = None
    flags: tuple[str, ...] = ()


def convert(
    quantity: Quantity | None, gpu_model: str | None, table: AcceleratorTable
) -> Conversion:
    """``quantity`` of ``gpu_model`` in every unit the table allows, with every assumption."""
    if quantity is None or quantity.value is None:
        return Conversion("none", flags=("no number stated: nothing to convert",))
    template = _QUALIFIER_FLAGS.get(quantity.qualifier)
    flags = (template.format(text=quantity.text),) if template else ()
    if quantity.unit == "gpu":
        return _from_count(quantity.value, gpu_model, table, flags)
    if quantity.unit in ("MW", "GW"):
        megawatts = quantity.value * (1000.0 if quantity.unit == "GW" else 1.0)
        return _from_power(megawatts, gpu_model, table, flags)
    return Conversion("none")


def h100e_per_chip(accelerator: Accelerator, table: AcceleratorTable) -> float | None:
    """One chip in H100-equivalents (dense BF16 throughput over the reference chip's)."""
    reference = table.reference.bf16_tflops
    if accelerator.bf16_tflops is None or reference is None:
        return None
    return accelerator.bf16_tflops.value / reference.value


def _approximate(accelerators: Iterable[Accelerator], figure: str) -> list[str]:
    names = [a.name for a in accelerators if (f := getattr(a, figure)) and f.approximate]
    if not names:
        return []
    return [f"approximate figure: {figure} of {', '.join(names)} (see the accelerator table)"]


def _power_flag(table: AcceleratorTable) -> str:
    overhead = table.overhead
    return (
        f"estimate: IT power = GPUs × TDP × server overhead {overhead.low:g}–{overhead.high:g}"
        " (facility overhead / PUE excluded)"
    )


def _from_count(
    count: float, model: str | None, table: AcceleratorTable, flags: tuple[str, ...]
) -> Conversion:
    gpus = Range.exactly(count)
    if model is None:
        return Conversion("none", gpus=gpus, flags=(*flags, "GPU model not stated: no conversion"))
    chip = table.resolve(model)
    if chip is None:
        return Conversion(
            "none",
            gpus=gpus,
            flags=(*flags, f"no figures for {model!r} in the accelerator table: no conversion"),
        )
    accelerator = chip.accelerator
    notes = list(flags)
    if chip.family is not None:
        notes.append(
            f"assumption: {chip.family!r} names a family; converted as its representative "
            f"chip {accelerator.name}"
        )
    h100e = flops = power = None
    ratio = h100e_per_chip(accelerator, table)
    if ratio is None or accelerator.bf16_tflops is None:
        notes.append(f"no dense BF16 figure for {accelerator.name}: no FLOP/s, no H100-equivalents")
    else:
        h100e = gpus * ratio
        flops = gpus * (accelerator.bf16_tflops.value * _FLOPS_PER_TFLOPS)
        notes += _approximate((accelerator,), "bf16_tflops")
    if accelerator.tdp_w is None:
        notes.append(f"no power figure for {accelerator.name}: no IT power estimate")
    else:
        watts = accelerator.tdp_w.value
        power = Range(
            count * watts * table.overhead.low / _WATTS_PER_MW,
            count * watts * table.overhead.high / _WATTS_PER_MW,
        )
        notes += [_power_flag(table), *_approximate((accelerator,), "tdp_w")]
    return Conversion(
        "family" if chip.family else "model",
        chip=accelerator.name,
        gpus=gpus,
        h100e=h100e,
        bf16_flops=flops,
        it_power_mw=power,
        flags=tuple(notes),
    )


def _from_power(
    megawatts: float, model: str | None, table: AcceleratorTable, flags: tuple[str, ...]
) -> Conversion:
    power = Range.exactly(megawatts)
    notes = [
        *flags,
        "capacity taken as IT power; if it is facility power, divide the estimates by the PUE",
    ]
    candidates: Iterable[Accelerator]
    chip_name: str | None = None
    if model is None:
        candidates = table.current_generation
        names = ", ".join(a.name for a in table.current_generation)
        notes.append(f"GPU model not stated: range across current generations ({names})")
    else:
        chip = table.resolve(model)
        if chip is None:
            notes.append(f"no figures for {model!r} in the accelerator table: no GPU estimate")
            return Conversion("none", it_power_mw=power, flags=tuple(notes))
        if chip.family is not None:
            notes.append(
                f"assumption: {chip.family!r} names a family; estimated with its representative "
                f"chip {chip.accelerator.name}"
            )
        candidates = (chip.accelerator,)
        chip_name = chip.accelerator.name
    powered = [a for a in candidates if a.tdp_w is not None]
    if not powered:
        notes.append(f"no power figure for {model}: no GPU estimate")
        return Conversion("none", chip=chip_name, it_power_mw=power, flags=tuple(notes))
    watts = megawatts * _WATTS_PER_MW
    overhead = table.overhead
    per_gpu = [a.tdp_w.value for a in powered if a.tdp_w is not None]
    gpus = Range(watts / (max(per_gpu) * overhead.high), watts / (min(per_gpu) * overhead.low))
    per_watt = [
        (ratio / (a.tdp_w.value * overhead.high), ratio / (a.tdp_w.value * overhead.low))
        for a in powered
        if a.tdp_w is not None and (ratio := h100e_per_chip(a, table)) is not None
    ]
    h100e = flops = None
    if per_watt:
        h100e = Range(watts * min(lo for lo, _ in per_watt), watts * max(hi for _, hi in per_watt))
        reference = table.reference.bf16_tflops
        assert reference is not None  # h100e_per_chip returned figures
        flops = h100e * (reference.value * _FLOPS_PER_TFLOPS)
    notes.append(
        f"estimate: GPU count from power at TDP × server overhead {overhead.low:g}–"
        f"{overhead.high:g} per GPU; not stated in the source"
    )
    notes += _approximate(powered, "tdp_w")
    return Conversion(
        "power",
        chip=chip_name,
        gpus=gpus,
        h100e=h100e,
        bf16_flops=flops,
        it_power_mw=power,
        flags=tuple(notes),
    )
