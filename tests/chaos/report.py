"""The chaos report: one row per scenario, printed as a table and written to
``var/chaos-report.json`` as soon as each scenario finishes (so a failing run still leaves it)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from harness import Comparison

REPORT = Path(__file__).resolve().parents[2] / "var" / "chaos-report.json"
COLUMNS = (
    ("scenario", 44), ("articles_in", 11), ("facts", 6), ("changes", 7), ("deliveries", 10),
    ("lost", 5), ("duplicated", 10), ("recovery_s", 10),
)  # fmt: skip


@dataclass
class Row:
    scenario: str
    articles_in: int
    facts: int
    changes: int
    deliveries: int
    lost: int
    duplicated: int
    recovery_s: float | None


class Report:
    def __init__(self, path: Path = REPORT) -> None:
        self.path = path
        self.rows: list[Row] = []

    def start(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.with_name("chaos-details.json").unlink(missing_ok=True)
        self._write()

    def add(self, row: Row) -> None:
        rows = [r for r in self.rows if r.scenario != row.scenario] + [row]
        self.rows = sorted(rows, key=lambda r: int(r.scenario.split(".", 1)[0]))
        self._write()

    def _write(self) -> None:
        rows = [asdict(r) for r in self.rows]
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(rows, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        tmp.replace(self.path)

    def table(self) -> str:
        def cell(value: object) -> str:
            if value is None:
                return "-"
            if isinstance(value, float):
                return f"{value:.1f}"
            return str(value)

        header = " | ".join(name.ljust(width) for name, width in COLUMNS)
        lines = [header, "-" * len(header)]
        for row in self.rows:
            values = asdict(row)
            lines.append(" | ".join(cell(values[n]).ljust(w) for n, w in COLUMNS))
        return "\n".join(lines)

    def markdown(self) -> str:
        names = [n for n, _ in COLUMNS]
        lines = ["| " + " | ".join(names) + " |", "|" + "---|" * len(names)]
        for row in self.rows:
            values = asdict(row)
            shown = [
                "-" if values[n] is None else (f"{values[n]:.1f}" if isinstance(values[n], float)
                                               else str(values[n]))
                for n in names
            ]  # fmt: skip
            lines.append("| " + " | ".join(shown) + " |")
        return "\n".join(lines)


REPORT_ROWS = Report()


def record(name: str, articles_in: int, comparison: Comparison, recovery: float | None) -> None:
    """Add the scenario's row (and its details to ``var/chaos-details.json``) right away."""
    REPORT_ROWS.add(
        Row(
            scenario=name,
            articles_in=articles_in,
            facts=comparison.facts,
            changes=comparison.changes,
            deliveries=comparison.deliveries,
            lost=comparison.lost,
            duplicated=comparison.duplicated,
            recovery_s=None if recovery is None else round(recovery, 1),
        )
    )
    details = REPORT_ROWS.path.with_name("chaos-details.json")
    known = json.loads(details.read_text()) if details.exists() else {}
    known[name] = {
        "resent": comparison.resent,
        "transient_changes": comparison.transient_changes,
        **comparison.details,
    }
    details.write_text(json.dumps(known, indent=2, ensure_ascii=False) + "\n")
