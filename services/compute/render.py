"""Text renderings of the compute view (``infraledger compute`` and the dashboard page)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

from services.compute.aggregate import Bucket
from services.compute.convert import Range
from services.compute.view import ComputeItem

_BOUND_WORDS = {"up_to": "upper bound", "at_least": "lower bound", "about": "approximate"}
_QUALIFIER_MARKS = {"up_to": "up to ", "at_least": "at least ", "about": "about "}


def amount(value: Range | None, scale: float = 1.0) -> str:
    """``1,234`` or ``1,000–1,300``; ``—`` when there is no figure."""
    if value is None:
        return "—"
    low, high = round(value.low / scale), round(value.high / scale)
    return f"{low:,}" if low == high else f"{low:,}–{high:,}"


def bounds_text(bounds: Sequence[str]) -> str:
    """``upper bound, lower bound`` for the qualifiers ``up_to``, ``at_least``."""
    return ", ".join(_BOUND_WORDS.get(b, b) for b in bounds)


def commitment_line(item: ComputeItem) -> str:
    """``NVIDIA → South Korea: up to 260,000 GPUs GB200 = 656,964 H100e (… MW)``."""
    parties = item.subject.name + (f" → {item.counterparty.name}" if item.counterparty else "")
    quantity = item.quantity
    stated = "no number"
    if quantity is not None and quantity.value is not None:
        mark = _QUALIFIER_MARKS.get(quantity.qualifier, "")
        unit = "GPUs" if quantity.unit == "gpu" else quantity.unit
        stated = f"{mark}{quantity.value:,.0f} {unit}"
    model = f" {item.gpu_model}" if item.gpu_model else ""
    conversion = item.conversion
    if conversion.h100e is None:
        return f"{parties}: {stated}{model} — not converted"
    basis = {"family": f" (as {conversion.chip})", "power": " (estimated from power)"}
    return (
        f"{parties}: {stated}{model}{basis.get(conversion.basis, '')} = "
        f"{amount(conversion.h100e)} H100e, GPUs {amount(conversion.gpus)}, "
        f"IT power {amount(conversion.it_power_mw)} MW"
    )


def aggregates_table(
    buckets: Sequence[Bucket],
    items: Sequence[ComputeItem],
    by: str,
    as_of: date | datetime | None = None,
) -> str:
    """Each group's totals, then its commitments with their parts indented beneath them."""
    when = f" as of {as_of.isoformat()}" if as_of else ""
    title = f"Committed compute by {by}{when} (H100-equivalents: dense BF16 of H100 SXM)"
    by_key: Mapping[str, ComputeItem] = {item.key: item for item in items}
    lines = [title, ""] if buckets else [title, "", "nothing committed"]
    for bucket in buckets:
        bounds = bounds_text(bucket.bounds)
        lines.append(
            f"{bucket.value}: {amount(bucket.h100e)} H100-equivalents, "
            f"{amount(bucket.gpus)} GPUs, {amount(bucket.it_power_mw)} MW IT power, "
            f"{amount(bucket.bf16_flops, 1e18)} EFLOP/s dense BF16"
            + (f" ({bounds})" if bounds else "")
        )
        for key in bucket.commitments:
            item = by_key[key]
            lines.append(f"  {commitment_line(item)}")
            lines += [f"      flag: {flag}" for flag in item.conversion.flags]
            for part in (by_key[p] for p in item.parts if p in bucket.parts_not_added):
                lines.append(f"    part, not added: {commitment_line(part)}")
                lines += [f"        flag: {flag}" for flag in part.conversion.flags]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
