"""The timeline chart as server-side SVG: committed value (a step line) over publication time.

Every version is a point linked to its evidence (``#anchor`` on the same page); conflicts are
diamonds with the disputed claims as hollow rings, retractions are crosses, versions without a
figure sit on the time axis.  Pure: a :class:`~services.dashboard.views.Timeline` in, text out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from html import escape

from services.dashboard.views import Point, Timeline
from services.store.render import number

WIDTH, HEIGHT, STRIP_HEIGHT = 640, 220, 84
LEFT, RIGHT, TOP, BOTTOM = 76, 20, 16, 34


def nice_step(span: float, ticks: int = 4) -> float:
    """A round tick step (1, 2 or 5 × 10ⁿ) that cuts ``span`` into about ``ticks`` parts."""
    raw = span / ticks if span > 0 else 1.0
    power = 10.0 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def compact(value: float) -> str:
    """Axis labels: ``260k``, ``3B``, ``50``."""
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:g}{suffix}"
    return number(value)


class _Scale:
    def __init__(self, points: Sequence[Point]) -> None:
        times = [p.at for p in points]
        first, last = min(times), max(times)
        if first == last:
            first, last = first - timedelta(days=1), last + timedelta(days=1)
        self.first, self.span = first, (last - first).total_seconds()
        values = [v for p in points for v in (p.value, *_claimed(p)) if v is not None]
        self.figures = bool(values)
        self.height = HEIGHT if values else STRIP_HEIGHT
        highest = max(values, default=1.0) * 1.08  # headroom above the highest point
        self.step = nice_step(highest)
        self.top = self.step * math.ceil(highest / self.step)
        self.inner_w = WIDTH - LEFT - RIGHT - 24
        self.inner_h = self.height - TOP - BOTTOM

    def x(self, at: datetime) -> float:
        return round(LEFT + 12 + self.inner_w * (at - self.first).total_seconds() / self.span, 1)

    def y(self, value: float) -> float:
        return round(TOP + self.inner_h * (1 - value / self.top), 1)


def _claimed(p: Point) -> list[float]:
    return [c.value for c in p.claims if c.value is not None]


def timeline_svg(timeline: Timeline) -> str:
    """The chart of ``timeline`` (a strip of points when no version states a figure; empty
    when it has no version)."""
    points = timeline.points
    if not points:
        return ""
    scale = _Scale(points)
    title = f"{timeline.subject.name}: {timeline.type_label} over publication time"
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {scale.height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        *_axes(scale, points),
        _steps(scale, points),
        *(_mark(scale, p) for p in points),
        "</svg>",
    ]
    return "".join(part for part in parts if part)


def _axes(scale: _Scale, points: Sequence[Point]) -> list[str]:
    base = scale.y(0)
    out = []
    for i in range(round(scale.top / scale.step) + 1 if scale.figures else 0):
        y = scale.y(i * scale.step)
        out.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y}" y2="{y}"/>'
            f'<text class="tick" x="{LEFT - 8}" y="{y + 4}" text-anchor="end">'
            f"{compact(i * scale.step)}</text>"
        )
    out.append(f'<line class="axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{base}" y2="{base}"/>')
    dates = sorted({p.at.date() for p in points})
    shown = dates if len(dates) <= 5 else [dates[0], dates[len(dates) // 2], dates[-1]]
    for day in shown:
        at = min(p.at for p in points if p.at.date() == day)
        out.append(
            f'<text class="tick" x="{scale.x(at)}" y="{scale.height - 10}" text-anchor="middle">'
            f"{day.isoformat()}</text>"
        )
    return out


def _steps(scale: _Scale, points: Sequence[Point]) -> str:
    """The value as it stood: held from one figure to the next, dropped by a retraction."""
    path: list[str] = []
    for p in points:
        x = scale.x(p.at)
        if p.kind == "retracted":
            if path:
                path.append(f"H{x}V{scale.y(0)}")
            break
        if p.value is None or p.kind == "conflict":
            continue
        path.append(f"H{x}V{scale.y(p.value)}" if path else f"M{x},{scale.y(p.value)}")
    else:
        if path:
            path.append(f"H{WIDTH - RIGHT}")
    return f'<path class="step" d="{"".join(path)}"/>' if path else ""


def _mark(scale: _Scale, p: Point) -> str:
    x = scale.x(p.at)
    y = scale.y(p.value if p.value is not None else 0)
    tip = f"{p.at.date().isoformat()} · {p.kind} · {p.label} · {p.evidence.source}"
    data = f'data-kind="{p.kind}" data-value="{"" if p.value is None else f"{p.value:g}"}"'
    if p.kind == "conflict":
        diamond = f"M{x},{y - 8}L{x + 8},{y}L{x},{y + 8}L{x - 8},{y}Z"
        shape = f'<path class="point conflict" {data} d="{diamond}"/>'
    elif p.kind == "retracted":
        shape = (
            f'<path class="point retracted" {data} '
            f'd="M{x - 7},{y - 7}L{x + 7},{y + 7}M{x + 7},{y - 7}L{x - 7},{y + 7}"/>'
        )
    else:
        hollow = " no-figure" if p.value is None else ""
        shape = f'<circle class="point {p.kind}{hollow}" {data} cx="{x}" cy="{y}" r="6"/>'
    label = (
        f'<text class="value-label" x="{x}" y="{y - 12}" text-anchor="middle">'
        f"{compact(p.value)}</text>"
        if p.value is not None
        else ""
    )
    rings = "".join(
        f'<circle class="claim" cx="{x}" cy="{scale.y(v)}" r="6"/>' for v in _claimed(p)
    )
    return (
        f'<a href="#{p.anchor}" class="point-link">{rings}{shape}{label}'
        f"<title>{escape(tip)}</title></a>"
    )
