"""The labelled set meets the accuracy targets of the issue (``make eval`` checks the same)."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.extractor.evaluate import (
    QUALIFIER_ACCURACY_TARGET,
    QUANTITY_F1_TARGET,
    Report,
    evaluate,
    format_report,
    load_items,
    main,
)

ROOT = Path(__file__).resolve().parents[2]
LABELLED = Path(__file__).resolve().parent / "labelled"


@pytest.fixture(scope="module")
def report() -> Report:
    return evaluate(load_items(LABELLED, root=ROOT))


def test_the_labelled_set_has_the_seed_and_at_least_150_more_items() -> None:
    items = load_items(LABELLED, root=ROOT)
    assert any(item.id == "seed-000" for item in items)
    assert len(items) >= 151
    assert {item.lang for item in items} == {"ko", "en"}
    assert sum(1 for item in items if not item.facts) >= 30  # explicit negatives


def test_quantity_facts_reach_the_f1_target(report: Report) -> None:
    assert report.quantity.f1 >= QUANTITY_F1_TARGET, format_report(report)


def test_qualifiers_reach_the_accuracy_target(report: Report) -> None:
    assert report.qualifier_accuracy >= QUALIFIER_ACCURACY_TARGET, format_report(report)


def test_the_report_lists_types_fields_and_languages(report: Report) -> None:
    text = format_report(report)
    for heading in ("gpu_commitment", "investment", "partnership", "supply", "subject", "value",
                    "qualifier", "model", "status", "ko", "en", "qualifier accuracy"):
        assert heading in text


def test_main_exits_zero_when_targets_hold(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(LABELLED)]) == 0
    assert "targets met" in capsys.readouterr().out


def test_main_exits_non_zero_when_targets_are_missed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "wrong.yaml").write_text(
        "- id: wrong\n  lang: en\n  text: Samsung will buy 5,000 GPUs.\n  facts:\n"
        "    - {type: gpu_commitment, subject: samsung-electronics, value: 9000, unit: gpu,"
        " qualifier: up_to}\n",
        encoding="utf-8",
    )
    assert main([str(tmp_path)]) == 1
    assert "TARGETS MISSED" in capsys.readouterr().out
