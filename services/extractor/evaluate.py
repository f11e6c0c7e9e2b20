"""Accuracy of the extractor on the labelled set (``make eval``).

Usage: ``python -m services.extractor.evaluate [LABELLED_DIR]`` (default
``tests/extractor/labelled``).  Prints precision, recall and F1 per fact type, per field and per
language, and qualifier accuracy; exits 1 when a target is missed.

Scoring: in each item, predicted facts are aligned one-to-one with expected facts of the same
type (best agreement first).  A fact is *correct* when it is aligned and its subject, value,
unit, qualifier and — where the label gives them — counterparty, model and status agree.  A
field is correct on an aligned pair when it agrees; field precision and recall divide by all
predicted and all expected facts.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from services.core.models import FactV1
from services.extractor.extract import extract

QUANTITY_F1_TARGET = 0.95
QUALIFIER_ACCURACY_TARGET = 0.97
DEFAULT_DIR = Path("tests/extractor/labelled")
FIELDS = ("subject", "counterparty", "value", "qualifier", "model", "status")
_OPTIONAL = {"counterparty": "counterparty", "model": "gpu_model", "status": "status"}


@dataclass(frozen=True)
class Item:
    id: str
    lang: str
    text: str
    facts: tuple[Mapping[str, Any], ...]


@dataclass
class Counts:
    tp: int = 0
    predicted: int = 0
    expected: int = 0

    @property
    def precision(self) -> float:
        return self.tp / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.tp / self.expected if self.expected else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Report:
    by_type: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    by_field: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    by_lang: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    quantity: Counts = field(default_factory=Counts)
    overall: Counts = field(default_factory=Counts)
    qualifier_pairs: int = 0
    qualifier_right: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def qualifier_accuracy(self) -> float:
        return self.qualifier_right / self.qualifier_pairs if self.qualifier_pairs else 1.0

    @property
    def met(self) -> bool:
        return (
            self.quantity.f1 >= QUANTITY_F1_TARGET
            and self.qualifier_accuracy >= QUALIFIER_ACCURACY_TARGET
        )


def load_items(directory: Path, root: Path | None = None) -> list[Item]:
    """Every item of every ``*.yaml`` file in ``directory``; ``file:`` paths are from ``root``."""
    root = root or Path.cwd()
    items = []
    for path in sorted(directory.glob("*.yaml")):
        for entry in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            text = entry.get("text")
            if text is None:
                text = (root / entry["file"]).read_text(encoding="utf-8")
            items.append(
                Item(str(entry["id"]), str(entry["lang"]), text, tuple(entry.get("facts") or ()))
            )
    return items


def _predicted_fields(fact: FactV1) -> dict[str, Any]:
    q = fact.quantity
    return {
        "type": fact.type,
        "subject": fact.subject.id,
        "counterparty": fact.counterparty.id if fact.counterparty else None,
        "value": q.value if q else None,
        "unit": q.unit if q else None,
        "qualifier": q.qualifier if q else None,
        "model": fact.gpu_model,
        "status": fact.status,
    }


def _expected_fields(label: Mapping[str, Any]) -> dict[str, Any]:
    fields = {
        "type": label["type"],
        "subject": label["subject"],
        "value": float(label["value"]) if label.get("value") is not None else None,
        "unit": label.get("unit"),
        "qualifier": label.get("qualifier"),
    }
    for name, key in _OPTIONAL.items():
        if key in label:
            fields[name] = label[key]
    return fields


def _agrees(expected: Mapping[str, Any], predicted: Mapping[str, Any], name: str) -> bool:
    if name not in expected:
        return True
    if name == "value" and expected["value"] is not None and predicted["value"] is not None:
        gold, guess = float(expected["value"]), float(predicted["value"])
        return abs(gold - guess) <= 1e-6 * abs(gold)
    return bool(expected[name] == predicted[name])


def _correct(expected: Mapping[str, Any], predicted: Mapping[str, Any]) -> bool:
    names = ("subject", "value", "unit", "qualifier", *_OPTIONAL)
    return all(_agrees(expected, predicted, name) for name in names)


def _score(expected: Mapping[str, Any], predicted: Mapping[str, Any]) -> int:
    weights = {"subject": 4, "value": 3, "unit": 2, "counterparty": 1, "qualifier": 1}
    return sum(w for name, w in weights.items() if _agrees(expected, predicted, name))


def _same_value(expected: Mapping[str, Any], predicted: Mapping[str, Any]) -> bool:
    return expected["value"] is not None and _agrees(expected, predicted, "value")


def align(
    expected: Sequence[Mapping[str, Any]], predicted: Sequence[Mapping[str, Any]]
) -> list[tuple[int, int]]:
    """Pairs (expected index, predicted index) of the same type, best agreement first."""
    candidates = sorted(
        (
            (-_score(e, p), i, j)
            for i, e in enumerate(expected)
            for j, p in enumerate(predicted)
            if e["type"] == p["type"] and (e["subject"] == p["subject"] or _same_value(e, p))
        ),
    )
    used_e: set[int] = set()
    used_p: set[int] = set()
    pairs = []
    for _, i, j in candidates:
        if i not in used_e and j not in used_p:
            used_e.add(i)
            used_p.add(j)
            pairs.append((i, j))
    return pairs


def _has_quantity(fact: Mapping[str, Any]) -> bool:
    return fact["value"] is not None or fact["unit"] is not None


def _buckets(report: Report, item: Item, fact: Mapping[str, Any]) -> list[Counts]:
    buckets = [report.by_type[fact["type"]], report.by_lang[item.lang], report.overall]
    return [*buckets, report.quantity] if _has_quantity(fact) else buckets


def _count(
    report: Report, item: Item, expected: list[dict[str, Any]], predicted: list[dict[str, Any]]
) -> None:
    pairs = align(expected, predicted)
    correct = [i for i, j in pairs if _correct(expected[i], predicted[j])]
    for fact in expected:
        for counts in _buckets(report, item, fact):
            counts.expected += 1
    for fact in predicted:
        for counts in _buckets(report, item, fact):
            counts.predicted += 1
    for i in correct:
        for counts in _buckets(report, item, expected[i]):
            counts.tp += 1
    aligned = dict(pairs)
    for name in FIELDS:
        # Optional fields count where the label gives them; predictions aligned to no expected
        # fact count against the precision of every field.
        labelled = [i for i, e in enumerate(expected) if name in e]
        counts = report.by_field[name]
        counts.expected += len(labelled)
        counts.predicted += sum(1 for i in labelled if i in aligned) + len(predicted) - len(pairs)
        counts.tp += sum(
            1
            for i in labelled
            if i in aligned and _agrees(expected[i], predicted[aligned[i]], name)
        )
    for i, j in pairs:
        if expected[i]["qualifier"] is not None and predicted[j]["qualifier"] is not None:
            report.qualifier_pairs += 1
            report.qualifier_right += expected[i]["qualifier"] == predicted[j]["qualifier"]
    if len(correct) != len(expected) or len(correct) != len(predicted):
        report.errors.append(_describe(item, expected, predicted))


def _describe(
    item: Item, expected: Iterable[Mapping[str, Any]], predicted: Iterable[Mapping[str, Any]]
) -> str:
    lines = [f"{item.id}: {item.text[:120]!r}"]
    lines += [f"  expected  {dict(e)}" for e in expected]
    lines += [f"  predicted {dict(p)}" for p in predicted]
    return "\n".join(lines)


def evaluate(items: Iterable[Item]) -> Report:
    report = Report()
    for item in items:
        expected = [_expected_fields(f) for f in item.facts]
        predicted = [_predicted_fields(f) for f in extract(item.text, lang=item.lang)]
        _count(report, item, expected, predicted)
    return report


def _row(name: str, counts: Counts) -> str:
    return (
        f"{name:<16} {counts.precision:>9.3f} {counts.recall:>7.3f} {counts.f1:>6.3f}"
        f" {counts.tp:>5} {counts.predicted:>5} {counts.expected:>5}"
    )


def format_report(report: Report) -> str:
    header = f"{'':<16} {'precision':>9} {'recall':>7} {'F1':>6} {'tp':>5} {'pred':>5} {'gold':>5}"
    lines = ["Per fact type", header]
    lines += [_row(name, report.by_type[name]) for name in sorted(report.by_type)]
    lines += [_row("quantity facts", report.quantity), _row("all facts", report.overall)]
    lines += ["", "Per field", header]
    lines += [_row(name, report.by_field[name]) for name in FIELDS]
    lines += ["", "Per language", header]
    lines += [_row(name, report.by_lang[name]) for name in sorted(report.by_lang)]
    lines += [
        "",
        f"qualifier accuracy {report.qualifier_accuracy:.3f} "
        f"({report.qualifier_right}/{report.qualifier_pairs}; target "
        f"{QUALIFIER_ACCURACY_TARGET})",
        f"quantity-fact F1 {report.quantity.f1:.3f} (target {QUANTITY_F1_TARGET})",
        "targets met" if report.met else "TARGETS MISSED",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("directory", nargs="?", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--errors", action="store_true", help="print every item not fully right")
    args = parser.parse_args(argv)
    report = evaluate(load_items(args.directory))
    if args.errors:
        print("\n\n".join(report.errors), end="\n\n")
    print(format_report(report))
    return 0 if report.met else 1


if __name__ == "__main__":
    sys.exit(main())
