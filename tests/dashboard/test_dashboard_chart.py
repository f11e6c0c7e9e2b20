"""The timeline chart as SVG: one linked point per version, a step line, marked conflicts."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from services.core.models import CommitmentState
from services.dashboard import views
from services.dashboard.chart import compact, nice_step, timeline_svg
from services.store.queries import Version

from .builders import KOREAN, commitment, gpus, version, when

SVG = "{http://www.w3.org/2000/svg}"


def chart(*versions: Version) -> ET.Element:
    [timeline] = views.timelines([commitment(gpus(1, "1"))], list(versions), KOREAN)
    return ET.fromstring(timeline_svg(timeline))


def points(svg: ET.Element) -> list[ET.Element]:
    return [e for e in svg.iter() if "point" in (e.get("class") or "").split()]


def test_each_version_is_a_point_linked_to_its_evidence_anchor() -> None:
    svg = chart(
        version(1, "new", gpus(50_000, "5만개"), "5만개", at=when(1)),
        version(2, "increased", gpus(60_000, "6만개"), "6만개", at=when(20)),
    )
    found = points(svg)
    assert [p.get("data-value") for p in found] == ["50000", "60000"]
    labels = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "value-label"]
    assert labels == ["50k", "60k"]
    links = [a.get("href") for a in svg.iter(f"{SVG}a")]
    assert len(links) == 2 and all(re.fullmatch(r"#v\d-[0-9a-f]{8}", h or "") for h in links)
    assert [t.text or "" for t in svg.iter(f"{SVG}title")][1].startswith("2025-11-20 · increased")


def test_the_higher_value_is_drawn_higher_and_later_to_the_right() -> None:
    svg = chart(
        version(1, "new", gpus(50_000, "5만개"), "5만개", at=when(1)),
        version(2, "increased", gpus(60_000, "6만개"), "6만개", at=when(20)),
    )
    first, second = points(svg)
    assert float(second.get("cx", 0)) > float(first.get("cx", 0))
    assert float(second.get("cy", 0)) < float(first.get("cy", 0))
    step = next(e for e in svg.iter(f"{SVG}path") if e.get("class") == "step")
    assert step.get("d", "").startswith(f"M{first.get('cx')},{first.get('cy')}")


def test_conflicts_are_diamonds_and_retractions_crosses_and_drop_the_line() -> None:
    svg = chart(
        version(1, "new", gpus(50_000, "5만개"), "5만개", at=when(1)),
        version(2, "conflict", gpus(70_000, "7만개"), "7만개", at=when(3)),
        version(3, "retracted", CommitmentState(status="cancelled"), "취소", at=when(9)),
    )
    kinds = [(p.tag.removeprefix(SVG), p.get("data-kind")) for p in points(svg)]
    assert kinds == [("circle", "new"), ("path", "conflict"), ("path", "retracted")]
    step = next(e for e in svg.iter(f"{SVG}path") if e.get("class") == "step")
    axis = next(e for e in svg.iter(f"{SVG}line") if e.get("class") == "axis")
    assert step.get("d", "").endswith(f"V{axis.get('y1')}")  # back to zero at the retraction


def test_a_timeline_without_figures_is_a_strip_of_points_on_the_time_axis() -> None:
    svg = chart(version(1, "new", CommitmentState(products=("HBM4",)), "HBM4", at=when(1)))
    assert svg.get("viewBox") == "0 0 640 84"
    assert [p.get("class") for p in points(svg)] == ["point new no-figure"]


def test_axis_steps_are_round_and_labels_compact() -> None:
    assert [nice_step(s) for s in (260_000, 64_800, 7, 1)] == [100_000, 20_000, 2, 0.5]
    assert [compact(v) for v in (260_000, 3e9, 50, 1_500_000)] == ["260k", "3B", "50", "1.5M"]
